package io.tokenmeter.bench;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.tokenmeter.app.JsonSerde;
import io.tokenmeter.app.PipelineOutput;
import io.tokenmeter.app.PriceSpansProcessor;
import io.tokenmeter.app.TokenmeterConfig;
import io.tokenmeter.app.TopologyFactory;
import io.tokenmeter.metrics.HealthMetrics;
import io.tokenmeter.metrics.LabelLimiter;
import io.tokenmeter.metrics.LlmMetrics;
import io.tokenmeter.metrics.MetricAggregate;
import io.tokenmeter.metrics.MetricsJson;
import io.tokenmeter.metrics.MetricsSettings;
import io.tokenmeter.dedup.SpanDeduplicator;
import io.tokenmeter.otlp.OtlpBatch;
import io.tokenmeter.otlp.OtlpBatchSerde;
import io.tokenmeter.pricing.PriceBook;
import io.tokenmeter.pricing.SpanPricer;
import io.tokenmeter.pricing.UnpricedModel;
import io.tokenmeter.sink.ContentRedactor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.WindowStore;

/**
 * The pipeline without Kafka: the input serde's decode, the production {@link PriceSpansProcessor}
 * (normalise, resolve, price, enrich, redact, metrics) with the stores the topology gives it, and
 * the serializers of the sinks its outputs go to (the enriched batch is protobuf already; unpriced sightings and
 * metric partials as JSON for their repartition topics). Configuration is the production default
 * (plus any overrides); prices are the bundled LiteLLM snapshot in the {@link PriceBook}.
 */
public final class PipelineHarness implements AutoCloseable {
  private static final String TOPIC = "otlp_spans";

  private final MockProcessorContext<String, PipelineOutput> context;
  private final PriceSpansProcessor processor;
  private final Deserializer<OtlpBatch> decoder;
  private final Serializer<UnpricedModel> unpricedSerializer;
  private final Serializer<MetricAggregate> partialSerializer;
  private final Path stateDir;
  private final StateStore[] stores;
  private final long flushIntervalNanos;
  private long lastFlush = System.nanoTime();
  private long streamTimeMs = Long.MIN_VALUE;
  private long enrichedRecords;
  private long unpricedRecords;
  private long partialRecords;
  private final java.util.Set<String> series = new java.util.HashSet<>();

  /** Production defaults; {@code dedup} keeps the RocksDB dedup store on (the default) or turns it off. */
  public PipelineHarness(boolean dedup, Map<String, String> overrides) {
    try {
      stateDir = Files.createTempDirectory("tokenmeter-bench-state");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Map<String, String> settings = new HashMap<>();
    settings.put(TokenmeterConfig.BOOTSTRAP_SERVERS, "bench:9092");
    settings.put(TokenmeterConfig.STATE_DIR, stateDir.toString());
    if (!dedup) {
      settings.put(TokenmeterConfig.DEDUP_WINDOW_MS, "0");
    }
    settings.putAll(overrides);
    TokenmeterConfig config = TokenmeterConfig.load(Map.of(), Map.of(), settings);
    MetricsSettings metrics = config.metricsSettings();
    long dedupWindowMs = config.getLong(TokenmeterConfig.DEDUP_WINDOW_MS);
    flushIntervalNanos = metrics.flushInterval().toNanos();

    PriceBook book = new PriceBook();
    Workload.bundledCards().forEach(c -> book.put(c, 0));
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    HealthMetrics health = new HealthMetrics(registry);
    processor = new PriceSpansProcessor(new SpanPricer(book),
        ContentRedactor.allowing(config.getList(TokenmeterConfig.SINK_CONTENT_ALLOW)), health, new LlmMetrics(registry),
        new LabelLimiter(metrics.maxValuesPerLabel(), health), metrics, TopologyFactory.DEDUP_STORE, dedupWindowMs,
        config.getLong(TokenmeterConfig.DEDUP_EXPECTED_TRACES), TopologyFactory.PARTIALS_STORE,
        config.getInt(TokenmeterConfig.MAX_OUTPUT_BYTES));

    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "tokenmeter-bench");
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "bench:9092");
    props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
    context = new MockProcessorContext<>(props, new TaskId(0, 0), stateDir.toFile());

