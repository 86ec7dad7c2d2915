package io.tokenmeter.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.proto.trace.v1.TracesData;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/**
 * Span time becomes Kafka record time inside the topology: the partial aggregates sent to the
 * {@code metric-partials} repartition topic carry the latest span end they hold, and llm-metrics
 * records carry their window's start. Brokers judge record timestamps: since Kafka 4.0
 * {@code log.message.timestamp.after.max.ms} defaults to one hour, and a topic's time retention
 * deletes records by timestamp. Both tests await the topology (README, findings).
 */
class TimestampsIT {
  /**
   * One span ending in the year 2100 (a client clock gone wrong, or a garbage end time): its
   * partial aggregate is timestamped 2100, the broker refuses it (InvalidTimestampException: more
   * than an hour ahead), no production exception handler takes it, the stream thread dies, is
   * replaced, dies again, and the application exits; on restart the same record waits. Awaits:
   * Kafka record timestamps of partials and metrics from the wall clock (span time stays in the
   * value), and far-future end times bounded before they steer the windows.
   */
  @Test
  void shouldKeepRunningWhenASpanEndsFarInTheFuture() throws Exception {
    Run.with(Scenario.create("future-span", Broker.shared(), 2), 13, (w, v, app) -> {
      w.sendValid(10);
      Instant future = Instant.parse("2100-01-01T00:00:00Z");
      TracesData d = Hostile.llmSpan(w.service, "rel-large", future.getEpochSecond() * 1_000_000_000L,
          HostileSizesIT.tokens(100, 10));
      // its window never closes in this run: the span is expected in the sink, its call not in llm-metrics
      w.send(Workload.Kind.VALID, "span ending in 2100", null, Hostile.ids(d), null, d.toByteArray());
      w.sendValid(10);
      Runs.awaitAllSpans(v, w, Duration.ofSeconds(60));
      assertThat(app.alive()).as("application alive; log " + app.log).isTrue();
      assertThat(app.httpStatus("/health/ready")).isEqualTo(200);
      Runs.closeWindows(v, w, Duration.ofSeconds(30));
      app.stop();
      v.verify("5d (a span ending in 2100)", w).assertExact();
    });
  }

  /**
   * llm-metrics on a topic with the deployment's 7-day retention (k8s KafkaTopic): the records of
   * windows older than that are timestamped with their window start, so the broker's retention
   * check deletes them as soon as they are written. A replay or backfill of spans older than the
   * retention loses its metrics (here: spans of September 2025). Awaits llm-metrics records
   * timestamped when written.
   */
  @Test
  void shouldKeepMetricsOfOldWindowsUnderTheMetricsTopicRetention() throws Exception {
    Scenario s = Scenario.create("metrics-retention", Broker.shared(), 2);
    s.broker.alterTopic(s.metrics, "retention.ms", String.valueOf(Duration.ofDays(7).toMillis()));
    Run.with(s, 14, (w, v, app) -> {
      w.sendValid(40);
      Runs.awaitAllSpans(v, w, Runs.DRAIN);
      Runs.closeWindows(v, w, Duration.ofSeconds(20));
      Thread.sleep(5000); // the broker checks retention every second here
      app.stop();
      v.verify("c' (metrics of old windows under a 7-day retention)", w).assertExact();
    });
  }
}
