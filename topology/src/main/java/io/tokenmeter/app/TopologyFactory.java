package io.tokenmeter.app;

import io.opentelemetry.proto.trace.v1.TracesData;
import io.tokenmeter.dedup.SpanDeduplicator;
import io.tokenmeter.otlp.OtlpBatch;
import io.tokenmeter.metrics.HealthMetrics;
import io.tokenmeter.metrics.LabelLimiter;
import io.tokenmeter.metrics.LlmMetrics;
import io.tokenmeter.metrics.MetricAggregate;
import io.tokenmeter.metrics.MetricWindowsProcessor;
import io.tokenmeter.metrics.MetricsJson;
import io.tokenmeter.metrics.MetricsSettings;
import io.tokenmeter.pricing.PriceBook;
import io.tokenmeter.pricing.PricingStoreUpdater;
import io.tokenmeter.pricing.SpanPricer;
import io.tokenmeter.pricing.UnpricedModel;
import io.tokenmeter.sink.ContentRedactor;
import io.tokenmeter.sink.SinkSettings;
import io.tokenmeter.sink.SpanDocuments;
import java.util.Map;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

/**
 * Builds the tokenmeter topology. Pure: it takes configuration, topics and collaborators and
 * returns a {@link Topology}; it never starts anything (Kafka's WordCountDemo
 * {@code createWordCountStream}, Creek's TopologyBuilder). Every processor, store and internal
 * topic is named, so that names do not shift when the topology changes; {@code TopologyGoldenTest}
 * pins the description.
 */
public final class TopologyFactory {
  public static final String PRICING_STORE = "pricing-cards-store";
  /**
   * One entry per trace (its span ids), since 0.2; the per-span store before it was
   * {@code span-dedup-store}. A new name, so that its changelog never meets the old format.
   */
  public static final String DEDUP_STORE = "span-dedup-traces-store";
  public static final String UNPRICED_STORE = "unpriced-models-store";
  public static final String PARTIALS_STORE = "metric-partials-store";
  public static final String WINDOWS_STORE = "metric-windows-store";

  private final TokenmeterConfig config;
  private final Topics topics;
  private final PriceBook priceBook;
  private final HealthMetrics health;
  private final LlmMetrics llmMetrics;

  public TopologyFactory(TokenmeterConfig config, Topics topics, PriceBook priceBook, HealthMetrics health,
      LlmMetrics llmMetrics) {
    this.config = config;
    this.topics = topics;
    this.priceBook = priceBook;
    this.health = health;
    this.llmMetrics = llmMetrics;
  }

