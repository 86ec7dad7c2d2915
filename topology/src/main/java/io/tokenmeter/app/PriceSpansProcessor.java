package io.tokenmeter.app;

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
import io.tokenmeter.dedup.SpanDeduplicator;
import io.tokenmeter.otlp.OtlpBatch;
import io.tokenmeter.pricing.CostAttributes;
import io.tokenmeter.pricing.PricedCall;
import io.tokenmeter.pricing.SpanPricer;
import io.tokenmeter.pricing.UnpricedModel;
import io.tokenmeter.sink.ContentRedactor;
import java.time.Instant;
import io.tokenmeter.metrics.LabelLimiter;
import io.tokenmeter.metrics.LlmMetrics;
import io.tokenmeter.metrics.MetricAggregate;
import io.tokenmeter.metrics.MetricWindowsProcessor;
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
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * The hot path: one input batch in, one enriched batch out. For each span: drop it if its
 * (trace id, span id) was seen within the dedup window; recognise an LLM call; price it with the
 * card in effect at its end time; write the cost attributes; drop prompt and completion content
 * (unless allow-listed). Spans that can be neither (see {@link OtlpBatch}) pass through as the
 * bytes they came in as; only the others are decoded and, when changed, encoded again.
 */
public final class PriceSpansProcessor implements Processor<String, OtlpBatch, String, PipelineOutput> {
  private final SpanPricer pricer;
  private final ContentRedactor redactor;
  private final HealthMetrics health;
  private final LlmMetrics llmMetrics;
  private final LabelLimiter limiter;
  private final MetricsSettings metrics;
  private final String dedupStoreName;
  /** Null when duplicate detection is off. */
  private final SpanDeduplicator dedup;
  private final String partialsStoreName;
  private final long windowMs;
  private final int maxOutputBytes;
  private ProcessorContext<String, PipelineOutput> context;
  private KeyValueStore<String, MetricAggregate> partials;
  /**
   * The partials store's content, kept in memory (write-through): merging a batch never reads, and
   * so never deserialises, the store. Rebuilt from the store whenever the task (re)initialises.
   */
  private final Map<String, MetricAggregate> mirror = new HashMap<>();

  public PriceSpansProcessor(SpanPricer pricer, ContentRedactor redactor, HealthMetrics health, LlmMetrics llmMetrics,
      LabelLimiter limiter, MetricsSettings metrics, String dedupStoreName, long dedupWindowMs, long dedupExpectedTraces,
      String partialsStoreName, int maxOutputBytes) {
    this.maxOutputBytes = maxOutputBytes;
    this.pricer = pricer;
    this.redactor = redactor;
    this.health = health;
    this.llmMetrics = llmMetrics;
    this.limiter = limiter;
    this.metrics = metrics;
    this.dedupStoreName = dedupStoreName;
    this.dedup = dedupWindowMs > 0 ? new SpanDeduplicator(dedupWindowMs, dedupExpectedTraces) : null;
    this.partialsStoreName = partialsStoreName;
    this.windowMs = metrics.window().toMillis();
  }

