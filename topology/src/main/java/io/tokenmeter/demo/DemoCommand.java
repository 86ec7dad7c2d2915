package io.tokenmeter.demo;

import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.proto.trace.v1.TracesData;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.tokenmeter.app.StreamsApp;
import io.tokenmeter.app.TokenmeterConfig;
import io.tokenmeter.app.TopicSetup;
import io.tokenmeter.app.Topics;
import io.tokenmeter.pricing.LiteLlmCatalog;
import io.tokenmeter.pricing.PriceCard;
import io.tokenmeter.pricing.PriceCardCodec;
import java.io.InputStream;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code tokenmeter demo}: the whole pipeline on this machine, no Docker, no API keys. Starts a
 * real single-node KRaft broker in the JVM (or uses {@code --bootstrap-servers}), publishes the
 * bundled LiteLLM price snapshot, runs the topology, sends SDK-made LLM traffic in several
 * dialects, and prints cost and tokens per model as read back from {@code llm-spans-enriched}.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
    description = "Run tokenmeter on an embedded Kafka broker with bundled prices and sample LLM traffic.")
public final class DemoCommand implements Callable<Integer> {
  public static final String BUNDLED_PRICES = "/pricing/litellm-2025-09-01.json";

  @Option(names = "--duration", description = "Stop after this long (ISO-8601 like PT60S, or 60s / 5m); default: run until Ctrl-C.")
  String duration;

  @Option(names = "--bootstrap-servers", description = "Use this Kafka instead of the embedded broker (env TOKENMETER_BOOTSTRAP_SERVERS).")
  String bootstrapServers;

  @Option(names = "--rate", defaultValue = "20", description = "Sample requests (traces) per second (default ${DEFAULT-VALUE}).")
  int rate;

  @Option(names = "--http-port", defaultValue = "8080", description = "Port of /metrics and /health (default ${DEFAULT-VALUE}; 0 = any free port).")
  int httpPort;

  @Option(names = "--report-every", defaultValue = "10s", description = "How often to print the cost table (default ${DEFAULT-VALUE}).")
  String reportEvery;

