package io.tokenmeter.reliability;

import io.tokenmeter.app.TokenmeterConfig;
import org.junit.jupiter.api.Test;

/**
 * Scenario 1: the packaged application in its own JVM, SIGKILLed three times while spans flow,
 * restarted on its state directory twice and on an empty one the third time (a pod rescheduled
 * without its volume). Exactly-once v2 must deliver every span once, with
 * metrics equal to the recomputation and no transaction left open. Duplicate detection by span id
 * is switched off, so that nothing but Kafka transactions stands between a crash and a duplicate.
 */
class HardKillIT {
  @Test
  void shouldDeliverEverySpanExactlyOnceThroughThreeSigkills() throws Exception {
    // Given a scenario on the shared broker, exactly-once v2, no span-id deduplication
    Scenario s = Scenario.create("hard-kills", Broker.shared(), 2)
        .set(TokenmeterConfig.PROCESSING_GUARANTEE, "exactly_once_v2")
        .set(TokenmeterConfig.DEDUP_WINDOW_MS, "0");

    // When the application is SIGKILLed three times mid-stream, restarted on its state directory
    // twice and, the third time, on an empty one (its transactional id is then never reused)
    Verifier.Report report = Runs.killRun(s, "1 (3 SIGKILLs, exactly_once_v2)", 3, 1, true);

    // Then (a)-(d) hold: 0 missing, 0 duplicated, every record accounted for, metrics exact, no open transaction
    report.assertExact();
  }
}
