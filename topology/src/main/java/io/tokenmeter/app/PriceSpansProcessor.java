package io.tokenmeter.app;

import com.google.protobuf.ByteString;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.TracesData;
import io.tokenmeter.genai.DialectNormalizer;
import io.tokenmeter.genai.LlmCall;
import io.tokenmeter.metrics.HealthMetrics;
import io.tokenmeter.otlp.OtlpIds;
import io.tokenmeter.pricing.CostAttributes;
import io.tokenmeter.pricing.PricedCall;
import io.tokenmeter.pricing.SpanPricer;
import io.tokenmeter.pricing.UnpricedModel;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;

/**
 * The hot path: one input batch in, one enriched batch out. For each span: drop it if its
 * (trace id, span id) was seen within the dedup window; recognise an LLM call; price it with the
 * card in effect at its end time; write the cost attributes. Non-LLM spans pass through unchanged.
 */
public final class PriceSpansProcessor implements Processor<String, TracesData, String, PipelineOutput> {
  private final SpanPricer pricer;
  private final HealthMetrics health;
  private final String dedupStoreName;
  private final long dedupWindowMs;
  private ProcessorContext<String, PipelineOutput> context;
  private WindowStore<Bytes, Long> seen;

  public PriceSpansProcessor(SpanPricer pricer, HealthMetrics health, String dedupStoreName, long dedupWindowMs) {
    this.pricer = pricer;
    this.health = health;
    this.dedupStoreName = dedupStoreName;
    this.dedupWindowMs = dedupWindowMs;
  }

  @Override
  public void init(ProcessorContext<String, PipelineOutput> context) {
    this.context = context;
    if (dedupWindowMs > 0) {
      seen = context.getStateStore(dedupStoreName);
    }
  }

  @Override
  public void process(Record<String, TracesData> record) {
    TracesData in = record.value();
    long ts = record.timestamp();
    int spansIn = 0;
    int duplicates = 0;
    Set<Bytes> newIds = seen == null ? null : new HashSet<>();
    List<UnpricedModel> unpriced = null;
    ByteString onlyTrace = null;
    boolean oneTrace = true;

    TracesData.Builder out = TracesData.newBuilder();
    for (ResourceSpans rs : in.getResourceSpansList()) {
      String service = serviceName(rs.getResource());
      ResourceSpans.Builder rsb = null;
      for (ScopeSpans ss : rs.getScopeSpansList()) {
        ScopeSpans.Builder ssb = null;
        for (Span span : ss.getSpansList()) {
          spansIn++;
          if (seen != null) {
            Bytes id = spanKey(span);
            if (isDuplicate(id, ts, newIds)) {
              duplicates++;
              continue;
            }
            newIds.add(id);
          }
          if (oneTrace) {
            if (onlyTrace == null) {
              onlyTrace = span.getTraceId();
            } else if (!onlyTrace.equals(span.getTraceId())) {
              oneTrace = false;
            }
          }
          Span emitted = span;
          LlmCall call = DialectNormalizer.normalize(span, service);
          if (call != null) {
            PricedCall priced = pricer.price(call, endTime(span, ts));
            emitted = CostAttributes.enrich(span, priced);
            if (priced.status() == PricedCall.Status.UNPRICED) {
              if (unpriced == null) {
                unpriced = new ArrayList<>();
              }
              unpriced.add(UnpricedModel.sighting(call.provider(), call.model(), service,
                  priced.at().toEpochMilli(), call.adjustedCount()));
            }
          }
          if (ssb == null) {
            ssb = ss.toBuilder().clearSpans();
          }
          ssb.addSpans(emitted);
        }
        if (ssb != null) {
          if (rsb == null) {
            rsb = rs.toBuilder().clearScopeSpans();
          }
          rsb.addScopeSpans(ssb);
        }
      }
      if (rsb != null) {
        out.addResourceSpans(rsb);
      }
    }

    health.recordIn(spansIn);
    health.duplicatesDropped(duplicates);
    // Remember the ids only once the whole batch went through: a batch that fails is dead-lettered
    // and must not make a later, good copy of itself look like a duplicate.
    if (newIds != null) {
      for (Bytes id : newIds) {
        seen.put(id, ts, ts);
      }
    }
    if (out.getResourceSpansCount() > 0) {
      String key = oneTrace && onlyTrace != null && !onlyTrace.isEmpty() ? OtlpIds.hex(onlyTrace) : record.key();
      context.forward(record.withKey(key).withValue(new PipelineOutput.EnrichedBatch(out.build())));
    }
    if (unpriced != null) {
      for (UnpricedModel u : unpriced) {
        context.forward(record.withKey(UnpricedModel.key(u.provider(), u.model()))
            .withValue(new PipelineOutput.UnpricedSighting(u)));
      }
    }
  }

  private boolean isDuplicate(Bytes id, long ts, Set<Bytes> inThisBatch) {
    if (inThisBatch.contains(id)) {
      return true;
    }
    try (WindowStoreIterator<Long> it = seen.fetch(id, ts - dedupWindowMs, ts + dedupWindowMs)) {
      return it.hasNext();
    }
  }

  static Bytes spanKey(Span span) {
    byte[] t = span.getTraceId().toByteArray();
    byte[] s = span.getSpanId().toByteArray();
    byte[] k = new byte[t.length + s.length];
    System.arraycopy(t, 0, k, 0, t.length);
    System.arraycopy(s, 0, k, t.length, s.length);
    return Bytes.wrap(k);
  }

  static Instant endTime(Span span, long recordTimestamp) {
    long nanos = span.getEndTimeUnixNano() != 0 ? span.getEndTimeUnixNano() : span.getStartTimeUnixNano();
    return nanos != 0 ? Instant.ofEpochSecond(0, nanos) : Instant.ofEpochMilli(recordTimestamp);
  }

  static String serviceName(Resource resource) {
    for (KeyValue kv : resource.getAttributesList()) {
      if (kv.getKey().equals("service.name")) {
        return kv.getValue().getStringValue();
      }
    }
    return "unknown_service";
  }
}
