package io.tokenmeter.app;

import io.tokenmeter.kafka.KafkaClientSettings;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigDef.ValidString;
import org.apache.kafka.streams.StreamsConfig;

/**
 * tokenmeter's settings: one definition each (name, type, default, documentation), read from
 * {@code TOKENMETER_<NAME>} environment variables (name upper-cased, '.' to '_'), a properties
 * file and {@code --set name=value}, in that order of precedence, last wins. Kafka's own
 * {@link ConfigDef} does the typing, validation and documentation. Kafka client settings pass
 * through as {@code TOKENMETER_KAFKA_*} (see {@link KafkaClientSettings}).
 */
public final class TokenmeterConfig extends AbstractConfig {
  public static final String BOOTSTRAP_SERVERS = "bootstrap.servers";
  public static final String APPLICATION_ID = "application.id";
  public static final String STATE_DIR = "state.dir";
  public static final String PROCESSING_GUARANTEE = "processing.guarantee";
  public static final String COMMIT_INTERVAL_MS = "commit.interval.ms";
  public static final String NUM_STREAM_THREADS = "num.stream.threads";
  public static final String TOPIC_INPUT = "topic.input";
  public static final String TOPIC_PRICING = "topic.pricing";
  public static final String TOPIC_ENRICHED = "topic.enriched";
  public static final String TOPIC_DOCS = "topic.docs";
  public static final String TOPIC_METRICS = "topic.metrics";
  public static final String TOPIC_DEAD_LETTERS = "topic.dead.letters";
  public static final String TOPIC_UNPRICED = "topic.unpriced";
  public static final String DEDUP_WINDOW_MS = "dedup.window.ms";
  public static final String DEDUP_EXPECTED_TRACES = "dedup.expected.traces";
  public static final String MAX_RECORD_BYTES = "input.max.record.bytes";
  public static final String METRICS_WINDOW_MS = "metrics.window.ms";
  public static final String METRICS_GRACE_MS = "metrics.grace.ms";
  public static final String METRICS_FLUSH_INTERVAL_MS = "metrics.flush.interval.ms";
  public static final String METRICS_LABELS = "metrics.labels";
  public static final String METRICS_LABEL_MAX_VALUES = "metrics.label.max.values";
  public static final String METRICS_FEATURE_ATTRIBUTES = "metrics.feature.attributes";
  public static final String SINK_DOCS_ENABLED = "sink.docs.enabled";
  public static final String SINK_FORMAT = "sink.format";
  public static final String SINK_CONTENT_ALLOW = "sink.content.allow";
  public static final String SINK_SAMPLE_FRACTION = "sink.sample.fraction";
  public static final String SINK_KEEP_COST_USD = "sink.keep.cost.usd";
  public static final String SINK_KEEP_DURATION = "sink.keep.duration";
  public static final String SINK_ELASTIC_DATASET = "sink.elastic.dataset";
  public static final String SINK_ELASTIC_NAMESPACE = "sink.elastic.namespace";
  public static final String DEAD_LETTERS_PAYLOAD = "dead.letters.payload";
  public static final String HTTP_BASIC_AUTH_USER = "http.basic.auth.user";
  public static final String HTTP_BASIC_AUTH_PASSWORD = "http.basic.auth.password";
  public static final String HTTP_TLS_KEYSTORE = "http.tls.keystore";
  public static final String HTTP_TLS_KEYSTORE_PASSWORD = "http.tls.keystore.password";
  public static final String HTTP_TLS_KEYSTORE_TYPE = "http.tls.keystore.type";
  public static final String MAX_OUTPUT_BYTES = "output.max.record.bytes";
  public static final String HTTP_HOST = "http.host";
  public static final String HTTP_PORT = "http.port";

  public static final String ENV_PREFIX = "TOKENMETER_";

