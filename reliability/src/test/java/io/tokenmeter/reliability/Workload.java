package io.tokenmeter.reliability;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.tokenmeter.pricing.PriceCard;
import io.tokenmeter.testing.SdkSpans;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.utils.Utils;

/**
 * The generator and its ground truth (Kafka's EOS system test has the same two halves): it makes
 * OTLP records of LLM traces with the OpenTelemetry SDK, sends them, and remembers for each record
 * where it landed (partition, offset), which spans it carries, and what every LLM call must add to
 * the metric aggregates of its window and series. Hostile records are registered with the
 * dead-letter reason they must get. The {@link Verifier} holds the output against all of it.
 */
final class Workload implements AutoCloseable {
  /** Span end times start here; windows are {@link Scenario#WINDOW_MS} wide. */
  static final Instant T0 = Instant.parse("2025-09-10T12:00:00Z");
  static final String PROVIDER = "acme";
  static final String OPERATION = "chat";
  static final String TICK_PREFIX = "tick-";

  /** Model prices of the suite (USD per token); {@code rel-unknown} has no card. */
  static final Map<String, BigDecimal[]> PRICES = Map.of(
      "rel-small", new BigDecimal[] {new BigDecimal("0.00000015"), new BigDecimal("0.0000006")},
      "rel-large", new BigDecimal[] {new BigDecimal("0.0000025"), new BigDecimal("0.00001")});
  static final List<String> MODELS = List.of("rel-small", "rel-large", "rel-unknown");
  static final List<String> FEATURES = List.of("search", "assistant");

  enum Kind { VALID, POISON, TICK }

  /** One record sent to the input topic; {@code partition}/{@code offset} once acknowledged. */
  static final class Sent {
    final int index;
    final Kind kind;
    final String label;
    final String reason;
    final List<String> spanIds;
    final byte[] value;
    volatile int partition = -1;
    volatile long offset = -1;

    Sent(int index, Kind kind, String label, String reason, List<String> spanIds, byte[] value) {
      this.index = index;
      this.kind = kind;
      this.label = label;
      this.reason = reason;
      this.spanIds = spanIds;
      this.value = value;
    }
  }

  /** What one (window, series) of llm-metrics must hold. */
  static final class Sums {
    final Map<String, BigDecimal> requests = new TreeMap<>();
    final Map<String, BigDecimal> errors = new TreeMap<>();
    final Map<String, BigDecimal> tokens = new TreeMap<>();
    final Map<String, BigDecimal> cost = new TreeMap<>();
    final Map<String, BigDecimal> buckets = new TreeMap<>();
    BigDecimal unpriced = BigDecimal.ZERO;
    BigDecimal durationCount = BigDecimal.ZERO;
    BigDecimal durationSum = BigDecimal.ZERO;
    /** How many llm-metrics records were summed into this (when it holds what was read). */
    int records;
  }

  /** One LLM call as the ground truth sees it: usable token counts, or null where the span's are unusable. */
  record Call(String service, String model, String feature, Long input, Long output, String outcome, String errorType,
      long endMs, long durationNanos) {}

  final Scenario scenario;
  final String service;
  private final Random random;
  private final SdkSpans sdk;
  private final KafkaProducer<String, byte[]> producer;
  private final List<Sent> sent = Collections.synchronizedList(new ArrayList<>());
  private final List<Future<RecordMetadata>> acks = Collections.synchronizedList(new ArrayList<>());
  private final Map<String, Sent> bySpan = new ConcurrentHashMap<>();
  private final Map<String, Sums> expected = new ConcurrentHashMap<>();
  private final Map<String, BigDecimal[]> prices;
  private int tickRound;
  private Instant clock = T0;

  Workload(Scenario scenario, String service, long seed) {
    this(scenario, service, seed, PRICES);
  }

  Workload(Scenario scenario, String service, long seed, Map<String, BigDecimal[]> prices) {
    this.scenario = scenario;
    this.service = service;
    this.random = new Random(seed);
    this.sdk = new SdkSpans(service);
    this.producer = scenario.producer();
    this.prices = prices;
  }

  /** The suite's price cards, in force from the beginning of time. */
  static PriceCard[] cards() {
    return PRICES.entrySet().stream()
        .map(e -> new PriceCard(e.getKey(), PROVIDER, "chat", "USD", PriceCard.BEGINNING_OF_TIME, "reliability",
            Map.of("input", e.getValue()[0], "output", e.getValue()[1]), null, null, null))
        .toArray(PriceCard[]::new);
  }

  // ---------------------------------------------------------------- generating

