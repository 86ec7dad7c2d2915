package io.tokenmeter.it;

import static io.tokenmeter.testing.TopologyHarness.dbl;
import static io.tokenmeter.testing.TopologyHarness.str;
import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.tokenmeter.app.DeadLetterHandlers;
import io.tokenmeter.app.StreamsApp;
import io.tokenmeter.app.TokenmeterConfig;
import io.tokenmeter.app.TopicSetup;
import io.tokenmeter.app.Topics;
import io.tokenmeter.demo.EmbeddedKafka;
import io.tokenmeter.otlp.OtlpIds;
import io.tokenmeter.pricing.PriceCard;
import io.tokenmeter.pricing.PriceCardCodec;
import io.tokenmeter.testing.SdkSpans;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * On a real KRaft broker in this JVM: the packaged application priced every LLM span exactly once,
 * read back with {@code read_committed}, through SIGKILLs mid-stream and a record delivered twice.
 */
class ExactlyOnceIT {
  private static EmbeddedKafka kafka;

  @BeforeAll
  static void startKafka() throws Exception {
    kafka = EmbeddedKafka.start();
  }

  @AfterAll
  static void stopKafka() throws Exception {
    if (kafka != null) {
      kafka.close();
    }
  }

  /** Settings of one test: its own topic names, application id and state directory. */
  private static Map<String, String> settings(String id) throws Exception {
    Map<String, String> s = new HashMap<>();
    s.put(TokenmeterConfig.BOOTSTRAP_SERVERS, kafka.bootstrapServers());
    s.put(TokenmeterConfig.APPLICATION_ID, "tokenmeter-" + id);
    s.put(TokenmeterConfig.STATE_DIR, Files.createTempDirectory("tokenmeter-it-" + id).toString());
    s.put(TokenmeterConfig.HTTP_PORT, "0");
    for (String t : List.of(TokenmeterConfig.TOPIC_INPUT, TokenmeterConfig.TOPIC_PRICING, TokenmeterConfig.TOPIC_ENRICHED,
        TokenmeterConfig.TOPIC_DOCS, TokenmeterConfig.TOPIC_METRICS, TokenmeterConfig.TOPIC_DEAD_LETTERS,
        TokenmeterConfig.TOPIC_UNPRICED)) {
      s.put(t, t.replace("topic.", "").replace('.', '-') + "-" + id);
    }
    return s;
  }

  private static Topics createTopics(TokenmeterConfig config) throws Exception {
    Topics topics = Topics.from(config);
    Properties admin = new Properties();
    admin.put("bootstrap.servers", kafka.bootstrapServers());
    TopicSetup.createMissing(admin, topics.all(), 2, (short) 1);
    return topics;
  }

  private static PriceCard card(String model, String input, String output, Instant from) {
    return new PriceCard(model, "acme", "chat", "USD", from, "it",
        Map.of("input", new BigDecimal(input), "output", new BigDecimal(output)), null, null, null);
  }

  private static void publish(String topic, PriceCard... cards) {
    List<ProducerRecord<String, byte[]>> records = new ArrayList<>();
    for (PriceCard c : cards) {
      records.add(new ProducerRecord<>(topic, c.key(), PriceCardCodec.toBytes(c)));
    }
    KafkaIo.send(kafka.bootstrapServers(), topic, records);
  }

