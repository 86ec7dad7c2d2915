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
import io.tokenmeter.otlp.OtlpDecodeException;
import io.tokenmeter.otlp.OtlpIds;
import io.tokenmeter.pricing.CostAttributes;
import io.tokenmeter.pricing.PricedCall;
import io.tokenmeter.pricing.SpanPricer;
import io.tokenmeter.pricing.UnpricedModel;
import io.tokenmeter.sink.ContentRedactor;
import java.time.Instant;
import io.tokenmeter.metrics.LabelLimiter;
import io.tokenmeter.metrics.LlmMetrics;
import io.tokenmeter.metrics.MetricAggregate;
import io.tokenmeter.metrics.MetricsSettings;
import io.tokenmeter.metrics.SeriesLabels;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
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
 * card in effect at its end time; write the cost attributes; drop prompt and completion content
 * (unless allow-listed). Other spans pass through unchanged but for that content.
 */
public final class PriceSpansProcessor implements Processor<String, TracesData, String, PipelineOutput> {
  private final SpanPricer pricer;
  private final ContentRedactor redactor;
  private final HealthMetrics health;
  private final LlmMetrics llmMetrics;
  private final LabelLimiter limiter;
  private final MetricsSettings metrics;
  private final String dedupStoreName;
  private final long dedupWindowMs;
  private final String partialsStoreName;
  private final long windowMs;
  private final int maxOutputBytes;
  private ProcessorContext<String, PipelineOutput> context;
  private WindowStore<Bytes, Long> seen;
  private KeyValueStore<String, MetricAggregate> partials;
  /**
   * The partials store's content, kept in memory (write-through): merging a batch never reads, and
   * so never deserialises, the store. Rebuilt from the store whenever the task (re)initialises.
   */
  private final java.util.TreeMap<String, MetricAggregate> mirror = new java.util.TreeMap<>();

  public PriceSpansProcessor(SpanPricer pricer, ContentRedactor redactor, HealthMetrics health, LlmMetrics llmMetrics,
      LabelLimiter limiter, MetricsSettings metrics, String dedupStoreName, long dedupWindowMs, String partialsStoreName,
      int maxOutputBytes) {
    this.maxOutputBytes = maxOutputBytes;
    this.pricer = pricer;
    this.redactor = redactor;
    this.health = health;
    this.llmMetrics = llmMetrics;
    this.limiter = limiter;
    this.metrics = metrics;
    this.dedupStoreName = dedupStoreName;
    this.dedupWindowMs = dedupWindowMs;
    this.partialsStoreName = partialsStoreName;
    this.windowMs = metrics.window().toMillis();
  }

  @Override
  public void init(ProcessorContext<String, PipelineOutput> context) {
    this.context = context;
    if (dedupWindowMs > 0) {
      seen = context.getStateStore(dedupStoreName);
    }
    partials = context.getStateStore(partialsStoreName);
    mirror.clear();
    try (KeyValueIterator<String, MetricAggregate> it = partials.all()) {
      it.forEachRemaining(kv -> mirror.put(kv.key, kv.value));
    }
    context.schedule(metrics.flushInterval(), PunctuationType.WALL_CLOCK_TIME, now -> flushPartials());
  }

  /**
   * Hands this task's partial aggregates on to the window aggregation. The partials live in a
   * changelogged store until then, so a crash between two flushes loses nothing: the store and
   * the input offsets commit in the same transaction.
   */
  private void flushPartials() {
    List<org.apache.kafka.streams.KeyValue<String, MetricAggregate>> all = new ArrayList<>();
    mirror.forEach((k, v) -> all.add(org.apache.kafka.streams.KeyValue.pair(k, v)));
    mirror.clear();
    for (org.apache.kafka.streams.KeyValue<String, MetricAggregate> kv : all) {
      // Timestamped with the latest span end it holds: the window aggregation assigns it to the
      // same window, and its stream time (which closes windows) follows span time, not flushes.
      // never a Kafka timestamp in the future: brokers reject those (log.message.timestamp.after.max.ms)
      context.forward(new Record<String, PipelineOutput>(kv.key.substring(kv.key.indexOf('|') + 1),
          new PipelineOutput.MetricPartial(kv.value), Math.min(kv.value.lastSpanEndMs, context.currentSystemTimeMs())));
      partials.delete(kv.key);
    }
  }

