package io.tokenmeter.bench;

import io.opentelemetry.proto.trace.v1.TracesData;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Map;

/**
 * CPU time per span of the pipeline and of its ceiling, from the running thread's own CPU clock:
 * unlike spans/s it barely moves when other processes share the cores, so it is the figure to
 * compare two builds on a busy machine (and the ratio to read when the JMH scores are noisy).
 * {@code java -cp benchmarks.jar io.tokenmeter.bench.CpuCost [seconds] [spansPerRecord] [models] [dedup]}
 */
public final class CpuCost {
  /** CPU nanoseconds per span: ceiling, pipeline. */
  public record Figures(double ceilingNs, double pipelineNs) {
    public double ratio() {
      return ceilingNs / pipelineNs;
    }
  }

  private CpuCost() {}

  public static void main(String[] args) throws Exception {
    double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 10;
    int spr = args.length > 1 ? Integer.parseInt(args[1]) : 100;
    int models = args.length > 2 ? Integer.parseInt(args[2]) : 50;
    boolean dedup = args.length > 3 && Boolean.parseBoolean(args[3]);
    Figures f = measure(Workload.build(spr, models, TrafficMix.MAX_SERVICES, 20_000, 42), seconds, dedup);
    System.out.printf("CPU per span: ceiling %.0f ns, pipeline%s %.0f ns, ratio %.2f%n", f.ceilingNs(),
        dedup ? " + dedup" : "", f.pipelineNs(), f.ratio());
    System.exit(0);
  }

  /** Warms both up for a third of {@code seconds}, then measures each for the rest. */
  public static Figures measure(Workload w, double seconds, boolean dedup) throws Exception {
    return measure(w, seconds, dedup, Map.of());
  }

  /** The same with tokenmeter settings changed from the defaults. */
  public static Figures measure(Workload w, double seconds, boolean dedup, Map<String, String> overrides)
      throws Exception {
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    long warm = (long) (seconds / 3 * 1e9);
    long run = (long) (seconds * 1e9) - warm;
    ceiling(w, warm, threads);
    double ceiling = ceiling(w, run, threads);
    try (PipelineHarness h = new PipelineHarness(dedup, overrides)) {
      long[] salt = {0};
      pipeline(w, h, warm, threads, dedup, salt);
      return new Figures(ceiling, pipeline(w, h, run, threads, dedup, salt));
    }
  }

  private static double ceiling(Workload w, long nanos, ThreadMXBean threads) throws Exception {
    long spans = 0;
    long sink = 0;
    long cpu0 = threads.getCurrentThreadCpuTime();
    long end = System.nanoTime() + nanos;
    for (int i = 0; System.nanoTime() < end; i = (i + 1) % w.records.size()) {
      sink += TracesData.parseFrom(w.records.get(i).bytes()).toByteArray().length;
      spans += w.spansPerRecord;
    }
    if (sink == 42) {
      System.out.print("");
    }
    return (double) (threads.getCurrentThreadCpuTime() - cpu0) / spans;
  }

  private static double pipeline(Workload w, PipelineHarness h, long nanos, ThreadMXBean threads, boolean dedup,
      long[] salt) {
    long spans = 0;
    long cpu0 = threads.getCurrentThreadCpuTime();
    long end = System.nanoTime() + nanos;
    for (int i = 0; System.nanoTime() < end; i = (i + 1) % w.records.size()) {
      if (dedup) {
        w.records.get(i).resaltInPlace(++salt[0] * 0x9E3779B97F4A7C15L);
      }
      h.process(w.keys.get(i), w.records.get(i).bytes(), System.currentTimeMillis());
      spans += w.spansPerRecord;
    }
    return (double) (threads.getCurrentThreadCpuTime() - cpu0) / spans;
  }
}