  public static final ConfigDef DEFINITION = new ConfigDef()
      .define(BOOTSTRAP_SERVERS, Type.LIST, "", Importance.HIGH,
          "Kafka bootstrap servers (host:port,...). Required unless the demo starts its own broker.")
      .define(APPLICATION_ID, Type.STRING, "tokenmeter", new ConfigDef.NonEmptyString(), Importance.HIGH,
          "Kafka Streams application.id: the consumer group, and the prefix of internal topics and transactional ids.")
      .define(STATE_DIR, Type.STRING, "/tmp/tokenmeter-state", Importance.MEDIUM,
          "Directory for local state (dedup and aggregation stores). On Kubernetes, a persistent volume.")
      .define(PROCESSING_GUARANTEE, Type.STRING, StreamsConfig.EXACTLY_ONCE_V2,
          ValidString.in(StreamsConfig.EXACTLY_ONCE_V2, StreamsConfig.AT_LEAST_ONCE), Importance.HIGH,
          "exactly_once_v2 (default): no span lost or priced twice. at_least_once: duplicates possible after a crash.")
      .define(COMMIT_INTERVAL_MS, Type.LONG, 100L, Range.atLeast(10), Importance.MEDIUM,
          "How often Kafka Streams commits (one transaction per commit under exactly-once). Longer means higher throughput and more end-to-end latency.")
      .define(NUM_STREAM_THREADS, Type.INT, 1, Range.between(1, 64), Importance.MEDIUM,
          "Stream threads in this instance.")
      .define(TOPIC_INPUT, Type.STRING, "otlp_spans", new ConfigDef.NonEmptyString(), Importance.HIGH,
          "Input: one OTLP TracesData per record (protobuf or OTLP/JSON), as the Collector's kafka exporter writes it.")
      .define(TOPIC_PRICING, Type.STRING, "llm-pricing", new ConfigDef.NonEmptyString(), Importance.HIGH,
          "Compacted topic of price cards, written by pricing-loader.")
      .define(TOPIC_ENRICHED, Type.STRING, "llm-spans-enriched", new ConfigDef.NonEmptyString(), Importance.HIGH,
          "Output: enriched TracesData protobuf, one batch per input record, readable by a Collector kafkareceiver.")
      .define(TOPIC_DOCS, Type.STRING, "llm-span-docs", new ConfigDef.NonEmptyString(), Importance.MEDIUM,
          "Output: one JSON document per span for Elasticsearch / OpenSearch.")
      .define(TOPIC_METRICS, Type.STRING, "llm-metrics", new ConfigDef.NonEmptyString(), Importance.MEDIUM,
          "Output: per-window metric aggregates.")
      .define(TOPIC_DEAD_LETTERS, Type.STRING, "llm-dead-letters", new ConfigDef.NonEmptyString(), Importance.HIGH,
          "Records that could not be processed, with the reason in headers.")
      .define(TOPIC_UNPRICED, Type.STRING, "llm-unpriced-models", new ConfigDef.NonEmptyString(), Importance.MEDIUM,
          "Compacted: one record per (provider, model) seen without a price.")
      .define(DEDUP_WINDOW_MS, Type.LONG, 600_000L, Range.atLeast(0), Importance.MEDIUM,
          "A span (trace id + span id) seen again within this many milliseconds is dropped as a duplicate (Collector retries). 0 disables duplicate detection.")
      .define(DEDUP_EXPECTED_TRACES, Type.LONG, 2_000_000L, Range.between(1_000L, 1_000_000_000L), Importance.LOW,
          "Distinct traces one task expects per dedup window. Sizes the in-memory Bloom filter that spares the dedup store a lookup for traces never seen (about 1.2 bytes per trace and generation, heap). Too low only costs store lookups, never a missed duplicate.")
      .define(MAX_RECORD_BYTES, Type.INT, 16 * 1024 * 1024, Range.atLeast(1024), Importance.LOW,
          "Input records larger than this are dead-lettered without being decoded.")
      .define(METRICS_WINDOW_MS, Type.LONG, 60_000L, Range.atLeast(1_000), Importance.MEDIUM,
          "Size of the tumbling windows of llm-metrics, by span end time.")
      .define(METRICS_GRACE_MS, Type.LONG, 60_000L, Range.atLeast(0), Importance.MEDIUM,
          "How long after a window ends spans may still arrive and count in it. Later spans count in the Prometheus counters only.")
      .define(METRICS_FLUSH_INTERVAL_MS, Type.LONG, 1_000L, Range.atLeast(100), Importance.LOW,
          "How often each task hands its partial aggregates to the window aggregation (wall-clock).")
      .define(METRICS_LABELS, Type.LIST, "service,provider,model,operation,feature",
          ConfigDef.ValidList.in("service", "provider", "model", "operation", "feature"), Importance.MEDIUM,
          "Labels kept on the llm_* series; a label left out is empty. The per-metric labels (outcome, token_type, ...) always stay.")
      .define(METRICS_LABEL_MAX_VALUES, Type.INT, 200, Range.atLeast(1), Importance.MEDIUM,
          "Distinct values a label may take per instance; further values become _other and count in tokenmeter_series_overflow_total.")
      .define(METRICS_FEATURE_ATTRIBUTES, Type.LIST, "llm.feature,traceloop.workflow.name,gen_ai.agent.name", Importance.MEDIUM,
          "Span attributes whose first present value becomes the feature label. Empty: no feature label.")
      .define(SINK_DOCS_ENABLED, Type.BOOLEAN, false, Importance.MEDIUM,
          "Write one JSON document per span to topic.docs (for Kafka Connect into Elasticsearch / OpenSearch). Off by default: it multiplies the records written per input record.")
      .define(SINK_FORMAT, Type.STRING, "opensearch", ValidString.in("opensearch", "elastic"), Importance.MEDIUM,
          "Document layout: opensearch (Data Prepper trace-analytics-raw, for Trace Analytics) or elastic (traces-*.otel-* data streams).")
      .define(SINK_CONTENT_ALLOW, Type.LIST, "", Importance.MEDIUM,
          "Prompt/completion attributes (globs, e.g. gen_ai.input.messages) kept in sink output; by default all content is dropped from llm-spans-enriched and the documents.")
      .define(SINK_SAMPLE_FRACTION, Type.DOUBLE, 1.0, Range.between(0.0, 1.0), Importance.MEDIUM,
          "Fraction of traces whose documents are written (trace-consistent). Errors, unpriced calls and the thresholds below are always kept. Metrics never see this sampling.")
      .define(SINK_KEEP_COST_USD, Type.STRING, "", Importance.LOW,
          "Always write documents of calls costing at least this many USD (empty: off).")
      .define(SINK_KEEP_DURATION, Type.STRING, "", Importance.LOW,
          "Always write documents of spans lasting at least this long, e.g. 5s or PT5S (empty: off).")
      .define(SINK_ELASTIC_DATASET, Type.STRING, "tokenmeter", Importance.LOW,
          "Elastic layout: data_stream.dataset (documents go to traces-<dataset>.otel-<namespace>).")
      .define(SINK_ELASTIC_NAMESPACE, Type.STRING, "default", Importance.LOW,
          "Elastic layout: data_stream.namespace.")
      .define(DEAD_LETTERS_PAYLOAD, Type.STRING, "full", ValidString.in("full", "metadata"), Importance.MEDIUM,
          "full: a dead letter carries the original key and value (prompts included: restrict the topic's ACLs). metadata: the value is dropped, only the key and the error headers (reason, topic, partition, offset) are written.")
      .define(HTTP_BASIC_AUTH_USER, Type.STRING, "", Importance.MEDIUM,
          "When set (with the password), /metrics requires HTTP basic authentication. The /health endpoints stay open for probes.")
      .define(HTTP_BASIC_AUTH_PASSWORD, Type.PASSWORD, "", Importance.MEDIUM,
          "Password for /metrics basic authentication.")
      .define(HTTP_TLS_KEYSTORE, Type.STRING, "", Importance.MEDIUM,
          "Keystore file (PKCS12 by default) with the server certificate: when set, the endpoints are served over HTTPS.")
      .define(HTTP_TLS_KEYSTORE_PASSWORD, Type.PASSWORD, "", Importance.MEDIUM,
          "Password of the keystore and its key.")
      .define(HTTP_TLS_KEYSTORE_TYPE, Type.STRING, "PKCS12", Importance.LOW,
          "Keystore type (PKCS12 or JKS).")
      .define(MAX_OUTPUT_BYTES, Type.INT, 1_000_000, Range.atLeast(1024), Importance.MEDIUM,
          "Enriched batches larger than this are split into several records (no span lost), to stay under the sink topic's max.message.bytes (1 MB by default). A single span larger than this is dead-lettered (output_too_large, metadata only).")
      .define(HTTP_HOST, Type.STRING, "0.0.0.0", Importance.LOW,
          "Address the HTTP endpoints (/metrics, /health/live, /health/ready) bind to.")
      .define(HTTP_PORT, Type.INT, 8080, Range.between(0, 65535), Importance.MEDIUM,
          "Port of the HTTP endpoints; 0 picks a free port.");

