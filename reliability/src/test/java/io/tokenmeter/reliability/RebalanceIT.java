package io.tokenmeter.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Scenario 2: two instances with a standby replica each ({@code num.standby.replicas=1}), four
 * input partitions, traffic flowing: instance B joins while A runs (tasks and their state migrate
 * to B), then A is stopped (SIGTERM, as a scale-down) and B takes over every task from its
 * standbys. Each instance has its own state directory, as pods of the StatefulSet do.
 */
@Tag("long")
class RebalanceIT {
  @Test
  void shouldStayExactlyOnceWhileAnInstanceJoinsAndAnotherLeaves() throws Exception {
    Scenario s = Scenario.create("rebalance", Broker.shared(), 4).kafka("num.standby.replicas", "1");
    s.publishCards(Workload.cards());
    Verifier v = new Verifier(s);
    Path stateA = s.newStateDir();
    Path stateB = s.newStateDir();
    try (Workload w = new Workload(s, "rel-rebalance", 2);
         AppProcess a = AppProcess.start(s, "rebalance-a", stateA).awaitReady(Runs.READY)) {
      AppProcess b;
      try (Runs.Traffic traffic = new Runs.Traffic(w, 4)) {
        Runs.awaitProgress(s, a, 40, Duration.ofSeconds(90));
        // When B joins mid-stream
        b = AppProcess.start(s, "rebalance-b", stateB).awaitReady(Runs.READY);
        awaitSpansIn(b, Duration.ofSeconds(90));
        Runs.awaitProgress(s, b, 40, Duration.ofSeconds(90));
        double beforeLeaving = b.scrape().sum("tokenmeter_spans_in_total");
        System.out.printf("  rebalance: B joined and processed %.0f spans next to A%n", beforeLeaving);
        // and A leaves mid-stream
        int exitA = a.stop();
        System.out.printf("  rebalance: A stopped (SIGTERM, exit %d)%n", exitA);
        Runs.awaitProgress(s, b, 40, Duration.ofSeconds(90));
      }
      try (b) {
        Runs.awaitAllSpans(v, w, Runs.DRAIN);
        Runs.closeWindows(v, w, Duration.ofSeconds(60));
        assertThat(b.httpStatus("/health/ready")).isEqualTo(200);
        b.stop();
        long rebalancesA = rebalances(a);
        long rebalancesB = rebalances(b);
        System.out.printf("  rebalance: A went through %d rebalances, B through %d%n", rebalancesA, rebalancesB);
        assertThat(rebalancesB).as("rebalances B saw (its join, A's departure)").isGreaterThanOrEqualTo(2);
        // Then (a)-(d) hold across both instances
        v.verify("2 (instance B joins, instance A leaves, 1 standby replica, 4 partitions)", w).assertExact();
      }
    }
  }

  private static long rebalances(AppProcess app) throws java.io.IOException {
    return app.logText().lines().filter(l -> l.contains("Kafka Streams state") && l.endsWith("-> REBALANCING")).count();
  }

  /** Waits until B has processed spans of its own: tasks did move to it. */
  private static void awaitSpansIn(AppProcess b, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (b.scrape().sum("tokenmeter_spans_in_total") == 0) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("no task moved to " + b.name + " within " + timeout + "; log " + b.log);
      }
      Thread.sleep(200);
    }
  }
}
