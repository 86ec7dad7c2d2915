package io.tokenmeter.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.TracesData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.tokenmeter.app.TokenmeterConfig;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Scenario 5: hostile sizes and values, the application on a 256 MB heap. Each case is handled
 * as the topology documents it: a valid record over 10 MB is processed; one over
 * {@code input.max.record.bytes} (16 MB) is dead-lettered {@code too_large} without being decoded;
 * 10 000 attributes on a span pass; nesting deeper than the decoder's limit and invalid UTF-8 are
 * dead-lettered {@code invalid_protobuf} / {@code invalid_json}; negative, absurd, fractional, NaN
 * and infinite token counts are not usable (the call counts, its tokens do not); NaN and
 * infinities elsewhere pass through, also into the span documents.
 */
@Tag("long")
class HostileSizesIT {
  static final int MB = 1024 * 1024;

  @Test
  void shouldHandleHostileSizesAndValuesOnA256MbHeap() throws Exception {
    Scenario s = Scenario.create("hostile-sizes", Broker.shared(), 2).set(TokenmeterConfig.SINK_DOCS_ENABLED, "true");
    Run.with(s, 5, (w, v, app) -> {
      w.sendValid(10);

      // a valid record over 10 MB: 2000 LLM spans with a 5.5 KB attribute each
      w.sendTraces("valid record over 10 MB", bigTrace(w, 2000, 5_600));
      w.sendValid(5);
      // a record over the 16 MB input limit
      byte[] huge = new byte[17 * MB];
      new Random(17).nextBytes(huge);
      w.sendPoison("record of 17 MB (limit 16 MB)", "too_large", huge);
      // 10 000 attributes on one span
      List<KeyValue> many = new ArrayList<>(tokens(100, 10));
      for (int i = 0; i < 10_000; i++) {
        many.add(Hostile.kv("app.attribute." + i, Hostile.str("value-" + i)));
      }
      sendCall(w, "span with 10 000 attributes", "rel-large", many, 100L, 10L);
      // nesting deeper than the limits, invalid UTF-8
      for (Hostile.Pill p : List.of(Hostile.deepProtobuf(100), Hostile.deepProtobuf(10_000), Hostile.deepJson(200),
          Hostile.deepJson(100_000), Hostile.invalidUtf8())) {
        w.sendPoison(p.label(), p.reason(), p.value());
      }
      // negative, absurd, fractional, NaN and infinite token counts: unusable, the call still counts
      sendCall(w, "input -5", "rel-large", tokens(-5, 100), null, 100L);
      sendCall(w, "input 10^15", "rel-large", tokens(1_000_000_000_000_000L, 10), null, 10L);
      sendCall(w, "input Long.MAX_VALUE, output -1", "rel-small", tokens(Long.MAX_VALUE, -1), null, null);
      sendCall(w, "NaN and +Infinity (double)", "rel-small", List.of(Hostile.kv("gen_ai.usage.input_tokens", Hostile.dbl(Double.NaN)),
          Hostile.kv("gen_ai.usage.output_tokens", Hostile.dbl(Double.POSITIVE_INFINITY))), null, null);
      sendCall(w, "1.5 and 20.0 (double)", "rel-large", List.of(Hostile.kv("gen_ai.usage.input_tokens", Hostile.dbl(1.5)),
          Hostile.kv("gen_ai.usage.output_tokens", Hostile.dbl(20.0))), null, 20L);
      sendCall(w, "\"NaN\" and \"1e20\" (strings)", "rel-large", List.of(Hostile.kv("gen_ai.usage.input_tokens", Hostile.str("NaN")),
          Hostile.kv("gen_ai.usage.output_tokens", Hostile.str("1e20"))), null, null);
      List<KeyValue> nanElsewhere = new ArrayList<>(tokens(300, 30));
      nanElsewhere.add(Hostile.kv("gen_ai.request.temperature", Hostile.dbl(Double.NaN)));
      nanElsewhere.add(Hostile.kv("gen_ai.request.top_p", Hostile.dbl(Double.NEGATIVE_INFINITY)));
      sendCall(w, "NaN and -Infinity in request attributes", "rel-large", nanElsewhere, 300L, 30L);
      sendJsonNaN(w);
      w.sendValid(10);

      Runs.awaitAllSpans(v, w, Runs.DRAIN);
      PoisonPillIT.awaitDeadLetters(v, s, w.poisonCount(), Duration.ofSeconds(60));
      Runs.closeWindows(v, w, Duration.ofSeconds(60));

      // Then the application is still RUNNING on its 256 MB heap
      assertThat(app.httpStatus("/health/ready")).isEqualTo(200);
      assertThat(app.scrape().byLabel("tokenmeter_dead_letters_total", "reason")).containsEntry("too_large", 1.0);
      app.stop();
      assertThat(app.logText()).doesNotContain("java.lang.OutOfMemoryError");
      v.verify("5 (hostile sizes and values, -Xmx256m)", w).assertExact();
      assertThat(v.readAll(s.docs)).as("span documents").isNotEmpty();
    });
  }

