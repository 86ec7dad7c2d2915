package io.tokenmeter.testing;

import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.TracesData;
import io.tokenmeter.app.DeadLetterHandlers;
import io.tokenmeter.app.JsonSerde;
import io.tokenmeter.app.TokenmeterConfig;
import io.tokenmeter.app.TopologyFactory;
import io.tokenmeter.app.Topics;
import io.tokenmeter.metrics.HealthMetrics;
import io.tokenmeter.pricing.LiteLlmCatalog;
import io.tokenmeter.pricing.PriceBook;
import io.tokenmeter.pricing.PriceCard;
import io.tokenmeter.pricing.PriceCardCodec;
import io.tokenmeter.pricing.UnpricedModel;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;

/**
 * The production topology and production Streams configuration under {@link TopologyTestDriver}.
 */
public final class TopologyHarness implements AutoCloseable {
  public final TokenmeterConfig config;
  public final Topics topics;
  public final PriceBook priceBook = new PriceBook();
  public final io.micrometer.prometheusmetrics.PrometheusMeterRegistry registry =
      new io.micrometer.prometheusmetrics.PrometheusMeterRegistry(io.micrometer.prometheusmetrics.PrometheusConfig.DEFAULT);
  public final HealthMetrics health = new HealthMetrics(registry);
  public final Topology topology;
  public final TopologyTestDriver driver;
  public final TestInputTopic<String, byte[]> otlp;
  public final TestInputTopic<String, byte[]> pricing;
  public final TestOutputTopic<String, TracesData> enriched;
  public final TestOutputTopic<byte[], byte[]> deadLetters;
  public final TestOutputTopic<String, UnpricedModel> unpriced;
  public final TestOutputTopic<String, byte[]> metrics;
  public final TestOutputTopic<String, byte[]> docs;
  private final Path stateDir;

  public TopologyHarness() {
    this(Map.of());
  }

  public TopologyHarness(Map<String, String> settings) {
    try {
      stateDir = Files.createTempDirectory("tokenmeter-ttd");
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    Map<String, String> s = new HashMap<>();
    s.put(TokenmeterConfig.BOOTSTRAP_SERVERS, "ttd:9092");
    s.put(TokenmeterConfig.STATE_DIR, stateDir.toString());
    s.putAll(settings);
    config = TokenmeterConfig.load(Map.of(), Map.of(), s);
    topics = Topics.from(config);
    topology = new TopologyFactory(config, topics, priceBook, health, new io.tokenmeter.metrics.LlmMetrics(registry)).build();
    Properties props = config.streamsProperties();
    props.put(DeadLetterHandlers.METRICS_CONFIG, health);
    driver = new TopologyTestDriver(topology, props, Instant.parse("2026-01-01T00:00:00Z"));
    otlp = driver.createInputTopic(topics.input().name(), new StringSerializer(), new ByteArraySerializer());
    pricing = driver.createInputTopic(topics.pricing().name(), new StringSerializer(), new ByteArraySerializer());
    // The enriched topic carries OTLP protobuf; read it the way a Collector's kafka receiver would.
    enriched = driver.createOutputTopic(topics.enriched().name(), new StringDeserializer(),
        (topic, bytes) -> parseTraces(bytes));
    deadLetters = driver.createOutputTopic(topics.deadLetters().name(), new ByteArrayDeserializer(), new ByteArrayDeserializer());
    docs = driver.createOutputTopic(topics.docs().name(), new StringDeserializer(), new ByteArrayDeserializer());
    metrics = driver.createOutputTopic(topics.metrics().name(), new StringDeserializer(), new ByteArrayDeserializer());
    unpriced = driver.createOutputTopic(topics.unpriced().name(), new StringDeserializer(),
        new JsonSerde<>(UnpricedModel.class).deserializer());
  }

  private static TracesData parseTraces(byte[] bytes) {
    try {
      return TracesData.parseFrom(bytes);
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw new AssertionError("the enriched topic holds a record that is not OTLP protobuf", e);
    }
  }

  /** Publishes a real LiteLLM snapshot as cards effective from {@code from}. */
  public int loadSnapshot(String file, Instant from) {
    try (InputStream in = Files.newInputStream(SharedData.pricing(file))) {
      List<PriceCard> cards = LiteLlmCatalog.read(in, "litellm " + file, from).cards();
      cards.forEach(this::publish);
      return cards.size();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  public void publish(PriceCard card) {
    pricing.pipeInput(card.key(), PriceCardCodec.toBytes(card));
  }

  public List<TestRecord<String, TracesData>> enrichedRecords() {
    return enriched.readRecordsToList();
  }

  /** Every span of every enriched batch written so far (consumes the output). */
  public List<Span> enrichedSpans() {
    List<Span> out = new ArrayList<>();
    for (TracesData td : enriched.readValuesToList()) {
      for (ResourceSpans rs : td.getResourceSpansList()) {
        for (ScopeSpans ss : rs.getScopeSpansList()) {
          out.addAll(ss.getSpansList());
        }
      }
    }
    return out;
  }

  /** The single enriched span of a one-span input. */
  public Span onlySpan() {
    List<Span> spans = enrichedSpans();
    if (spans.size() != 1) {
      throw new AssertionError("expected exactly one enriched span, got " + spans.size());
    }
    return spans.get(0);
  }

  public static Map<String, AnyValue> attributes(Span span) {
    Map<String, AnyValue> m = new HashMap<>();
    for (KeyValue kv : span.getAttributesList()) {
      if (m.put(kv.getKey(), kv.getValue()) != null) {
        throw new AssertionError("attribute " + kv.getKey() + " appears twice on span " + span.getName());
      }
    }
    return m;
  }

  public static String str(Span span, String key) {
    AnyValue v = attributes(span).get(key);
    return v == null ? null : v.getStringValue();
  }

  public static Long integer(Span span, String key) {
    AnyValue v = attributes(span).get(key);
    return v == null ? null : v.getIntValue();
  }

  public static Double dbl(Span span, String key) {
    AnyValue v = attributes(span).get(key);
    return v == null ? null : v.getDoubleValue();
  }

  @Override
  public void close() {
    driver.close();
  }
}
