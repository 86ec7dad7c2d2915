package io.tokenmeter.reliability;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;

/** The steps scenarios share: steady traffic, waiting for output, closing the metric windows, kills. */
final class Runs {
  static final Duration READY = Duration.ofSeconds(120);
  static final Duration DRAIN = Duration.ofSeconds(120);

  private Runs() {}

  /** Sends {@code perTick} valid records every 100 ms on a background thread until {@link Traffic#stop()}. */
  static final class Traffic implements AutoCloseable {
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final Thread thread;

    Traffic(Workload workload, int perTick) {
      thread = new Thread(() -> {
        try {
          while (running.get()) {
            workload.sendValid(perTick);
            Thread.sleep(100);
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        } catch (Throwable t) {
          failure.set(t);
        }
      }, "traffic");
      thread.start();
    }

    void stop() throws InterruptedException {
      running.set(false);
      thread.join();
      if (failure.get() != null) {
        throw new AssertionError("traffic failed", failure.get());
      }
    }

    @Override
    public void close() throws InterruptedException {
      stop();
    }
  }

  /** Sum of the last stable offsets of a topic's partitions: it grows with every committed transaction. */
  static long committedEnd(Scenario s, String topic) throws Exception {
    try (Admin admin = s.broker.admin()) {
      Map<TopicPartition, OffsetSpec> latest = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic)
          .partitions().stream().collect(Collectors.toMap(p -> new TopicPartition(topic, p.partition()), p -> OffsetSpec.latest()));
      return admin.listOffsets(latest, new ListOffsetsOptions(IsolationLevel.READ_COMMITTED)).all().get().values().stream()
          .mapToLong(i -> i.offset()).sum();
    }
  }

  /** Waits until the enriched topic's committed end moved {@code by} past where it was. */
  static void awaitProgress(Scenario s, AppProcess app, long by, Duration timeout) throws Exception {
    long start = committedEnd(s, s.enriched);
    long deadline = System.nanoTime() + timeout.toNanos();
    while (committedEnd(s, s.enriched) < start + by) {
      if (!app.alive()) {
        throw new AssertionError(app.name + " died: exit " + app.exitCode() + "; log " + app.log + "\n" + app.tail(30));
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("no progress on " + s.enriched + " within " + timeout + "; log " + app.log + "\n" + app.tail(30));
      }
      Thread.sleep(100);
    }
  }

  /** Waits until every expected span is in the enriched topic (read_committed), or the timeout. */
  static void awaitAllSpans(Verifier v, Workload w, Duration timeout) throws Exception {
    w.flush();
    Set<String> want = w.expectedSpans();
    long deadline = System.nanoTime() + timeout.toNanos();
    Set<String> have;
    while (!(have = v.enrichedSpanIds()).containsAll(want) && System.nanoTime() < deadline) {
      Thread.sleep(1000);
    }
    System.out.printf("  enriched topic holds %d distinct spans, %d expected%n", have.size(), want.size());
  }

  /**
   * Closes every metric window: sends tick rounds (2 s apart, so that each lands after the window
   * aggregation's emit interval) until llm-metrics holds every expected (window, series), or the
   * timeout. The ticks' own spans are expected in the enriched topic like any others.
   */
  static void closeWindows(Verifier v, Workload w, Duration timeout) throws Exception {
    Set<String> want = w.expectedMetrics().keySet();
    long deadline = System.nanoTime() + timeout.toNanos();
    do {
      w.sendTicks();
      Thread.sleep(2000);
    } while (!v.metricKeys().containsAll(want) && System.nanoTime() < deadline);
    awaitAllSpans(v, w, Duration.ofSeconds(30));
  }

  /**
   * The kill scenario shared by the hard-kill run and its at-least-once control: traffic flows
   * while the application is SIGKILLed {@code kills} times, each time after it made progress, and
   * restarted on the same state directory (a pod restarted on its volume) or, after the last kill
   * when {@code loseStateOnLastKill}, on an empty one (a pod rescheduled without its volume: state
   * is restored from the changelogs, and the dead instance's transactional id is never reused, so
   * its open transaction must be aborted by the transaction timeout); then the run drains, the
   * windows close, the application stops cleanly, and the verifier reports.
   */
  static Verifier.Report killRun(Scenario s, String name, int kills, long seed, boolean loseStateOnLastKill)
      throws Exception {
    s.publishCards(Workload.cards());
    Path state = s.newStateDir();
    Verifier v = new Verifier(s);
    try (Workload w = new Workload(s, "rel-" + s.id, seed)) {
      AppProcess app = AppProcess.start(s, s.id + "-run0", state).awaitReady(READY);
      try (Traffic traffic = new Traffic(w, 4)) {
        for (int k = 1; k <= kills; k++) {
          awaitProgress(s, app, 30, Duration.ofSeconds(90));
          Thread.sleep(ThreadLocalRandom.current().nextInt(400));
          long before = committedEnd(s, s.enriched);
          app.kill();
          boolean lose = loseStateOnLastKill && k == kills;
          if (lose) {
            state = s.newStateDir();
          }
          System.out.printf("  %s: SIGKILL %d of %d (pid %d) at committed enriched offset %d, %d records sent; restart on %s%n",
              name, k, kills, app.pid(), before, w.sent().size(), lose ? "an empty state directory" : "its state directory");
          app = AppProcess.start(s, s.id + "-run" + k, state).awaitReady(READY);
        }
        awaitProgress(s, app, 30, Duration.ofSeconds(90));
      }
      awaitAllSpans(v, w, DRAIN);
      closeWindows(v, w, Duration.ofSeconds(60));
      int exit = app.stop();
      System.out.printf("  %s: stopped with SIGTERM, exit %d; logs in %s%n", name, exit, app.log.getParent());
      return v.verify(name, w);
    }
  }
}