  /**
   * A burst of 24 valid records of 11 MB (264 MB) against a 256 MB heap: Kafka Streams buffers up
   * to {@code buffered.records.per.partition} (1000) records per partition, so memory is bounded by
   * record count, not bytes, unless the consumer's fetch sizes bound it.
   */
  @Test
  void shouldSurviveABurstOfLargeRecordsOnA256MbHeap() throws Exception {
    Scenario s = Scenario.create("large-burst", Broker.shared(), 2);
    s.publishCards(Workload.cards());
    Verifier v = new Verifier(s);
    try (Workload w = new Workload(s, "rel-burst", 11)) {
      for (int i = 0; i < 24; i++) {
        w.sendTraces("valid record of 11 MB, burst", bigTrace(w, 2000, 5_600));
      }
      w.flush();
      // When the application starts on that backlog
      try (AppProcess app = AppProcess.start(s, "large-burst", s.newStateDir()).awaitReady(Runs.READY)) {
        Runs.awaitAllSpans(v, w, Runs.DRAIN);
        Runs.closeWindows(v, w, Duration.ofSeconds(60));
        assertThat(app.httpStatus("/health/ready")).isEqualTo(200);
        app.stop();
        assertThat(app.logText()).doesNotContain("java.lang.OutOfMemoryError");
        v.verify("5b (burst of 24 records of 11 MB, -Xmx256m)", w).assertExact();
      }
    }
  }

  /**
   * A valid input record that fits the input topic (sized for large OTLP batches) but whose
   * enriched form exceeds the sink topic's {@code max.message.bytes} (here the broker default,
   * 1 MB). Today the producer's RecordTooLargeException has no handler: the task stalls (a 60 s
   * metadata timeout on the dead-letter send, then the error), the stream thread dies, is replaced
   * once, meets the same record again, and the client stops; on restart the same record waits: the
   * partition is stuck and the records behind it never come out. Awaits the topology either
   * splitting the enriched batch below the limit (no span lost) or dead-lettering the input record
   * (metadata only: the payload is too large too) and going on; both are accepted here.
   */
  @Test
  void shouldKeepGoingWhenAnEnrichedRecordExceedsTheSinkTopicLimit() throws Exception {
    Scenario s = Scenario.create("output-too-large", Broker.shared(), 1);
    s.broker.alterTopic(s.enriched, "max.message.bytes", String.valueOf(MB));
    Run.with(s, 12, (w, v, app) -> {
      w.sendValid(5);
      // 1500 LLM spans with 1 KB of random (incompressible) text each: 1.5 MB in, more once priced
      List<SpanData> big = new ArrayList<>();
      Random random = new Random(5);
      for (int i = 0; i < 1500; i++) {
        byte[] noise = new byte[768];
        random.nextBytes(noise);
        big.add(w.sdk().span("chat rel-large", w.llmAttributes("rel-large", "search").toBuilder()
            .put("app.request.signature", java.util.Base64.getEncoder().encodeToString(noise)).build(),
            w.advance(Duration.ofMillis(1))));
      }
      w.sendTraces("valid record whose enriched form exceeds the sink topic's max.message.bytes", big);
      w.sendValid(5);
      w.flush();
      java.util.Set<String> others = new java.util.HashSet<>(w.expectedSpans());
      big.forEach(sd -> others.remove(Workload.id(sd)));
      long deadline = System.nanoTime() + Duration.ofSeconds(150).toNanos();
      while (!v.enrichedSpanIds().containsAll(others) && System.nanoTime() < deadline) {
        Thread.sleep(1000);
      }
      assertThat(app.alive()).as("application alive; log " + app.log).isTrue();
      assertThat(app.httpStatus("/health/ready")).as("ready").isEqualTo(200);
      app.stop();
      Verifier.Report r = v.verify("5c (enriched record over the sink topic's 1 MB limit)", w).print();
      boolean split = r.missing == 0 && r.duplicated == 0 && r.deadLettered == 0;
      boolean deadLettered = r.missing == big.size() && r.duplicated == 0 && r.deadLettered == 1;
      assertThat(split || deadLettered).as("every other span delivered, the big record split or dead-lettered:\n"
          + r.summary() + "\n" + r.details() + "\n" + r.problems(10)).isTrue();
    });
  }