  public Topology build() {
    StreamsBuilder builder = new StreamsBuilder();
    addPricingGlobalStore(builder);

    long dedupWindowMs = config.getLong(TokenmeterConfig.DEDUP_WINDOW_MS);
    MetricsSettings metrics = config.metricsSettings();
    builder.addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(PARTIALS_STORE), Serdes.String(),
        MetricsJson.aggregateSerde()).withCachingEnabled());
    builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(WINDOWS_STORE), Serdes.String(),
        MetricsJson.aggregateSerde()).withCachingEnabled());
    String[] stores = {PARTIALS_STORE};
    if (dedupWindowMs > 0) {
      builder.addStateStore(SpanDeduplicator.storeBuilder(DEDUP_STORE, dedupWindowMs));
      stores = new String[] {PARTIALS_STORE, DEDUP_STORE};
    }

    SpanPricer pricer = new SpanPricer(priceBook);
    LabelLimiter limiter = new LabelLimiter(metrics.maxValuesPerLabel(), health);
    KStream<String, OtlpBatch> spans = builder.stream(topics.input().name(),
        Consumed.with(topics.input().keySerde(), topics.input().valueSerde()).withName("otlp-spans-source"));
    SinkSettings sink = config.sinkSettings();
    ContentRedactor redactor = ContentRedactor.allowing(sink.contentAllowList());
    KStream<String, PipelineOutput> priced = spans.process(
        () -> new PriceSpansProcessor(pricer, redactor, health, llmMetrics, limiter, metrics, DEDUP_STORE, dedupWindowMs,
            config.getLong(TokenmeterConfig.DEDUP_EXPECTED_TRACES), PARTIALS_STORE,
            config.getInt(TokenmeterConfig.MAX_OUTPUT_BYTES)),
        Named.as("price-spans"), stores);

    Map<String, KStream<String, PipelineOutput>> routes = priced.split(Named.as("route-"))
        .branch((k, v) -> v instanceof PipelineOutput.EnrichedBatch, Branched.as("enriched"))
        .branch((k, v) -> v instanceof PipelineOutput.UnpricedSighting, Branched.as("unpriced"))
        .branch((k, v) -> v instanceof PipelineOutput.MetricPartial, Branched.as("metrics"))
        .noDefaultBranch();

    KStream<String, byte[]> enriched = routes.get("route-enriched")
        .mapValues(v -> ((PipelineOutput.EnrichedBatch) v).data(), Named.as("enriched-batch"));
    enriched.to(topics.enriched().name(), Produced.with(topics.enriched().keySerde(), topics.enriched().valueSerde())
        .withName("enriched-spans-sink"));
    if (config.getBoolean(TokenmeterConfig.SINK_DOCS_ENABLED)) {
      // Optional, and after pricing and metrics: sink sampling never touches what is counted.
      SpanDocuments documents = new SpanDocuments(sink);
      enriched
          .flatMap((k, batch) -> documents.fromBatch(parse(batch)).stream()
              .map(d -> KeyValue.pair(d.id(), d.json())).toList(), Named.as("span-documents"))
          .to(topics.docs().name(), Produced.with(topics.docs().keySerde(), topics.docs().valueSerde())
              .withName("span-docs-sink"));
    }

    addUnpricedModels(routes.get("route-unpriced"));
    addMetricWindows(routes.get("route-metrics"), metrics);
    return builder.build();
  }

  /**
   * Partial aggregates (one per task, series and window per flush: not one per span) are re-keyed
   * by series and summed per tumbling window; each window is written when it closes, later
   * contributions as late records (see {@link MetricWindowsProcessor} for why not the DSL windows).
   */
  private void addMetricWindows(KStream<String, PipelineOutput> partials, MetricsSettings metrics) {
    partials
        .mapValues(v -> ((PipelineOutput.MetricPartial) v).aggregate(), Named.as("metric-partial"))
        .repartition(Repartitioned.<String, MetricAggregate>as("metric-partials")
            .withKeySerde(Serdes.String()).withValueSerde(MetricsJson.aggregateSerde()))
        .process(() -> new MetricWindowsProcessor(WINDOWS_STORE, metrics), Named.as("metric-windows"), WINDOWS_STORE)
        .to(topics.metrics().name(), Produced.with(topics.metrics().keySerde(), topics.metrics().valueSerde())
            .withName("metrics-sink"));
  }

  private void addPricingGlobalStore(StreamsBuilder builder) {
    StoreBuilder<?> store = Stores.timestampedKeyValueStoreBuilder(
            Stores.persistentTimestampedKeyValueStore(PRICING_STORE), Serdes.String(), Serdes.ByteArray())
        .withLoggingDisabled(); // a global store restores from its source topic
    builder.addGlobalStore((StoreBuilder) store, topics.pricing().name(),
        Consumed.with(topics.pricing().keySerde(), topics.pricing().valueSerde()).withName("pricing-source"),
        () -> new PricingStoreUpdater(PRICING_STORE, priceBook, health));
  }

  /** The enriched batch as objects, for documents only: the pricing path never decodes pass-through spans. */
  private static TracesData parse(byte[] batch) {
    try {
      return TracesData.parseFrom(batch);
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw new IllegalStateException("tokenmeter wrote an enriched batch that does not parse", e);
    }
  }

  /** Unpriced sightings, re-keyed by provider/model (few records: only unpriced calls) and summed. */
  private void addUnpricedModels(KStream<String, PipelineOutput> unpriced) {
    JsonSerde<UnpricedModel> serde = new JsonSerde<>(UnpricedModel.class);
    unpriced
        .map((k, v) -> KeyValue.pair(k, ((PipelineOutput.UnpricedSighting) v).sighting()), Named.as("unpriced-sighting"))
        .groupByKey(Grouped.with("unpriced-by-model", Serdes.String(), serde))
        .aggregate(UnpricedModel::empty, (k, sighting, agg) -> agg.merge(sighting), Named.as("unpriced-aggregate"),
            Materialized.<String, UnpricedModel, KeyValueStore<Bytes, byte[]>>as(UNPRICED_STORE)
                .withKeySerde(Serdes.String()).withValueSerde(serde))
        .toStream(Named.as("unpriced-changes"))
        .to(topics.unpriced().name(), Produced.with(topics.unpriced().keySerde(), topics.unpriced().valueSerde())
            .withName("unpriced-models-sink"));
  }
}