  /** Sends {@code n} records of 1 to 3 traces each (a root HTTP span and 1 or 2 LLM calls). */
  synchronized void sendValid(int n) {
    for (int i = 0; i < n; i++) {
      int traces = 1 + random.nextInt(3);
      List<SpanData> spans = new ArrayList<>();
      for (int t = 0; t < traces; t++) {
        clock = clock.plusMillis(20 + random.nextInt(40));
        List<Attributes> calls = new ArrayList<>();
        int n2 = 1 + random.nextInt(2);
        for (int c = 0; c < n2; c++) {
          calls.add(llmAttributes(MODELS.get(random.nextInt(MODELS.size())), FEATURES.get(random.nextInt(FEATURES.size()))));
        }
        List<SpanData> trace = sdk.trace("POST /chat", Attributes.builder().put("http.request.method", "POST").build(),
            clock, calls);
        spans.addAll(trace);
      }
      sendTraces("valid", spans);
    }
  }

  /** Sends one record of these spans; every LLM call among them (a span with a request model) counts in the ground truth. */
  synchronized Sent sendTraces(String label, List<SpanData> spans) {
    for (SpanData sd : spans) {
      if (sd.getAttributes().get(AttributeKey.stringKey("gen_ai.request.model")) != null) {
        expectCall(callOf(sd));
      }
    }
    return send(Kind.VALID, label, null, spans, SdkSpans.otlp(spans));
  }

  /** Attributes of one LLM call: a random outcome and token counts (OTel GenAI semantic conventions). */
  Attributes llmAttributes(String model, String feature) {
    long in = 1 + random.nextInt(4000);
    long out = random.nextInt(600);
    AttributesBuilder a = Attributes.builder().put("gen_ai.provider.name", PROVIDER)
        .put("gen_ai.operation.name", OPERATION).put("gen_ai.request.model", model).put("llm.feature", feature)
        .put("gen_ai.usage.input_tokens", in).put("gen_ai.usage.output_tokens", out);
    int o = random.nextInt(12);
    if (o == 0) {
      a.put("error.type", "429");
    } else if (o == 1) {
      a.put(AttributeKey.stringArrayKey("gen_ai.response.finish_reasons"), List.of("length"));
    }
    return a.build();
  }

  /** Reads a generated call back from its span (the attributes this generator set). */
  Call callOf(SpanData sd) {
    Attributes a = sd.getAttributes();
    String errorType = a.get(AttributeKey.stringKey("error.type"));
    List<String> finish = a.get(AttributeKey.stringArrayKey("gen_ai.response.finish_reasons"));
    String outcome = errorType != null ? "error" : finish != null && finish.contains("length") ? "truncated" : "ok";
    return new Call(service, a.get(AttributeKey.stringKey("gen_ai.request.model")), a.get(AttributeKey.stringKey("llm.feature")),
        a.get(AttributeKey.longKey("gen_ai.usage.input_tokens")), a.get(AttributeKey.longKey("gen_ai.usage.output_tokens")),
        outcome, errorType, sd.getEndEpochNanos() / 1_000_000, sd.getEndEpochNanos() - sd.getStartEpochNanos());
  }

  /** Adds one LLM call to the ground truth of its window and series (BRIEF section 7 arithmetic). */
  void expectCall(Call c) {
    long window = Math.floorDiv(c.endMs(), Scenario.WINDOW_MS) * Scenario.WINDOW_MS;
    String key = Instant.ofEpochMilli(window) + " " + seriesKey(c.service(), c.model(), c.feature());
    Sums e = expected.computeIfAbsent(key, k -> new Sums());
    synchronized (e) {
      e.requests.merge(c.outcome(), BigDecimal.ONE, BigDecimal::add);
      if (c.errorType() != null) {
        e.errors.merge(c.errorType(), BigDecimal.ONE, BigDecimal::add);
      }
      long in = c.input() == null ? 0 : c.input();
      long out = c.output() == null ? 0 : c.output();
      boolean hasUsage = c.input() != null || c.output() != null;
      if (hasUsage && in > 0) {
        e.tokens.merge("input", BigDecimal.valueOf(in), BigDecimal::add);
      }
      if (hasUsage && out > 0) {
        e.tokens.merge("output", BigDecimal.valueOf(out), BigDecimal::add);
      }
      BigDecimal[] p = prices.get(c.model());
      if (hasUsage && p != null) {
        e.cost.merge("input", p[0].multiply(BigDecimal.valueOf(in)), BigDecimal::add);
        e.cost.merge("output", p[1].multiply(BigDecimal.valueOf(out)), BigDecimal::add);
      } else if (hasUsage) {
        e.unpriced = e.unpriced.add(BigDecimal.ONE);
      }
      BigDecimal seconds = BigDecimal.valueOf(Math.max(0, c.durationNanos()), 9);
      e.buckets.merge(bucketOf(seconds), BigDecimal.ONE, BigDecimal::add);
      e.durationCount = e.durationCount.add(BigDecimal.ONE);
      e.durationSum = e.durationSum.add(seconds);
    }
  }

  static String seriesKey(String service, String model, String feature) {
    return String.join("|", service, PROVIDER, model, OPERATION, feature == null ? "" : feature);
  }