  private static Process launch(Map<String, String> settings, Path log) throws Exception {
    Path jar = Path.of("target", "tokenmeter.jar").toAbsolutePath();
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException(jar + " is missing: integration tests run after 'package'");
    }
    ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx512m", "-jar", jar.toString(), "run");
    settings.forEach((k, v) -> pb.environment().put(TokenmeterConfig.envVar(k), v));
    pb.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    return pb.start();
  }

  @Test
  void shouldPriceEveryLlmSpanExactlyOnceThroughHardKillsAndRedelivery() throws Exception {
    // Given two price cards, and 600 traces made by the OTel SDK: an HTTP span and an LLM span each
    Map<String, String> s = settings("eos");
    TokenmeterConfig config = TokenmeterConfig.load(Map.of(), Map.of(), s);
    Topics topics = createTopics(config);
    publish(topics.pricing().name(), card("it-model-a", "0.000001", "0.000002", PriceCard.BEGINNING_OF_TIME),
        card("it-model-b", "0.000003", "0.000004", PriceCard.BEGINNING_OF_TIME));

    List<ProducerRecord<String, byte[]>> records = new ArrayList<>();
    Set<String> expectedLlmSpans = new HashSet<>();
    Set<String> expectedAllSpans = new HashSet<>();
    try (SdkSpans sdk = new SdkSpans("eos-it")) {
      for (int i = 0; i < 600; i++) {
        List<SpanData> trace = sdk.trace("POST /chat", Attributes.builder().put("http.request.method", "POST").build(),
            Instant.parse("2025-09-10T00:00:00Z").plusSeconds(i),
            List.of(Attributes.builder().put("gen_ai.provider.name", "acme")
                .put("gen_ai.request.model", i % 2 == 0 ? "it-model-a" : "it-model-b")
                .put("gen_ai.usage.input_tokens", 100 + i).put("gen_ai.usage.output_tokens", 10).build()));
        records.add(new ProducerRecord<>(topics.input().name(), trace.get(0).getTraceId(), SdkSpans.otlp(trace)));
        for (SpanData sd : trace) {
          expectedAllSpans.add(sd.getTraceId() + "/" + sd.getSpanId());
          if (sd.getName().endsWith(".doGenerate")) {
            expectedLlmSpans.add(sd.getTraceId() + "/" + sd.getSpanId());
          }
        }
      }
    }
    Path log = Files.createTempFile("tokenmeter-eos-it", ".log");
    String bootstrap = kafka.bootstrapServers();
    String enriched = topics.enriched().name();

    // When the app runs as its own JVM and is killed with SIGKILL twice while records flow,
    // and 100 records are delivered a second time (a Collector retry)
    KafkaIo.send(bootstrap, topics.input().name(), records.subList(0, 300));
    for (int kill = 0; kill < 2; kill++) {
      Process app = launch(s, log);
      int seen = KafkaIo.spanCount(KafkaIo.readCommitted(bootstrap, enriched, r -> KafkaIo.spanCount(r) > 0,
          Duration.ofSeconds(90)));
      assertThat(seen).as("output before kill %d; app log %s", kill, log).isPositive();
      if (kill == 0) {
        KafkaIo.send(bootstrap, topics.input().name(), records.subList(300, 600));
      } else {
        KafkaIo.send(bootstrap, topics.input().name(), records.subList(100, 200));
      }
      app.destroyForcibly().waitFor();
      System.out.printf("SIGKILL %d after %d committed spans%n", kill + 1, seen);
    }
    Process app = launch(s, log);
    try {
      List<ConsumerRecord<byte[], byte[]>> out = KafkaIo.readCommitted(bootstrap, enriched,
          r -> KafkaIo.spanCount(r) >= expectedAllSpans.size(), Duration.ofSeconds(120));
      // give a double-count the chance to show up
      out = KafkaIo.readCommitted(bootstrap, enriched, r -> false, Duration.ofSeconds(5));

      // Then every span is in the output exactly once, and every LLM span is priced once
      List<Span> spans = KafkaIo.spans(out);
      Map<String, Long> counts = spans.stream().collect(Collectors.groupingBy(
          sp -> OtlpIds.hex(sp.getTraceId()) + "/" + OtlpIds.hex(sp.getSpanId()), Collectors.counting()));
      Set<String> missing = new HashSet<>(expectedAllSpans);
      missing.removeAll(counts.keySet());
      long duplicated = counts.values().stream().filter(c -> c > 1).count();
      System.out.printf("exactly-once: expected %d spans, delivered %d, missing %d, duplicated %d%n",
          expectedAllSpans.size(), spans.size(), missing.size(), duplicated);
      assertThat(missing).as("missing spans; app log %s", log).isEmpty();
      assertThat(duplicated).as("duplicated spans").isZero();
      assertThat(spans).hasSize(expectedAllSpans.size());
      List<Span> priced = spans.stream().filter(sp -> "priced".equals(str(sp, "gen_ai.cost.status"))).toList();
      assertThat(priced).hasSize(expectedLlmSpans.size());
      // cost of trace i: (100 + i) * input + 10 * output, summed over i; a double count would show
      double expected = 0;
      for (int i = 0; i < 600; i++) {
        expected += i % 2 == 0 ? (100 + i) * 0.000001 + 10 * 0.000002 : (100 + i) * 0.000003 + 10 * 0.000004;
      }
      double total = priced.stream().mapToDouble(sp -> dbl(sp, "gen_ai.cost.total_usd")).sum();
      assertThat(total).isCloseTo(expected, org.assertj.core.data.Offset.offset(1e-9));

      // and llm-metrics, read_committed, equals the ground truth exactly. Close every window: a
      // span far in the future per series, so that every partition's stream time moves on.
      List<ProducerRecord<String, byte[]>> ticks = new ArrayList<>();
      try (SdkSpans sdk = new SdkSpans("eos-it")) {
        for (int t = 0; t < 16; t++) {
          SpanData tick = sdk.span("tick", Attributes.builder().put("gen_ai.provider.name", "acme")
              .put("gen_ai.request.model", "tick-" + t).build(), Instant.parse("2025-09-11T00:00:00Z"));
          ticks.add(new ProducerRecord<>(topics.input().name(), tick.getTraceId(), SdkSpans.otlp(tick)));
        }
      }
      KafkaIo.send(bootstrap, topics.input().name(), ticks);
      Map<String, BigDecimal[]> expectedByModel = new HashMap<>();
      for (int i = 0; i < 600; i++) {
        boolean a = i % 2 == 0;
        BigDecimal in = BigDecimal.valueOf(100 + i);
        BigDecimal cost = a ? in.multiply(new BigDecimal("0.000001")).add(new BigDecimal("0.00002"))
            : in.multiply(new BigDecimal("0.000003")).add(new BigDecimal("0.00004"));
        expectedByModel.merge(a ? "it-model-a" : "it-model-b", new BigDecimal[] {BigDecimal.ONE, in, cost},
            (x, y) -> new BigDecimal[] {x[0].add(y[0]), x[1].add(y[1]), x[2].add(y[2])});
      }
      Map<String, BigDecimal[]> actualByModel = new HashMap<>();
      KafkaIo.readCommitted(bootstrap, topics.metrics().name(), read -> {
        actualByModel.clear();
        for (ConsumerRecord<byte[], byte[]> r : read) {
          try {
            com.fasterxml.jackson.databind.JsonNode n = io.tokenmeter.metrics.MetricsJson.MAPPER.readTree(r.value());
            String model = n.path("labels").path("model").asText();
            BigDecimal cost = BigDecimal.ZERO;
            for (String t : List.of("input", "output", "cache_read", "cache_write")) {
              cost = cost.add(new BigDecimal(n.path("cost_usd").path(t).asText("0")));
            }
            actualByModel.merge(model, new BigDecimal[] {new BigDecimal(n.path("requests").path("ok").asText("0")),
                new BigDecimal(n.path("tokens").path("input").asText("0")), cost},
                (x, y) -> new BigDecimal[] {x[0].add(y[0]), x[1].add(y[1]), x[2].add(y[2])});
          } catch (java.io.IOException e) {
            throw new AssertionError(e);
          }
        }
        BigDecimal[] b = actualByModel.get("it-model-b");
        BigDecimal[] a = actualByModel.get("it-model-a");
        return a != null && b != null && a[0].intValue() >= 300 && b[0].intValue() >= 300;
      }, Duration.ofSeconds(90));
      for (String model : List.of("it-model-a", "it-model-b")) {
        BigDecimal[] e = expectedByModel.get(model);
        BigDecimal[] got = actualByModel.get(model);
        assertThat(got).as("llm-metrics for %s; app log %s", model, log).isNotNull();
        System.out.printf("llm-metrics %s: requests %s (expected %s), input tokens %s (%s), cost %s (%s)%n",
            model, got[0], e[0], got[1], e[1], got[2].toPlainString(), e[2].toPlainString());
        assertThat(got[0]).as(model + " requests").isEqualByComparingTo(e[0]);
        assertThat(got[1]).as(model + " input tokens").isEqualByComparingTo(e[1]);
        assertThat(got[2]).as(model + " cost").isEqualByComparingTo(e[2]);
      }
    } finally {
      app.destroy();
      app.waitFor();
    }
  }

  @Test
  void shouldApplyAPriceUpdatePublishedWhileRunningOnlyToSpansEndingAfterIt() throws Exception {
    Map<String, String> s = settings("update");
    TokenmeterConfig config = TokenmeterConfig.load(Map.of(), Map.of(), s);
    Topics topics = createTopics(config);
    Instant change = Instant.parse("2025-10-01T00:00:00Z");
    publish(topics.pricing().name(), card("it-model", "0.000002", "0", PriceCard.BEGINNING_OF_TIME));

    try (StreamsApp app = new StreamsApp(config); SdkSpans sdk = new SdkSpans("update-it")) {
      app.start();
      assertThat(app.awaitRunning(Duration.ofSeconds(60))).isTrue();
      // Given the app running with the first price, when a new card is published
      publish(topics.pricing().name(), card("it-model", "0.000001", "0", change));
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (app.priceBook().size() < 2 && System.nanoTime() < deadline) {
        Thread.sleep(100);
      }
      assertThat(app.priceBook().size()).isEqualTo(2);

      // and spans end before and after its effective_from
      Attributes a = Attributes.builder().put("gen_ai.provider.name", "acme").put("gen_ai.request.model", "it-model")
          .put("gen_ai.usage.input_tokens", 1000).put("gen_ai.usage.output_tokens", 0).build();
      SpanData before = sdk.span("chat", a, change.minusSeconds(1));
      SpanData after = sdk.span("chat", a, change.plusSeconds(1));
      KafkaIo.send(kafka.bootstrapServers(), topics.input().name(), List.of(
          new ProducerRecord<>(topics.input().name(), before.getTraceId(), SdkSpans.otlp(before)),
          new ProducerRecord<>(topics.input().name(), after.getTraceId(), SdkSpans.otlp(after))));

      List<Span> spans = KafkaIo.spans(KafkaIo.readCommitted(kafka.bootstrapServers(), topics.enriched().name(),
          r -> KafkaIo.spanCount(r) >= 2, Duration.ofSeconds(60)));

      // Then the earlier span keeps the old price and the later one gets the new one
      Map<String, Span> byId = spans.stream().collect(Collectors.toMap(sp -> OtlpIds.hex(sp.getSpanId()), sp -> sp));
      assertThat(dbl(byId.get(before.getSpanId()), "gen_ai.cost.total_usd")).isEqualTo(0.002);
      assertThat(dbl(byId.get(after.getSpanId()), "gen_ai.cost.total_usd")).isEqualTo(0.001);
      assertThat(str(byId.get(after.getSpanId()), "gen_ai.cost.price_effective_from")).isEqualTo("2025-10-01T00:00:00Z");
    }
  }

  @Test
  void shouldWriteUndecodableRecordsToTheDeadLetterTopicWithTheirReason() throws Exception {
    Map<String, String> s = settings("dlq");
    TokenmeterConfig config = TokenmeterConfig.load(Map.of(), Map.of(), s);
    Topics topics = createTopics(config);
    try (StreamsApp app = new StreamsApp(config); SdkSpans sdk = new SdkSpans("dlq-it")) {
      app.start();
      assertThat(app.awaitRunning(Duration.ofSeconds(60))).isTrue();
      SpanData good = sdk.span("GET /", Attributes.builder().put("http.route", "/").build(), Instant.now());
      byte[] goodBytes = SdkSpans.otlp(good);
      String in = topics.input().name();
      KafkaIo.send(kafka.bootstrapServers(), in, List.of(
          new ProducerRecord<>(in, "p1", "garbage\u0000".getBytes(StandardCharsets.ISO_8859_1)),
          new ProducerRecord<>(in, "p1", java.util.Arrays.copyOf(goodBytes, goodBytes.length - 3)),
          new ProducerRecord<>(in, "p1", goodBytes)));

      List<ConsumerRecord<byte[], byte[]>> dead = KafkaIo.readCommitted(kafka.bootstrapServers(),
          topics.deadLetters().name(), r -> r.size() >= 2, Duration.ofSeconds(60));
      List<ConsumerRecord<byte[], byte[]>> out = KafkaIo.readCommitted(kafka.bootstrapServers(),
          topics.enriched().name(), r -> !r.isEmpty(), Duration.ofSeconds(60));

      assertThat(dead).hasSize(2);
      assertThat(dead).extracting(r -> header(r, DeadLetterHandlers.REASON_HEADER)).containsOnly("invalid_protobuf");
      assertThat(dead).extracting(r -> header(r, "__streams.errors.topic")).containsOnly(in);
      assertThat(dead).allSatisfy(r -> assertThat(header(r, "__streams.errors.offset")).isNotBlank());
      assertThat(dead.get(0).value()).isEqualTo("garbage\u0000".getBytes(StandardCharsets.ISO_8859_1));
      assertThat(KafkaIo.spanCount(out)).isEqualTo(1);
      assertThat(app.health().deadLetterCount("invalid_protobuf")).isEqualTo(2.0);
      assertThat(app.state()).isEqualTo(org.apache.kafka.streams.KafkaStreams.State.RUNNING);
    }
  }

  @Test
  void shouldWriteOnlyMetadataToTheDeadLetterTopicWhenConfigured() throws Exception {
    Map<String, String> s = settings("dlqmeta");
    s.put(TokenmeterConfig.DEAD_LETTERS_PAYLOAD, "metadata");
    TokenmeterConfig config = TokenmeterConfig.load(Map.of(), Map.of(), s);
    Topics topics = createTopics(config);
    try (StreamsApp app = new StreamsApp(config)) {
      app.start();
      assertThat(app.awaitRunning(Duration.ofSeconds(60))).isTrue();
      String in = topics.input().name();
      KafkaIo.send(kafka.bootstrapServers(), in, List.of(
          new ProducerRecord<>(in, "k", "{\"prompt\":\"SECRET-PROMPT\"}".getBytes(StandardCharsets.UTF_8))));

      List<ConsumerRecord<byte[], byte[]>> dead = KafkaIo.readCommitted(kafka.bootstrapServers(),
          topics.deadLetters().name(), r -> !r.isEmpty(), Duration.ofSeconds(60));

      // Then the payload is gone, the reason and the origin are kept
      assertThat(dead).singleElement().satisfies(r -> {
        assertThat(r.value()).isNull();
        assertThat(new String(r.key(), StandardCharsets.UTF_8)).isEqualTo("k");
        assertThat(header(r, DeadLetterHandlers.REASON_HEADER)).isEqualTo("not_otlp");
        assertThat(header(r, "__streams.errors.offset")).isEqualTo("0");
      });
    }
  }

  private static String header(ConsumerRecord<byte[], byte[]> r, String name) {
    Header h = r.headers().lastHeader(name);
    return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }

}
