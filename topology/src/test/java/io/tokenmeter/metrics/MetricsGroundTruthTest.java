package io.tokenmeter.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.tokenmeter.app.TokenmeterConfig;
import io.tokenmeter.genai.SamplingWeight;
import io.tokenmeter.pricing.PriceCard;
import io.tokenmeter.testing.SdkSpans;
import io.tokenmeter.testing.TopologyHarness;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.apache.kafka.streams.KeyValue;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * llm-metrics against a recomputation from the input: for a generated workload with duplicates
 * injected, every (window, series) aggregate equals what the test computes itself from the spans
 * it generated, to the last decimal.
 */
class MetricsGroundTruthTest {
  private static final Instant T0 = Instant.parse("2025-09-15T10:00:00Z");
  private static final Map<String, BigDecimal[]> PRICES = Map.of(
      "gt-small", new BigDecimal[] {new BigDecimal("0.00000015"), new BigDecimal("0.0000006")},
      "gt-large", new BigDecimal[] {new BigDecimal("0.0000025"), new BigDecimal("0.00001")},
      "gt-think", new BigDecimal[] {new BigDecimal("0.0000011"), new BigDecimal("0.0000044")});
  private TopologyHarness harness;
  private SdkSpans sdk;

  @BeforeEach
  void setUp() {
    harness = new TopologyHarness(Map.of(TokenmeterConfig.METRICS_WINDOW_MS, "60000",
        TokenmeterConfig.METRICS_GRACE_MS, "30000", TokenmeterConfig.METRICS_FLUSH_INTERVAL_MS, "1000"));
    PRICES.forEach((model, p) -> harness.publish(new PriceCard(model, "acme", "chat", "USD", null, "gt",
        Map.of("input", p[0], "output", p[1]), null, null, null)));
    sdk = new SdkSpans("gt-service");
  }

  @AfterEach
  void tearDown() {
    sdk.close();
    harness.close();
  }

  /** What the test knows about a span it generated. */
  record Call(SpanData span, String model, String feature, long in, long out, String outcome, BigDecimal weight) {}

  /** The expected sums of one (window, series). */
  static final class Expected {
    final Map<String, BigDecimal> requests = new TreeMap<>();
    final Map<String, BigDecimal> tokens = new TreeMap<>();
    BigDecimal cost = BigDecimal.ZERO;
    BigDecimal unpriced = BigDecimal.ZERO;
  }

  private Call generate(Random r, Instant end, String traceState) {
    String[] models = {"gt-small", "gt-large", "gt-think", "gt-unknown"};
    String model = models[r.nextInt(models.length)];
    String feature = r.nextBoolean() ? "search" : "chat";
    long in = 1 + r.nextInt(5000);
    long out = r.nextInt(800);
    int o = r.nextInt(10);
    String outcome = o == 0 ? "error" : o == 1 ? "truncated" : "ok";
    AttributesBuilder a = Attributes.builder().put("gen_ai.provider.name", "acme").put("gen_ai.operation.name", "chat")
        .put("gen_ai.request.model", model).put("llm.feature", feature)
        .put("gen_ai.usage.input_tokens", in).put("gen_ai.usage.output_tokens", out);
    if (outcome.equals("truncated")) {
      a.put(AttributeKey.stringArrayKey("gen_ai.response.finish_reasons"), List.of("length"));
    }
    if (outcome.equals("error")) {
      a.put("error.type", "429");
    }
    SpanData s = traceState != null ? sdk.sampledSpan("chat " + model, a.build(), end, traceState)
        : outcome.equals("error") ? sdk.errorSpan("chat " + model, a.build(), end) : sdk.span("chat " + model, a.build(), end);
    BigDecimal w = SamplingWeight.adjustedCountDecimal(traceState == null ? "" : "ot=" + traceState);
    return new Call(s, model, feature, in, out, outcome, w);
  }