  /** {@code n} LLM spans in one trace, each with a non-content attribute of {@code padding} bytes. */
  static List<SpanData> bigTrace(Workload w, int n, int padding) {
    String pad = "x".repeat(padding);
    List<Attributes> calls = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      calls.add(w.llmAttributes("rel-large", "search").toBuilder().put("app.request.body_hash", pad).build());
    }
    return w.sdk().trace("POST /batch", Attributes.empty(), w.advance(Duration.ofMillis(100)), calls);
  }

  static List<KeyValue> tokens(long in, long out) {
    return List.of(Hostile.kv("gen_ai.usage.input_tokens", Hostile.integer(in)),
        Hostile.kv("gen_ai.usage.output_tokens", Hostile.integer(out)));
  }

  /** Sends one hand-built LLM span; the ground truth counts the call with the usable token counts given. */
  static void sendCall(Workload w, String label, String model, List<KeyValue> attributes, Long in, Long out) {
    Instant end = w.advance(Duration.ofMillis(100));
    long endNanos = end.getEpochSecond() * 1_000_000_000L + end.getNano();
    TracesData d = Hostile.llmSpan(w.service, model, endNanos, attributes);
    w.expectCall(new Workload.Call(w.service, model, null, in, out, "ok", null, end.toEpochMilli(), 1_000_000_000L));
    w.send(Workload.Kind.VALID, label, null, Hostile.ids(d), null, d.toByteArray());
  }

  /** OTLP/JSON with "NaN" and "Infinity" as token counts and "-Infinity" as a request attribute. */
  static void sendJsonNaN(Workload w) {
    Instant end = w.advance(Duration.ofMillis(100));
    long endNanos = end.getEpochSecond() * 1_000_000_000L + end.getNano();
    Random r = new Random(end.toEpochMilli());
    byte[] trace = new byte[16];
    byte[] span = new byte[8];
    r.nextBytes(trace);
    r.nextBytes(span);
    String t = HexFormat.of().formatHex(trace);
    String sp = HexFormat.of().formatHex(span);
    String json = "{\"resourceSpans\":[{\"resource\":{\"attributes\":[{\"key\":\"service.name\",\"value\":{\"stringValue\":\""
        + w.service + "\"}}]},\"scopeSpans\":[{\"spans\":[{\"traceId\":\"" + t + "\",\"spanId\":\"" + sp
        + "\",\"name\":\"chat rel-small\",\"kind\":3,\"startTimeUnixNano\":\"" + (endNanos - 1_000_000_000L)
        + "\",\"endTimeUnixNano\":\"" + endNanos + "\",\"attributes\":["
        + "{\"key\":\"gen_ai.provider.name\",\"value\":{\"stringValue\":\"" + Workload.PROVIDER + "\"}},"
        + "{\"key\":\"gen_ai.operation.name\",\"value\":{\"stringValue\":\"chat\"}},"
        + "{\"key\":\"gen_ai.request.model\",\"value\":{\"stringValue\":\"rel-small\"}},"
        + "{\"key\":\"gen_ai.usage.input_tokens\",\"value\":{\"doubleValue\":\"NaN\"}},"
        + "{\"key\":\"gen_ai.usage.output_tokens\",\"value\":{\"doubleValue\":\"Infinity\"}},"
        + "{\"key\":\"gen_ai.request.temperature\",\"value\":{\"doubleValue\":\"-Infinity\"}}]}]}]}]}";
    w.expectCall(new Workload.Call(w.service, "rel-small", null, null, null, "ok", null, end.toEpochMilli(), 1_000_000_000L));
    w.send(Workload.Kind.VALID, "OTLP/JSON with NaN and Infinity", null, List.of(t + "/" + sp), t,
        json.getBytes(StandardCharsets.UTF_8));
  }
}