  private final Map<String, String> kafkaClient;

  public TokenmeterConfig(Map<String, ?> settings, Map<String, String> kafkaClient) {
    super(DEFINITION, settings, false);
    this.kafkaClient = Map.copyOf(kafkaClient);
  }

  /** Settings from the environment, then the file's, then the explicit overrides. */
  public static TokenmeterConfig load(Map<String, String> env, Map<String, String> file, Map<String, String> overrides) {
    Map<String, String> settings = new HashMap<>();
    Map<String, String> kafka = new TreeMap<>(KafkaClientSettings.fromEnv(env));
    for (String name : DEFINITION.names()) {
      String v = env.get(envVar(name));
      if (v != null) {
        settings.put(name, v);
      }
    }
    for (Map<String, String> layer : java.util.List.of(file, overrides)) {
      layer.forEach((k, v) -> {
        if (DEFINITION.names().contains(k)) {
          settings.put(k, v);
        } else {
          kafka.put(k, v); // anything else is a Kafka client / Streams setting
        }
      });
    }
    return new TokenmeterConfig(settings, kafka);
  }

  public static String envVar(String name) {
    return ENV_PREFIX + name.toUpperCase(Locale.ROOT).replace('.', '_');
  }

  public io.tokenmeter.metrics.MetricsSettings metricsSettings() {
    return new io.tokenmeter.metrics.MetricsSettings(
        java.time.Duration.ofMillis(getLong(METRICS_WINDOW_MS)), java.time.Duration.ofMillis(getLong(METRICS_GRACE_MS)),
        java.time.Duration.ofMillis(getLong(METRICS_FLUSH_INTERVAL_MS)), java.util.Set.copyOf(getList(METRICS_LABELS)),
        getInt(METRICS_LABEL_MAX_VALUES), getList(METRICS_FEATURE_ATTRIBUTES));
  }