  private static Map<String, Expected> expected(List<Call> calls) {
    Map<String, Expected> m = new HashMap<>();
    for (Call c : calls) {
      long window = Math.floorDiv(c.span().getEndEpochNanos() / 1_000_000, 60_000) * 60_000;
      String key = Instant.ofEpochMilli(window) + " " + "gt-service|acme|" + c.model() + "|chat|" + c.feature();
      Expected e = m.computeIfAbsent(key, k -> new Expected());
      e.requests.merge(c.outcome(), c.weight(), BigDecimal::add);
      e.tokens.merge("input", BigDecimal.valueOf(c.in()).multiply(c.weight()), BigDecimal::add);
      if (c.out() > 0) {
        e.tokens.merge("output", BigDecimal.valueOf(c.out()).multiply(c.weight()), BigDecimal::add);
      }
      BigDecimal[] p = PRICES.get(c.model());
      if (p == null) {
        e.unpriced = e.unpriced.add(c.weight());
      } else {
        BigDecimal cost = p[0].multiply(BigDecimal.valueOf(c.in())).add(p[1].multiply(BigDecimal.valueOf(c.out())));
        e.cost = e.cost.add(cost.multiply(c.weight()));
      }
    }
    return m;
  }

  private Map<String, JsonNode> runAndCollect(List<KeyValue<byte[], Instant>> records, Instant tickAt) throws Exception {
    return runAndCollect(records, tickAt, Duration.ofMillis(200));
  }

  /** Pipes the records, {@code wallClockStep} apart (partials are flushed every second of wall-clock time). */
  private Map<String, JsonNode> runAndCollect(List<KeyValue<byte[], Instant>> records, Instant tickAt,
      Duration wallClockStep) throws Exception {
    for (KeyValue<byte[], Instant> r : records) {
      harness.otlp.pipeInput(null, r.key, r.value);
      harness.driver.advanceWallClockTime(wallClockStep);
    }
    // Close every window: flush the partials, then a span far in the future moves stream time on.
    harness.driver.advanceWallClockTime(Duration.ofSeconds(2));
    SpanData tick = sdk.span("tick", Attributes.builder().put("gen_ai.provider.name", "acme")
        .put("gen_ai.request.model", "tick").build(), tickAt);
    harness.otlp.pipeInput(null, SdkSpans.otlp(tick), tickAt);
    harness.driver.advanceWallClockTime(Duration.ofSeconds(2));
    harness.otlp.pipeInput(null, SdkSpans.otlp(sdk.span("GET /", Attributes.empty(), tickAt)), tickAt);
    harness.driver.advanceWallClockTime(Duration.ofSeconds(2));

    lastRecords = new ArrayList<>();
    Map<String, JsonNode> out = new HashMap<>();
    for (KeyValue<String, byte[]> kv : harness.metrics.readKeyValuesToList()) {
      JsonNode n = MetricsJson.MAPPER.readTree(kv.value);
      String key = n.get("window_start").asText() + " " + kv.key;
      lastRecords.add(KeyValue.pair(key, n));
      if (n.get("kind").asText().equals("final")) {
        assertThat(out.put(key, n)).as("each (window, series) has one final record: %s", key).isNull();
      }
    }
    // late records add to the window's final record: the sum of all records is the total
    for (KeyValue<String, JsonNode> kv : lastRecords) {
      if (kv.value.get("kind").asText().equals("late")) {
        out.merge(kv.key, kv.value, MetricsGroundTruthTest::sum);
      }
    }
    return out;
  }

  private List<KeyValue<String, JsonNode>> lastRecords;

