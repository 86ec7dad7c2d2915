package io.tokenmeter.reliability;

import java.math.BigDecimal;
import java.util.Map;

/**
 * The usual shape of a scenario: the suite's price cards published, one instance of the
 * application running on the scenario (ready), its generator and its verifier.
 */
final class Run implements AutoCloseable {
  final Scenario scenario;
  final Verifier verifier;
  final Workload workload;
  final AppProcess app;

  private Run(Scenario scenario, Workload workload, AppProcess app) {
    this.scenario = scenario;
    this.verifier = new Verifier(scenario);
    this.workload = workload;
    this.app = app;
  }

  static Run start(Scenario s, long seed) throws Exception {
    return start(s, seed, Workload.PRICES);
  }

  /** As {@link #start(Scenario, long)}, with the prices the ground truth must use. */
  static Run start(Scenario s, long seed, Map<String, BigDecimal[]> prices) throws Exception {
    s.publishCards(Workload.cards());
    Workload w = new Workload(s, "rel-" + s.id, seed, prices);
    try {
      return new Run(s, w, AppProcess.start(s, s.id, s.newStateDir()).awaitReady(Runs.READY));
    } catch (Exception | Error e) {
      w.close();
      throw e;
    }
  }

  /** What a scenario does with its generator, verifier and running application. */
  @FunctionalInterface
  interface Body {
    void run(Workload w, Verifier v, AppProcess app) throws Exception;
  }

  /** Starts the run, hands it to {@code body}, and stops it. */
  static void with(Scenario s, long seed, Body body) throws Exception {
    with(s, seed, Workload.PRICES, body);
  }

  static void with(Scenario s, long seed, Map<String, BigDecimal[]> prices, Body body) throws Exception {
    try (Run run = start(s, seed, prices)) {
      body.run(run.workload, run.verifier, run.app);
    }
  }

  @Override
  public void close() throws Exception {
    try {
      app.close();
    } finally {
      workload.close();
    }
  }
}