  /** The sink settings, validated by the sink module's own parser (its TOKENMETER_SINK_* names are ours). */
  public io.tokenmeter.sink.SinkSettings sinkSettings() {
    Map<String, String> env = new HashMap<>();
    env.put(envVar(SINK_FORMAT), getString(SINK_FORMAT));
    if (!getList(SINK_CONTENT_ALLOW).isEmpty()) {
      env.put(envVar(SINK_CONTENT_ALLOW), String.join(",", getList(SINK_CONTENT_ALLOW)));
    }
    env.put(envVar(SINK_SAMPLE_FRACTION), String.valueOf(getDouble(SINK_SAMPLE_FRACTION)));
    for (String optional : java.util.List.of(SINK_KEEP_COST_USD, SINK_KEEP_DURATION)) {
      if (!getString(optional).isBlank()) {
        env.put(envVar(optional), getString(optional));
      }
    }
    env.put(envVar(SINK_ELASTIC_DATASET), getString(SINK_ELASTIC_DATASET));
    env.put(envVar(SINK_ELASTIC_NAMESPACE), getString(SINK_ELASTIC_NAMESPACE));
    try {
      return io.tokenmeter.sink.SinkSettings.fromEnvironment(env);
    } catch (IllegalArgumentException e) {
      throw new org.apache.kafka.common.config.ConfigException(e.getMessage());
    }
  }