  /** Two metric records of one (window, series) added up, field by field (for the fields the test reads). */
  private static JsonNode sum(JsonNode a, JsonNode b) {
    com.fasterxml.jackson.databind.node.ObjectNode out = a.deepCopy();
    for (String group : List.of("requests", "tokens", "cost_usd")) {
      com.fasterxml.jackson.databind.node.ObjectNode g = out.with(group);
      b.path(group).fields().forEachRemaining(e -> g.put(e.getKey(),
          dec(a, group, e.getKey()).add(new BigDecimal(e.getValue().asText())).toPlainString()));
    }
    for (String field : List.of("unpriced_requests", "duration_count")) {
      out.put(field, dec(a, field, null).add(dec(b, field, null)).toPlainString());
    }
    out.put("kind", "final+late");
    return out;
  }

  private static BigDecimal dec(JsonNode n, String field, String sub) {
    JsonNode v = sub == null ? n.get(field) : n.path(field).get(sub);
    return v == null || v.isNull() ? BigDecimal.ZERO : new BigDecimal(v.asText());
  }

  private static void assertMatches(Map<String, JsonNode> actual, Map<String, Expected> expected) {
    assertThat(actual.keySet()).filteredOn(k -> !k.contains("|tick|")).containsExactlyInAnyOrderElementsOf(expected.keySet());
    expected.forEach((key, e) -> {
      JsonNode n = actual.get(key);
      for (String outcome : List.of("ok", "error", "truncated")) {
        assertThat(dec(n, "requests", outcome)).as("%s requests %s", key, outcome)
            .isEqualByComparingTo(e.requests.getOrDefault(outcome, BigDecimal.ZERO));
      }
      assertThat(dec(n, "tokens", "input")).as(key + " input tokens").isEqualByComparingTo(e.tokens.getOrDefault("input", BigDecimal.ZERO));
      assertThat(dec(n, "tokens", "output")).as(key + " output tokens").isEqualByComparingTo(e.tokens.getOrDefault("output", BigDecimal.ZERO));
      BigDecimal cost = dec(n, "cost_usd", "input").add(dec(n, "cost_usd", "output"))
          .add(dec(n, "cost_usd", "cache_read")).add(dec(n, "cost_usd", "cache_write"));
      assertThat(cost).as(key + " cost").isEqualByComparingTo(e.cost);
      assertThat(dec(n, "unpriced_requests", null)).as(key + " unpriced").isEqualByComparingTo(e.unpriced);
      assertThat(dec(n, "duration_count", null)).as(key + " histogram count")
          .isEqualByComparingTo(e.requests.values().stream().reduce(BigDecimal.ZERO, BigDecimal::add));
    });
  }

  @Test
  void shouldEqualARecomputationFromTheInputWithDuplicatesInjected() throws Exception {
    // Given 1500 calls over six minutes in batches of 1 to 20 spans, and 15% of batches sent twice
    Random r = new Random(7);
    List<Call> calls = new ArrayList<>();
    List<KeyValue<byte[], Instant>> records = new ArrayList<>();
    Instant t = T0;
    while (calls.size() < 1500) {
      int n = 1 + r.nextInt(20);
      List<SpanData> batch = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        Call c = generate(r, t.plusMillis(r.nextInt(5_000)), null);
        calls.add(c);
        batch.add(c.span());
      }
      byte[] bytes = SdkSpans.otlp(batch);
      records.add(KeyValue.pair(bytes, t.plusSeconds(5)));
      if (r.nextInt(100) < 15) {
        records.add(KeyValue.pair(bytes, t.plusSeconds(6)));
      }
      t = t.plusMillis(r.nextInt(1_000));
    }

    // When it all goes through the topology
    Map<String, JsonNode> actual = runAndCollect(records, T0.plus(Duration.ofHours(2)));