  /** The upper bound of the OTel GenAI duration bucket holding {@code seconds}, as llm-metrics writes it. */
  static String bucketOf(BigDecimal seconds) {
    for (BigDecimal b : io.tokenmeter.metrics.MetricAggregate.DURATION_BUCKETS) {
      if (seconds.compareTo(b) <= 0) {
        return b.toPlainString();
      }
    }
    return "+Inf";
  }

  /** Sends a hostile record that must be dead-lettered with {@code reason} (null: any reason). */
  Sent sendPoison(String label, String reason, byte[] value) {
    return send(Kind.POISON, label, reason, List.of(), value);
  }

  /** Sends a valid record made elsewhere (hostile but valid input), whose spans must all come out. */
  Sent sendValid(String label, List<SpanData> spans, byte[] value) {
    return send(Kind.VALID, label, null, spans, value);
  }

  /**
   * Sends one "tick" round: LLM spans a day after everything else, whose series cover every
   * partition of the metrics repartition topic, so that stream time passes every window's end +
   * grace there and every window closes (and is written to llm-metrics).
   */
  synchronized void sendTicks() {
    Instant at = T0.plus(Duration.ofDays(1)).plus(Duration.ofMinutes(tickRound++));
    Set<Integer> covered = new java.util.HashSet<>();
    List<SpanData> spans = new ArrayList<>();
    for (int i = 0; covered.size() < scenario.partitions && i < 1000; i++) {
      String model = TICK_PREFIX + i;
      int p = Utils.toPositive(Utils.murmur2(seriesKey(service, model, null).getBytes(StandardCharsets.UTF_8)))
          % scenario.partitions;
      if (covered.add(p)) {
        spans.add(sdk.span("chat " + model, Attributes.builder().put("gen_ai.provider.name", PROVIDER)
            .put("gen_ai.operation.name", OPERATION).put("gen_ai.request.model", model).build(), at));
      }
    }
    send(Kind.TICK, "tick", null, spans, SdkSpans.otlp(spans));
    producer.flush();
  }

  private Sent send(Kind kind, String label, String reason, List<SpanData> spans, byte[] value) {
    String key = spans.isEmpty() || spans.stream().map(SpanData::getTraceId).distinct().count() > 1
        ? null : spans.get(0).getTraceId();
    return send(kind, label, reason, spans.stream().map(Workload::id).toList(), key, value);
  }

  /**
   * Sends a record made by hand (OTLP/JSON text, for example) whose spans are {@code ids}
   * ({@code <trace id hex>/<span id hex>}); its LLM calls are for the caller to {@link #expectCall}.
   */
  synchronized Sent send(Kind kind, String label, String reason, List<String> ids, String key, byte[] value) {
    Sent s = new Sent(sent.size(), kind, label, reason, ids, value);
    sent.add(s);
    ids.forEach(id -> bySpan.put(id, s));
    acks.add(producer.send(new ProducerRecord<>(scenario.input, key, value), (md, e) -> {
      if (md != null) {
        s.partition = md.partition();
        s.offset = md.offset();
      }
    }));
    return s;
  }

  static String id(SpanData sd) {
    return sd.getTraceId() + "/" + sd.getSpanId();
  }

  /** Waits for every record sent so far to be acknowledged; fails if one was not. */
  void flush() throws Exception {
    producer.flush();
    List<Future<RecordMetadata>> all;
    synchronized (acks) {
      all = List.copyOf(acks);
    }
    for (Future<RecordMetadata> f : all) {
      f.get();
    }
  }

  // ---------------------------------------------------------------- the truth

  List<Sent> sent() {
    synchronized (sent) {
      return List.copyOf(sent);
    }
  }

  Sent recordOf(String spanId) {
    return bySpan.get(spanId);
  }

  /** Every span id that must appear exactly once in the enriched topic. */
  Set<String> expectedSpans() {
    return Set.copyOf(bySpan.keySet());
  }

  /** The expected aggregates by {@code "<window start> <series key>"}. */
  Map<String, Sums> expectedMetrics() {
    return new LinkedHashMap<>(expected);
  }

  int poisonCount() {
    return (int) sent().stream().filter(s -> s.kind == Kind.POISON).count();
  }

  Map<String, Integer> poisonByReason() {
    Map<String, Integer> out = new HashMap<>();
    sent().stream().filter(s -> s.kind == Kind.POISON).forEach(s -> out.merge(s.reason, 1, Integer::sum));
    return out;
  }

  SdkSpans sdk() {
    return sdk;
  }

  Random random() {
    return random;
  }

  /** The span end time the generator reached; hostile records made elsewhere continue from here. */
  synchronized Instant advance(Duration d) {
    clock = clock.plus(d);
    return clock;
  }

  @Override
  public void close() {
    producer.close();
    sdk.close();
  }
}
