package io.tokenmeter.reliability;

import io.tokenmeter.app.TokenmeterConfig;
import io.tokenmeter.kafka.KafkaClientSettings;
import io.tokenmeter.pricing.PriceCard;
import io.tokenmeter.pricing.PriceCardCodec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * One scenario's world on a broker: its own topics, application id and state directories, and the
 * application settings it runs with. Settings are tokenmeter setting names ({@link TokenmeterConfig})
 * and Kafka client property names; {@link #environment()} turns them into the {@code TOKENMETER_*}
 * variables the packaged application reads, exactly as an operator would set them.
 */
final class Scenario {
  /** Window size of llm-metrics in the suite: short, so that a run spans several windows. */
  static final long WINDOW_MS = 10_000;
  /** Grace: longer than any run, so windows close only when the final "tick" moves span time on. */
  static final long GRACE_MS = 3_600_000;

  final String id;
  final Broker broker;
  final int partitions;
  final String applicationId;
  final String input;
  final String pricing;
  final String enriched;
  final String docs;
  final String metrics;
  final String deadLetters;
  final String unpriced;
  /** tokenmeter settings (names as in {@link TokenmeterConfig}). */
  final Map<String, String> settings = new LinkedHashMap<>();
  /** Kafka client / Streams settings, passed as {@code TOKENMETER_KAFKA_*}. */
  final Map<String, String> kafka = new LinkedHashMap<>();
  /** Other environment variables (interfaces the suite proposes to the topology, for example). */
  final Map<String, String> extraEnv = new LinkedHashMap<>();

  private Scenario(String id, Broker broker, int partitions, Map<String, String> topicNames, String applicationId) {
    this.id = id;
    this.broker = broker;
    this.partitions = partitions;
    this.applicationId = applicationId;
    this.input = topicNames.get(TokenmeterConfig.TOPIC_INPUT);
    this.pricing = topicNames.get(TokenmeterConfig.TOPIC_PRICING);
    this.enriched = topicNames.get(TokenmeterConfig.TOPIC_ENRICHED);
    this.docs = topicNames.get(TokenmeterConfig.TOPIC_DOCS);
    this.metrics = topicNames.get(TokenmeterConfig.TOPIC_METRICS);
    this.deadLetters = topicNames.get(TokenmeterConfig.TOPIC_DEAD_LETTERS);
    this.unpriced = topicNames.get(TokenmeterConfig.TOPIC_UNPRICED);
    settings.put(TokenmeterConfig.BOOTSTRAP_SERVERS, broker.bootstrapServers());
    settings.put(TokenmeterConfig.APPLICATION_ID, applicationId);
    settings.putAll(topicNames);
    settings.put(TokenmeterConfig.METRICS_WINDOW_MS, String.valueOf(WINDOW_MS));
    settings.put(TokenmeterConfig.METRICS_GRACE_MS, String.valueOf(GRACE_MS));
    settings.put(TokenmeterConfig.METRICS_FLUSH_INTERVAL_MS, "500");
    // A killed member must not hold its partitions for the default 45 s.
    kafka.put("session.timeout.ms", "6000");
    kafka.put("heartbeat.interval.ms", "1000");
    kafka.putAll(broker.appClientSettings());
  }

  /** A scenario with its own topics, suffixed with its id, created on the broker. */
  static Scenario create(String id, Broker broker, int partitions) throws Exception {
    Map<String, String> names = new LinkedHashMap<>();
    for (String t : List.of(TokenmeterConfig.TOPIC_INPUT, TokenmeterConfig.TOPIC_PRICING, TokenmeterConfig.TOPIC_ENRICHED,
        TokenmeterConfig.TOPIC_DOCS, TokenmeterConfig.TOPIC_METRICS, TokenmeterConfig.TOPIC_DEAD_LETTERS,
        TokenmeterConfig.TOPIC_UNPRICED)) {
      names.put(t, t.replace("topic.", "").replace('.', '-') + "-" + id);
    }
    return create(id, broker, partitions, names, "tm-" + id);
  }

  /** A scenario with the given topic names (setting name to topic) and application id; topics created on the broker. */
  static Scenario create(String id, Broker broker, int partitions, Map<String, String> topicNames, String applicationId)
      throws Exception {
    Scenario s = new Scenario(id, broker, partitions, topicNames, applicationId);
    broker.createTopics(List.copyOf(topicNames.values()), List.of(s.pricing, s.unpriced), partitions);
    return s;
  }

  Scenario set(String setting, String value) {
    settings.put(setting, value);
    return this;
  }

  Scenario kafka(String property, String value) {
    kafka.put(property, value);
    return this;
  }

  Scenario env(String name, String value) {
    extraEnv.put(name, value);
    return this;
  }

  List<String> outputTopics() {
    return List.of(enriched, docs, metrics, deadLetters, unpriced);
  }

  /** A fresh state directory (one per instance; a restarted instance keeps its own). */
  Path newStateDir() {
    try {
      return Files.createTempDirectory("tokenmeter-rel-" + id + "-state");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The environment of the application process, as documented in docs/CONTRACTS.md. */
  Map<String, String> environment() {
    Map<String, String> env = new LinkedHashMap<>();
    settings.forEach((k, v) -> env.put(TokenmeterConfig.envVar(k), v));
    kafka.forEach((k, v) -> env.put(KafkaClientSettings.ENV_PREFIX + k.toUpperCase(Locale.ROOT).replace('.', '_'), v));
    env.putAll(extraEnv);
    return env;
  }

  KafkaProducer<String, byte[]> producer() {
    Properties p = broker.clientProperties();
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 40 * 1024 * 1024);
    p.put(ProducerConfig.BUFFER_MEMORY_CONFIG, 128L * 1024 * 1024);
    return new KafkaProducer<>(p);
  }

  /** Publishes price cards (as pricing-loader writes them) and waits for the acknowledgements. */
  void publishCards(PriceCard... cards) throws Exception {
    try (KafkaProducer<String, byte[]> producer = producer()) {
      for (PriceCard c : cards) {
        producer.send(new ProducerRecord<>(pricing, c.key(), PriceCardCodec.toBytes(c))).get();
      }
    }
  }

  /** Publishes raw records to the pricing topic: malformed cards, tombstones (null value). */
  void publishPricingRaw(String key, byte[] value) throws Exception {
    try (KafkaProducer<String, byte[]> producer = producer()) {
      producer.send(new ProducerRecord<>(pricing, key, value)).get();
    }
  }
}