    // Then each window and series equals the recomputation, exactly
    assertMatches(actual, expected(calls));
    assertThat(harness.health.duplicatesDropped()).isPositive();
  }

  @Test
  void shouldWeightHeadSampledSpansByTheirAdjustedCount() throws Exception {
    // Given 20000 calls of which those with R >= T (T = 0.9 * 2^56) are kept, marked ot=th:e6666666666666
    Random r = new Random(11);
    long threshold = 0xe6666666666666L;
    List<Call> kept = new ArrayList<>();
    List<KeyValue<byte[], Instant>> records = new ArrayList<>();
    int population = 20_000;
    for (int i = 0; i < population; i++) {
      long rv = r.nextLong() >>> 8; // 56 random bits
      if (rv >= threshold) {
        Instant end = T0.plusMillis(i * 10L);
        Call c = generate(r, end, "th:e6666666666666");
        kept.add(c);
        records.add(KeyValue.pair(SdkSpans.otlp(c.span()), end));
      }
    }

    Map<String, JsonNode> actual = runAndCollect(records, T0.plus(Duration.ofHours(2)));

    // Then the arithmetic is exact: every aggregate equals kept spans times the decimal adjusted count
    assertMatches(actual, expected(kept));
    // and the estimated number of calls is within 4 standard deviations of the true 20000:
    // the Horvitz-Thompson estimator's variance is N (1 - p) / p = 20000 * 0.9 / 0.1 = 180000, sd = 424
    BigDecimal estimated = actual.entrySet().stream().filter(e -> !e.getKey().contains("|tick|"))
        .map(e -> dec(e.getValue(), "requests", "ok").add(dec(e.getValue(), "requests", "error"))
            .add(dec(e.getValue(), "requests", "truncated")))
        .reduce(BigDecimal.ZERO, BigDecimal::add);
    System.out.printf("10%% head sampling: kept %d of %d, estimated %.1f calls%n", kept.size(), population, estimated);
    assertThat(estimated.doubleValue()).isBetween(population - 4 * 424.0, population + 4 * 424.0);
  }

  @Test
  void shouldCountLateSpansInsideTheGraceInTheWindowAndThoseAfterItInALateRecord() throws Exception {
    // Given 60 s windows with 30 s grace; window W0 = [10:00:00, 10:01:00)
    Random r = new Random(3);
    Call a = generate(r, T0.plusSeconds(10), null);
    Call b = generate(r, T0.plusSeconds(80), null);
    Call lateInGrace = generate(r, T0.plusSeconds(20), null);
    Call c = generate(r, T0.plusSeconds(95), null);
    Call tooLate = generate(r, T0.plusSeconds(30), null);
    List<KeyValue<byte[], Instant>> records = new ArrayList<>();
    for (Call x : List.of(a, b, lateInGrace, c, tooLate)) {
      records.add(KeyValue.pair(SdkSpans.otlp(x.span()), x.span().getEndEpochNanos() > 0
          ? Instant.ofEpochSecond(0, x.span().getEndEpochNanos()) : T0));
    }

    // When they arrive in that order, each flushed before the next (stream time reaches 10:01:35,
    // past W0's end + grace, before tooLate arrives)
    Map<String, JsonNode> actual = runAndCollect(records, T0.plus(Duration.ofHours(2)), Duration.ofSeconds(2));

    // Then W0's final record holds a and the late-but-in-grace span, a late record holds the span
    // after the grace, and together they are exact: nothing is dropped
    assertMatches(actual, expected(List.of(a, b, lateInGrace, c, tooLate)));
    String w0 = "2025-09-15T10:00:00Z ";
    List<JsonNode> w0Records = lastRecords.stream().filter(kv -> kv.key.startsWith(w0)).map(kv -> kv.value).toList();
    BigDecimal finalRequests = w0Records.stream().filter(n -> n.get("kind").asText().equals("final"))
        .map(n -> dec(n, "duration_count", null)).reduce(BigDecimal.ZERO, BigDecimal::add);
    BigDecimal lateRequests = w0Records.stream().filter(n -> n.get("kind").asText().equals("late"))
        .map(n -> dec(n, "duration_count", null)).reduce(BigDecimal.ZERO, BigDecimal::add);
    assertThat(finalRequests).isEqualByComparingTo("2");
    assertThat(lateRequests).isEqualByComparingTo("1");
  }
}