  @Override
  public void init(ProcessorContext<String, PipelineOutput> context) {
    this.context = context;
    if (dedup != null) {
      dedup.init(context.getStateStore(dedupStoreName));
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
    // In key order, which is window order: older windows go out first. Sorted here, once per
    // flush, rather than kept sorted: a sorted map made every span's lookup compare long keys.
    List<String> keys = new ArrayList<>(mirror.keySet());
    keys.sort(null);
    for (String key : keys) {
      MetricAggregate aggregate = mirror.remove(key);
      // Timestamped with the latest span end it holds: the window aggregation assigns it to the
      // same window, and its stream time (which closes windows) follows span time, not flushes.
      // never a Kafka timestamp in the future: brokers reject those (log.message.timestamp.after.max.ms)
      context.forward(new Record<String, PipelineOutput>(key.substring(key.indexOf('|') + 1),
          new PipelineOutput.MetricPartial(aggregate), Math.min(aggregate.lastSpanEndMs, context.currentSystemTimeMs())));
      partials.delete(key);
    }
  }

  @Override
  public void process(Record<String, OtlpBatch> record) {
    OtlpBatch in = record.value();
    long ts = record.timestamp();
    int duplicates = 0;
    Map<String, UnpricedModel> unpriced = null;
    List<Observation> observed = null;
    int firstKept = -1;
    boolean oneTrace = true;
    if (dedup != null) {
      dedup.begin(ts);
    }

    // spans[i]: null = dropped (duplicate), KEEP = the input bytes, else the enriched encoding
    byte[][] spans = new byte[in.spanCount()][];
    for (int r = 0; r < in.resourceCount(); r++) {
      String service = null;
      for (int s = in.firstScope(r); s < in.endScope(r); s++) {
        for (int i = in.firstSpan(s); i < in.endSpan(s); i++) {
          if (dedup != null && !dedup.firstSighting(in.ids(), in.traceIdOffset(i), in.spanIdOffset(i))) {
            duplicates++;
            continue;
          }
          if (firstKept < 0) {
            firstKept = i;
          } else if (oneTrace && !in.sameTrace(firstKept, i)) {
            oneTrace = false;
          }
          if (in.isPlain(i)) {
            spans[i] = OtlpBatch.KEEP; // neither an LLM call nor content: passes through as its bytes
            continue;
          }
          if (service == null) {
            service = serviceName(in.resource(r));
          }
          Span span = in.span(i);
          Span emitted = span;
          LlmCall call = DialectNormalizer.normalize(span, service, metrics.featureAttributes());
          if (call != null) {
            PricedCall priced = pricer.price(call, endTime(span, ts));
            emitted = CostAttributes.enrich(span, priced);
            if (observed == null) {
              observed = new ArrayList<>();
            }
            observed.add(new Observation(priced, span.getEndTimeUnixNano() - span.getStartTimeUnixNano()));
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
          // Prompt and completion content never leaves tokenmeter unless allow-listed.
          Span out = redactor.redact(emitted);
          spans[i] = out == span ? OtlpBatch.KEEP : out.toByteArray();
        }
      }
    }

    // Split before any side effect: a span too large for any record throws, and the input is
    // dead-lettered with nothing of it counted or remembered.
    byte[] out = in.write(spans);
    List<byte[]> batches = out == null ? List.of() : split(out);
    health.recordIn(in.spanCount());
    health.duplicatesDropped(duplicates);
    // Remember the ids only once the whole batch went through: a batch that fails is dead-lettered
    // and must not make a later, good copy of itself look like a duplicate.
    if (dedup != null) {
      dedup.commit();
    }
    // Counted only now that the batch went through: a batch that fails counts nowhere.
    if (observed != null) {
      Set<String> touched = new HashSet<>();
      for (Observation o : observed) {
        touched.add(observe(o.priced(), o.durationNanos()));
      }
      for (String k : touched) {
        partials.put(k, mirror.get(k));
      }
    }
    if (!batches.isEmpty()) {
      String key = oneTrace ? in.traceIdHex(firstKept) : record.key();
      for (byte[] batch : batches) {
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

  /** The encoded batch, or its pieces when it is over {@code maxOutputBytes} (rare: decoded only then). */
  List<byte[]> split(byte[] batch) {
    if (batch.length <= maxOutputBytes) {
      return List.of(batch);
    }
    try {
      return split(TracesData.parseFrom(batch)).stream().map(TracesData::toByteArray).toList();
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw new IllegalStateException("an enriched batch does not parse", e);
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

  private record Observation(PricedCall priced, long durationNanos) {}

  /** Counts the call in Prometheus and in this task's partial aggregates; returns the partial's key. */
  private String observe(PricedCall priced, long durationNanos) {
    LlmCall call = priced.call();
    SeriesLabels labels = new SeriesLabels(
        label("service", call.service()), label("provider", priced.provider()), label("model", priced.modelLabel()),
        label("operation", call.operation()), label("feature", call.feature()));
    String errorType = call.outcome() == LlmCall.Outcome.ERROR ? limiter.limit("error_type", call.errorType()) : null;
    llmMetrics.record(labels, priced, errorType, durationNanos);
    // A span "ending" beyond the next window (a client clock in the future) counts in that window.
    long atMs = Math.min(priced.at().toEpochMilli(), context.currentSystemTimeMs() + windowMs);
    long windowStart = Math.floorDiv(atMs, windowMs) * windowMs;
    // the window store's key layout: key order is window order, so older windows flush first
    String key = MetricWindowsProcessor.storeKey(windowStart, labels.key());
    mirror.computeIfAbsent(key, k -> new MetricAggregate(labels)).add(priced, errorType, durationNanos, atMs);
    return key;
  }

  private String label(String name, String value) {
    return metrics.keeps(name) ? limiter.limit(name, value == null ? "" : value) : "";
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
