package io.tokenmeter.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import io.tokenmeter.app.TokenmeterConfig;
import org.junit.jupiter.api.Test;

/**
 * Scenario 3, the control: the same run as scenario 1 with {@code at_least_once} and one SIGKILL.
 * Kafka Streams re-processes what it had not committed, so the verifier must see duplicates (and
 * metrics that no longer match): proof that it can see them at all. The commit interval is 10 s
 * (Kafka Streams' own at-least-once default is 30 s; tokenmeter's is 100 ms), so the kill lands
 * inside an uncommitted stretch every time.
 */
class ControlAtLeastOnceIT {
  @Test
  void shouldShowThatTheVerifierDetectsTheDuplicatesOfAtLeastOnce() throws Exception {
    // Given at_least_once, a 10 s commit interval and no span-id deduplication
    Scenario s = Scenario.create("control-alos", Broker.shared(), 2)
        .set(TokenmeterConfig.PROCESSING_GUARANTEE, "at_least_once")
        .set(TokenmeterConfig.COMMIT_INTERVAL_MS, "10000")
        .set(TokenmeterConfig.DEDUP_WINDOW_MS, "0");

    // When the application is SIGKILLed once mid-stream
    Verifier.Report report = Runs.killRun(s, "3 (control: at_least_once, 1 SIGKILL)", 1, 3, false).print();

    // Then the verifier reports duplicated spans, yet nothing missing: at-least-once keeps its name
    assertThat(report.duplicated).as("duplicates the verifier found under at_least_once").isPositive();
    assertThat(report.missing).as("missing spans under at_least_once").isZero();
    assertThat(report.recordsUnaccounted).isZero();
  }
}