    // The topology's stores, minus the changelog (no broker) and the record cache (which needs a
    // stream thread); the metered layer still (de)serialises every get and put, as in production.
    KeyValueStore<String, MetricAggregate> partials = Stores.keyValueStoreBuilder(
            Stores.inMemoryKeyValueStore(TopologyFactory.PARTIALS_STORE), Serdes.String(), MetricsJson.aggregateSerde())
        .withLoggingDisabled().withCachingDisabled().build();
    if (dedupWindowMs > 0) {
      WindowStore<Bytes, byte[]> seen = SpanDeduplicator.storeBuilder(TopologyFactory.DEDUP_STORE, dedupWindowMs)
          .withLoggingDisabled().withCachingDisabled().build();
      stores = new StateStore[] {partials, seen};
    } else {
      stores = new StateStore[] {partials};
    }
    for (StateStore s : stores) {
      s.init(context.getStateStoreContext(), s);
      context.addStateStore(s);
    }
    processor.init(context);

    decoder = new OtlpBatchSerde(config.getInt(TokenmeterConfig.MAX_RECORD_BYTES)).deserializer();
    unpricedSerializer = new JsonSerde<>(UnpricedModel.class).serializer();
    Serde<MetricAggregate> aggregateSerde = MetricsJson.aggregateSerde();
    partialSerializer = aggregateSerde.serializer();
  }

  /**
   * One input record through the whole pipeline: decode, process, encode every output. Hands the
   * metric partials on once per flush interval of wall-clock time, as the topology's punctuator
   * does. Returns the bytes written.
   */
  public long process(String key, byte[] value, long timestampMs) {
    // What a stream thread provides: wall-clock time, and stream time (the highest record time so far).
    context.setCurrentSystemTimeMs(System.currentTimeMillis());
    if (timestampMs > streamTimeMs) {
      streamTimeMs = timestampMs;
      context.setCurrentStreamTimeMs(timestampMs);
    }
    OtlpBatch in = decoder.deserialize(TOPIC, value);
    processor.process(new Record<>(key, in, timestampMs));
    long written = drain();
    long now = System.nanoTime();
    if (now - lastFlush >= flushIntervalNanos) {
      lastFlush = now;
      written += flushMetrics(timestampMs);
    }
    return written;
  }

  /** Fires the metric-partials punctuator now; returns the bytes written. */
  public long flushMetrics(long timestampMs) {
    context.setCurrentSystemTimeMs(System.currentTimeMillis());
    for (MockProcessorContext.CapturedPunctuator p : context.scheduledPunctuators()) {
      p.getPunctuator().punctuate(timestampMs);
    }
    return drain();
  }

  private long drain() {
    long bytes = 0;
    for (MockProcessorContext.CapturedForward<? extends String, ? extends PipelineOutput> f : context.forwarded()) {
      PipelineOutput out = f.record().value();
      if (out instanceof PipelineOutput.EnrichedBatch b) {
        bytes += b.data().length; // already the protobuf the sink writes
        enrichedRecords++;
      } else if (out instanceof PipelineOutput.UnpricedSighting u) {
        bytes += unpricedSerializer.serialize(TOPIC, u.sighting()).length;
        unpricedRecords++;
      } else if (out instanceof PipelineOutput.MetricPartial m) {
        bytes += partialSerializer.serialize(TOPIC, m.aggregate()).length;
        partialRecords++;
        series.add(f.record().key());
      }
    }
    context.resetForwards();
    return bytes;
  }

  public long enrichedRecords() {
    return enrichedRecords;
  }

  /** Records the topology would write to the unpriced-models repartition topic. */
  public long unpricedRecords() {
    return unpricedRecords;
  }

  /** Records the topology would write to the metric-partials repartition topic. */
  public long partialRecords() {
    return partialRecords;
  }

  /** Distinct metric series (keys of the partials handed on so far). */
  public int series() {
    return series.size();
  }

  @Override
  public void close() {
    for (StateStore s : stores) {
      s.close();
    }
    EndToEnd.deleteRecursively(stateDir);
  }
}
