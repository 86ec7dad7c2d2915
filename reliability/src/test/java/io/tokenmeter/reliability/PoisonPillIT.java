package io.tokenmeter.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.common.Attributes;
import io.tokenmeter.testing.SdkSpans;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

/**
 * Scenario 4: poison pills among valid traffic. Each must reach the dead-letter topic with its
 * reason and the topic/partition/offset it came from, the application must stay RUNNING, its
 * dead-letter counter must equal the number injected, and every valid span must still come out
 * exactly once with exact metrics.
 */
class PoisonPillIT {
  @Test
  void shouldDeadLetterEveryPoisonPillWithItsReasonAndKeepRunning() throws Exception {
    // Given valid traffic with three rounds of ten kinds of poison and a null value
    List<Hostile.Pill> pills = List.of(Hostile.garbage(1), Hostile.garbageText(), Hostile.truncated(validSample()),
        Hostile.timestamp(), Hostile.jsonWrongTime(), Hostile.jsonSpansNotArray(), Hostile.jsonTraceIdNumber(),
        Hostile.jsonIntValueText("many"), Hostile.notJson(), Hostile.empty());
    // When they are sent among valid records, then (see run) each is dead-lettered with its reason
    run("poison-pills", "4 (poison pills: 10 kinds + null value, 3 rounds)", pills, true);
  }

  /**
   * Valid protobuf that is not OTLP traces but whose bytes parse as a TracesData (OTLP metrics or
   * logs sent to the spans topic by a miswired Collector pipeline, a google.protobuf.Struct):
   * today they pass as spans with 20-byte "trace ids" (or no span at all) instead of being
   * dead-lettered. Awaits the topology validating span ids (16 and 8 bytes) and rejecting
   * batches without spans, as {@code not_otlp}.
   */
  @Test
  void shouldDeadLetterValidProtobufThatOnlyLooksLikeTraces() throws Exception {
    run("not-otlp", "4b (valid protobuf, not OTLP traces)",
        List.of(Hostile.struct(), Hostile.otlpMetrics(), Hostile.otlpLogs()), false);
  }

  private static byte[] validSample() {
    try (SdkSpans sdk = new SdkSpans("sample")) {
      return SdkSpans.otlp(sdk.trace("POST /chat", Attributes.empty(), Workload.T0, List.of(Attributes.builder()
          .put("gen_ai.provider.name", "acme").put("gen_ai.request.model", "rel-small")
          .put("gen_ai.usage.input_tokens", 10).build())));
    }
  }

  private static void run(String id, String name, List<Hostile.Pill> pills, boolean withNull) throws Exception {
    Scenario s = Scenario.create(id, Broker.shared(), 2);
    Run.with(s, 4, (w, v, app) -> {
      for (int round = 0; round < 3; round++) {
        w.sendValid(20);
        for (Hostile.Pill p : pills) {
          w.sendPoison(p.label(), p.reason(), p.value());
          w.sendValid(2);
        }
        if (withNull) {
          w.sendPoison("null value (a tombstone on the spans topic)", "empty", null);
        }
      }
      Runs.awaitAllSpans(v, w, Runs.DRAIN);
      awaitDeadLetters(v, s, w.poisonCount(), Duration.ofSeconds(30));
      Runs.closeWindows(v, w, Duration.ofSeconds(60));

      // Then the application is still RUNNING and counted each dead letter by its reason
      assertThat(app.httpStatus("/health/ready")).as("ready after the poison").isEqualTo(200);
      Prometheus metrics = app.scrape();
      assertThat(metrics.sum("tokenmeter_streams_running")).isEqualTo(1.0);
      Map<String, Double> counted = metrics.byLabel("tokenmeter_dead_letters_total", "reason");
      Map<String, Double> injected = new HashMap<>();
      w.poisonByReason().forEach((reason, n) -> injected.put(reason, n.doubleValue()));
      System.out.printf("  dead letters injected by reason %s, counted by /metrics %s%n", injected, counted);
      assertThat(app.stop()).as("exit code after SIGTERM").isIn(0, 143);

      // and the verifier finds each pill dead-lettered once with its reason and offset, everything else exact
      v.verify(name, w).assertExact();
      assertThat(counted).isEqualTo(injected);

      // and, by default, the dead letter carries the raw input (README: what the dead-letter topic exposes)
      Map<String, byte[]> inputByOffset = new HashMap<>();
      w.sent().forEach(r -> inputByOffset.put(r.partition + "/" + r.offset, r.value == null ? new byte[0] : r.value));
      for (ConsumerRecord<byte[], byte[]> dead : v.readAll(s.deadLetters)) {
        String at = Verifier.header(dead, Verifier.DLQ_PARTITION) + "/" + Verifier.header(dead, Verifier.DLQ_OFFSET);
        assertThat(dead.value() == null ? new byte[0] : dead.value()).as("dead letter of %s is the raw input", at)
            .isEqualTo(inputByOffset.get(at));
        assertThat(Verifier.header(dead, Verifier.DLQ_MESSAGE)).isNotBlank();
      }
    });
  }

  static void awaitDeadLetters(Verifier v, Scenario s, int n, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (v.readAll(s.deadLetters).size() < n && System.nanoTime() < deadline) {
      Thread.sleep(500);
    }
  }
}