  /** The HTTP endpoints' security settings, validated: user and password come together. */
  public HttpEndpoints.Security httpSecurity() {
    String user = getString(HTTP_BASIC_AUTH_USER);
    String password = getPassword(HTTP_BASIC_AUTH_PASSWORD).value();
    if (user.isEmpty() != password.isEmpty()) {
      throw new org.apache.kafka.common.config.ConfigException(
          "http.basic.auth.user and http.basic.auth.password must be set together");
    }
    String keystore = getString(HTTP_TLS_KEYSTORE);
    return new HttpEndpoints.Security(user.isEmpty() ? null : user, password.isEmpty() ? null : password,
        keystore.isEmpty() ? null : java.nio.file.Path.of(keystore), getPassword(HTTP_TLS_KEYSTORE_PASSWORD).value(),
        getString(HTTP_TLS_KEYSTORE_TYPE));
  }

  public String bootstrapServers() {
    return String.join(",", getList(BOOTSTRAP_SERVERS));
  }

  public Map<String, String> kafkaClient() {
    return kafkaClient;
  }

  /** Every effective setting, secrets masked, for the start-up banner. */
  public Map<String, String> describe() {
    Map<String, String> out = new LinkedHashMap<>();
    for (String name : new TreeMap<>(DEFINITION.configKeys()).keySet()) {
      Object v = values().get(name);
      if (v instanceof org.apache.kafka.common.config.types.Password pw) {
        v = pw.value().isEmpty() ? "" : "****";
      }
      out.put(name, KafkaClientSettings.masked(name, v instanceof java.util.List<?> l ? String.join(",", l.stream().map(String::valueOf).toList()) : v));
    }
    kafkaClient.forEach((k, v) -> out.put("kafka: " + k, KafkaClientSettings.masked(k, v)));
    return out;
  }

  /** The settings reference, for {@code tokenmeter config} and the docs. */
  public static String documentation() {
    StringBuilder sb = new StringBuilder();
    sb.append("| setting | env var | type | default | description |\n|---|---|---|---|---|\n");
    for (ConfigDef.ConfigKey k : new TreeMap<>(DEFINITION.configKeys()).values()) {
      Object def = k.hasDefault() ? k.defaultValue : "(required)";
      if (def instanceof java.util.List<?> l) {
        def = l.isEmpty() ? "" : String.join(",", l.stream().map(String::valueOf).toList());
      }
      sb.append("| `").append(k.name).append("` | `").append(envVar(k.name)).append("` | ")
          .append(k.type.name().toLowerCase(Locale.ROOT)).append(" | `").append(def).append("` | ")
          .append(k.documentation).append(" |\n");
    }
    sb.append("| (any Kafka client or Streams setting) | `TOKENMETER_KAFKA_<NAME>` | | | e.g. `TOKENMETER_KAFKA_SECURITY_PROTOCOL=SASL_SSL` sets `security.protocol` |\n");
    return sb.toString();
  }

  /** The Kafka Streams configuration (WordCountDemo's streamsConfig): ours, then client pass-through. */
  public Properties streamsProperties() {
    Properties p = new Properties();
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, getString(APPLICATION_ID));
    p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
    p.put(StreamsConfig.STATE_DIR_CONFIG, getString(STATE_DIR));
    p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, getString(PROCESSING_GUARANTEE));
    p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, getLong(COMMIT_INTERVAL_MS));
    p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, getInt(NUM_STREAM_THREADS));
    p.put(StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG, getString(TOPIC_DEAD_LETTERS));
    p.put(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLetterHandlers.Deserialization.class);
    p.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLetterHandlers.Processing.class);
    p.put(DeadLetterHandlers.PAYLOAD_CONFIG, getString(DEAD_LETTERS_PAYLOAD));
    p.put("processing.exception.handler.global.enabled", true);
    // Large OTLP batches: let the producer send what the consumer accepted.
    p.put(StreamsConfig.producerPrefix("max.request.size"), Math.max(getInt(MAX_RECORD_BYTES) * 2, 1_048_576));
    p.put(StreamsConfig.producerPrefix("compression.type"), "lz4");
    p.putAll(kafkaClient);
    return p;
  }
}