  @Override
  public Integer call() throws Exception {
    Duration runFor = duration == null ? null : parseDuration(duration);
    Duration every = parseDuration(reportEvery);
    String bootstrap = bootstrapServers != null ? bootstrapServers : System.getenv("TOKENMETER_BOOTSTRAP_SERVERS");
    EmbeddedKafka embedded = null;
    if (bootstrap == null || bootstrap.isBlank()) {
      System.out.println("Starting an embedded single-node KRaft Kafka broker ...");
      embedded = startQuietly();
      bootstrap = embedded.bootstrapServers();
      System.out.println("Embedded Kafka is up at " + bootstrap);
    }
    Map<String, String> settings = new HashMap<>();
    settings.put(TokenmeterConfig.BOOTSTRAP_SERVERS, bootstrap);
    settings.put(TokenmeterConfig.HTTP_PORT, String.valueOf(httpPort));
    settings.put(TokenmeterConfig.STATE_DIR, System.getProperty("java.io.tmpdir") + "/tokenmeter-demo-" + UUID.randomUUID());
    settings.put(TokenmeterConfig.APPLICATION_ID, "tokenmeter-demo");
    TokenmeterConfig config = TokenmeterConfig.load(System.getenv(), Map.of(), settings);
    Topics topics = Topics.from(config);
    Properties client = clientProps(config);
    TopicSetup.createMissing(client, topics.all(), 2, (short) 1);

    int cards = publishBundledPrices(client, topics.pricing().name());
    System.out.println("Published " + cards + " price cards from the bundled LiteLLM snapshot (" + BUNDLED_PRICES + ")");

    CostReport report = new CostReport();
    AtomicBoolean stop = new AtomicBoolean();
    try (StreamsApp app = new StreamsApp(config)) {
      app.start();
      if (!app.awaitRunning(Duration.ofSeconds(60))) {
        System.err.println("tokenmeter did not reach RUNNING; state " + app.state());
        return 1;
      }
      System.out.println("tokenmeter is RUNNING. Metrics: http://localhost:" + app.httpPort() + "/metrics");
      Thread reader = new Thread(() -> readEnriched(client, topics.enriched().name(), report, stop), "demo-report-reader");
      reader.setDaemon(true);
      reader.start();
      Runtime.getRuntime().addShutdownHook(new Thread(() -> stop.set(true)));

      try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(producerProps(client));
           SdkTracerProvider tracing = SdkTracerProvider.builder()
               .setResource(Resource.getDefault().merge(Resource.create(Attributes.builder()
                   .put("service.name", "assistant-api").put("deployment.environment.name", "demo").build())))
               .addSpanProcessor(BatchSpanProcessor.builder(new KafkaSpanExporter(
                       (key, bytes) -> producer.send(new ProducerRecord<>(topics.input().name(), key, bytes)),
                       KafkaSpanExporter.Encoding.PROTOBUF))
                   .setScheduleDelay(Duration.ofMillis(200)).build())
               .build()) {
        SampleTraffic traffic = new SampleTraffic(tracing.get("tokenmeter-demo"), 42);
        long started = System.nanoTime();
        long nextReport = started + every.toNanos();
        long sent = 0;
        while (!stop.get() && !app.failed()
            && (runFor == null || System.nanoTime() - started < runFor.toNanos())) {
          traffic.emitOne();
          sent++;
          long due = started + sent * 1_000_000_000L / Math.max(1, rate);
          long wait = due - System.nanoTime();
          if (wait > 0) {
            Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
          }
          if (System.nanoTime() >= nextReport) {
            report.print(System.out);
            nextReport += every.toNanos();
          }
        }
        tracing.forceFlush().join(10, java.util.concurrent.TimeUnit.SECONDS);
        producer.flush();
        System.out.println("\nSent " + sent + " sample requests; waiting for the last results ...");
      }
      Thread.sleep(3_000);
      stop.set(true);
      reader.join(5_000);
      report.print(System.out);
      return app.failed() ? 1 : 0;
    } finally {
      if (embedded != null) {
        embedded.close();
      }
    }
  }

  /** The test kit prints its storage formatting to stdout; the demo's stdout is the report. */
  private static EmbeddedKafka startQuietly() throws Exception {
    java.io.PrintStream stdout = System.out;
    System.setOut(new java.io.PrintStream(java.io.OutputStream.nullOutputStream()));
    try {
      return EmbeddedKafka.start();
    } finally {
      System.setOut(stdout);
    }
  }

  static Duration parseDuration(String s) {
    String t = s.trim().toLowerCase(java.util.Locale.ROOT);
    if (t.startsWith("p")) {
      return Duration.parse(t.toUpperCase(java.util.Locale.ROOT));
    }
    long n = Long.parseLong(t.replaceAll("[a-z]+$", ""));
    return switch (t.replaceAll("^[0-9]+", "")) {
      case "ms" -> Duration.ofMillis(n);
      case "", "s" -> Duration.ofSeconds(n);
      case "m" -> Duration.ofMinutes(n);
      case "h" -> Duration.ofHours(n);
      default -> throw new IllegalArgumentException("duration '" + s + "': use 60s, 5m, 1h or PT60S");
    };
  }

  static Properties clientProps(TokenmeterConfig config) {
    Properties p = new Properties();
    p.putAll(config.kafkaClient());
    p.put("bootstrap.servers", config.bootstrapServers());
    return p;
  }

  private static Properties producerProps(Properties client) {
    Properties p = new Properties();
    p.putAll(client);
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    p.put(ProducerConfig.LINGER_MS_CONFIG, 20);
    return p;
  }

  /** The bundled snapshot as first cards (effective from the beginning of time). */
  public static List<PriceCard> bundledCards() throws java.io.IOException {
    try (InputStream in = DemoCommand.class.getResourceAsStream(BUNDLED_PRICES)) {
      if (in == null) {
        throw new IllegalStateException("bundled price snapshot " + BUNDLED_PRICES + " is missing from the jar");
      }
      return LiteLlmCatalog.read(in, "litellm 2025-09-01 (bundled)", PriceCard.BEGINNING_OF_TIME).cards();
    }
  }

  static int publishBundledPrices(Properties client, String topic) throws Exception {
    List<PriceCard> cards = bundledCards();
    try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(producerProps(client))) {
      for (PriceCard c : cards) {
        producer.send(new ProducerRecord<>(topic, c.key(), PriceCardCodec.toBytes(c)));
      }
      producer.flush();
    }
    return cards.size();
  }

  private static void readEnriched(Properties client, String topic, CostReport report, AtomicBoolean stop) {
    Properties p = new Properties();
    p.putAll(client);
    p.put(ConsumerConfig.GROUP_ID_CONFIG, "tokenmeter-demo-report-" + UUID.randomUUID());
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(p)) {
      consumer.subscribe(List.of(topic));
      while (!stop.get()) {
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
          try {
            report.add(TracesData.parseFrom(r.value()));
          } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            System.err.println("unreadable enriched record at offset " + r.offset() + ": " + e.getMessage());
          }
        }
      }
    }
  }
}