  @Override
  public void process(Record<String, TracesData> record) {
    TracesData in = record.value();
    long ts = record.timestamp();
    int spansIn = 0;
    int duplicates = 0;
    Set<Bytes> newIds = seen == null ? null : new HashSet<>();
    Map<String, UnpricedModel> unpriced = null;
    Map<String, MetricAggregate> batchMetrics = null;
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
          LlmCall call = DialectNormalizer.normalize(span, service, metrics.featureAttributes());
          if (call != null) {
            PricedCall priced = pricer.price(call, endTime(span, ts));
            emitted = CostAttributes.enrich(span, priced);
            if (batchMetrics == null) {
              batchMetrics = new HashMap<>();
            }
            observe(priced, span, batchMetrics);
            if (priced.status() == PricedCall.Status.UNPRICED) {
              if (unpriced == null) {
                unpriced = new HashMap<>();
              }
              // one sighting per (provider, model) and batch, not one record per unpriced span
              unpriced.merge(UnpricedModel.key(call.provider(), call.model()), UnpricedModel.sighting(call.provider(),
                  call.model(), service, priced.at().toEpochMilli(), call.adjustedCount().doubleValue()),
                  UnpricedModel::merge);
            }
          }
          if (ssb == null) {
            ssb = ss.toBuilder().clearSpans();
          }
          // Prompt and completion content never leaves tokenmeter unless allow-listed.
          ssb.addSpans(redactor.redact(emitted));
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

    // Split before any side effect: a span too large for any record throws, and the input is
    // dead-lettered with nothing of it counted or remembered.
    List<TracesData> batches = out.getResourceSpansCount() == 0 ? List.of() : split(out.build());
    health.recordIn(spansIn);
    health.duplicatesDropped(duplicates);
    // Remember the ids only once the whole batch went through: a batch that fails is dead-lettered
    // and must not make a later, good copy of itself look like a duplicate.
    if (newIds != null) {
      for (Bytes id : newIds) {
        seen.put(id, ts, ts);
      }
    }
    if (batchMetrics != null) {
      batchMetrics.forEach((k, agg) -> {
        MetricAggregate prev = mirror.get(k);
        MetricAggregate merged = prev == null ? agg : prev.merge(agg);
        mirror.put(k, merged);
        partials.put(k, merged);
      });
    }
    if (!batches.isEmpty()) {
      String key = oneTrace && onlyTrace != null && !onlyTrace.isEmpty() ? OtlpIds.hex(onlyTrace) : record.key();
      for (TracesData batch : batches) {
        context.forward(record.withKey(key).withValue(new PipelineOutput.EnrichedBatch(batch)));
      }
    }
    if (unpriced != null) {
      for (UnpricedModel u : unpriced.values()) {
        context.forward(record.withKey(UnpricedModel.key(u.provider(), u.model()))
            .withValue(new PipelineOutput.UnpricedSighting(u)));
      }
    }
  }

  /**
   * The batch as one record, or as several under {@code maxOutputBytes} each when it is larger
   * (enrichment adds bytes; a topic rejects a record over its max.message.bytes, and a rejected
   * output would stop the stream on every restart).
   */
  List<TracesData> split(TracesData batch) {
    if (batch.getSerializedSize() <= maxOutputBytes) {
      return List.of(batch);
    }
    List<TracesData> chunks = new ArrayList<>();
    TracesData.Builder chunk = TracesData.newBuilder();
    long size = 0;
    for (ResourceSpans rs : batch.getResourceSpansList()) {
      for (ScopeSpans ss : rs.getScopeSpansList()) {
        long envelope = rs.getResource().getSerializedSize() + ss.getScope().getSerializedSize() + 32L;
        ScopeSpans.Builder scope = null;
        for (Span span : ss.getSpansList()) {
          long spanSize = span.getSerializedSize() + 8L;
          if (spanSize + envelope > maxOutputBytes) {
            throw new OtlpDecodeException("output_too_large", "an enriched span of " + spanSize
                + " bytes does not fit a record of output.max.record.bytes=" + maxOutputBytes);
          }
          if (scope != null && size + spanSize > maxOutputBytes) {
            chunks.add(chunk.build());
            chunk = TracesData.newBuilder();
            size = 0;
            scope = null;
          }
          if (scope == null) {
            chunk.addResourceSpans(rs.toBuilder().clearScopeSpans().addScopeSpans(ss.toBuilder().clearSpans()));
            scope = chunk.getResourceSpansBuilder(chunk.getResourceSpansCount() - 1).getScopeSpansBuilder(0);
            size += envelope;
          }
          scope.addSpans(span);
          size += spanSize;
        }
      }
    }
    if (chunk.getResourceSpansCount() > 0) {
      chunks.add(chunk.build());
    }
    return chunks;
  }

  /** Counts the call in Prometheus and in this batch's partial aggregates. */
  private void observe(PricedCall priced, Span span, Map<String, MetricAggregate> batch) {
    LlmCall call = priced.call();
    SeriesLabels labels = new SeriesLabels(
        label("service", call.service()), label("provider", priced.provider()), label("model", priced.modelLabel()),
        label("operation", call.operation()), label("feature", call.feature()));
    String errorType = call.outcome() == LlmCall.Outcome.ERROR ? limiter.limit("error_type", call.errorType()) : null;
    long durationNanos = span.getEndTimeUnixNano() - span.getStartTimeUnixNano();
    llmMetrics.record(labels, priced, errorType, durationNanos);
    // A span "ending" beyond the next window (a client clock in the future) counts in that window.
    long atMs = Math.min(priced.at().toEpochMilli(), context.currentSystemTimeMs() + windowMs);
    long windowStart = Math.floorDiv(atMs, windowMs) * windowMs;
    // zero-padded, so that the store's key order is window order and older windows flush first
    batch.computeIfAbsent(partialKey(windowStart, labels.key()), k -> new MetricAggregate(labels))
        .add(priced, errorType, durationNanos, atMs);
  }

  /** {@code <window start, zero-padded to 15 digits>|<series>}: key order is window order. */
  static String partialKey(long windowStart, String series) {
    String ws = Long.toString(windowStart);
    StringBuilder sb = new StringBuilder(16 + series.length());
    for (int i = ws.length(); i < 15; i++) {
      sb.append('0');
    }
    return sb.append(ws).append('|').append(series).toString();
  }

  private String label(String name, String value) {
    return metrics.keeps(name) ? limiter.limit(name, value == null ? "" : value) : "";
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
