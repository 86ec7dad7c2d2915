package io.tokenmeter.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * {@code bin/bench}: every figure of issue 8 in one run, each next to the ceiling measured in the
 * same run on this machine, then one summary table.
 * <ol>
 *   <li>JMH, in-JVM: the pipeline vs protobuf decode + re-encode of the same bytes (spans/s, bytes
 *       allocated per span from {@code -prof gc}); the pipeline with the RocksDB dedup store;</li>
 *   <li>JMH sweeps: spans per record 1 / 10 / 100 / 1000; distinct models 5 / 50 / 500;</li>
 *   <li>the in-JVM pipeline's heap in use after GC, and the distinct series each sweep makes;</li>
 *   <li>end to end on a real in-JVM broker under exactly_once_v2 at commit intervals of 100 ms
 *       and 1 s: tokenmeter vs a Kafka Streams pass-through (throughput, added latency, stream
 *       thread allocation, heap), and whether llm-metrics keeps up.</li>
 * </ol>
 * Options: {@code --quick} (short iterations), {@code --skip-jmh}, {@code --skip-e2e}.
 */
public final class BenchMain {
  private static final int MAIN_SPR = 100;
  private static final int MAIN_MODELS = 50;

  private final boolean quick;
  private final Map<String, String> settings;
  private final List<String[]> rows = new ArrayList<>();
  private final Path jmhLog;

  private BenchMain(boolean quick, Path jmhLog, Map<String, String> settings) {
    this.quick = quick;
    this.settings = settings;
    this.jmhLog = jmhLog;
  }

  public static void main(String[] args) throws Exception {
    boolean quick = false;
    boolean jmh = true;
    boolean e2e = true;
    Map<String, String> settings = new java.util.LinkedHashMap<>();
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (a.equals("--set") && i + 1 < args.length && args[i + 1].contains("=")) {
        String[] kv = args[++i].split("=", 2);
        settings.put(kv[0], kv[1]);
        continue;
      }
      switch (a) {
        case "--quick" -> quick = true;
        case "--skip-jmh" -> jmh = false;
        case "--skip-e2e" -> e2e = false;
        default -> {
          System.err.println("usage: bin/bench [--quick] [--skip-jmh] [--skip-e2e] [--set name=value ...]");
          System.exit(2);
        }
      }
    }
    Path log = Path.of(System.getProperty("bench.jmh.log", "bench/target/jmh.log")).toAbsolutePath();
    Files.createDirectories(log.getParent());
    Files.deleteIfExists(log);
    new BenchMain(quick, log, settings).run(jmh, e2e);
    System.exit(0); // Kafka's and RocksDB's non-daemon threads must not keep the JVM alive
  }

  private void run(boolean jmh, boolean e2e) throws Exception {
    String loadBefore = loadAverage();
    long started = System.nanoTime();
    System.out.printf("tokenmeter benchmarks  %s%n", ZonedDateTime.now().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME));
    System.out.printf("machine: nproc=%d  java=%s (%s)  load average before: %s%s%n",
        Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"), System.getProperty("java.vm.name"),
        loadBefore, quick ? "  [--quick: short iterations, figures are indicative]" : "");
    Workload sample = Workload.build(MAIN_SPR, MAIN_MODELS, TrafficMix.MAX_SERVICES, 20_000, 42);
    System.out.printf("workload: %d-span OTLP TracesData records made with the OpenTelemetry SDK, %.1f attributes/span, "
            + "%.0f bytes/record, %d%% LLM spans, %d models, %d services, 9 dialects%n%n",
        MAIN_SPR, sample.attributesPerSpan, sample.bytesPerRecord, 100 * sample.llmSpans / sample.totalSpans, MAIN_MODELS,
        TrafficMix.MAX_SERVICES);

    if (jmh) {
      inJvm();
    }
    if (e2e) {
      endToEnd();
    }
    String loadAfter = loadAverage();
    System.out.println();
    System.out.println("================================ SUMMARY ================================");
    System.out.printf("nproc=%d  java=%s  load average before: %s  after: %s  wall time: %ds%n",
        Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"), loadBefore, loadAfter,
        (System.nanoTime() - started) / 1_000_000_000L);
    printTable();
    System.out.println("(JMH's full output: " + jmhLog + ")");
  }

  // ---------------------------------------------------------------- in-JVM (JMH)

  private record Jmh(double score, double error, double allocPerSpan) {}

  private void inJvm() throws Exception {
    System.out.println("== In-JVM pipeline (JMH, 1 thread, spans/s; ceiling = protobuf decode + re-encode of the same bytes)");
    Map<String, Jmh> main = jmh("ceiling|pipeline", Map.of("spansPerRecord", "100", "models", "50"));
    Jmh ceiling = main.get("ceiling/100/50");
    Jmh pipeline = main.get("pipeline/100/50");
    line("ceiling", ceiling);
    line("pipeline", pipeline);
    Map<String, Jmh> dedup = jmh("pipelineWithDedup", Map.of("spansPerRecord", "100", "models", "50"));
    Jmh withDedup = dedup.get("pipelineWithDedup/100/50");
    line("pipeline + dedup store", withDedup);
    ratioRow("In-JVM pipeline, spans/s (100 spans/record, 50 models)", pipeline, ceiling, 0.6);
    ratioRow("In-JVM pipeline + RocksDB dedup store, spans/s", withDedup, ceiling, -1);
    rows.add(new String[] {"Bytes allocated per span (JMH gc.alloc.rate.norm)", bytes(pipeline.allocPerSpan()),
        bytes(ceiling.allocPerSpan()), fmt2(pipeline.allocPerSpan() / ceiling.allocPerSpan()) + "x", "", "info"});
    rows.add(new String[] {"Bytes allocated per span, pipeline + dedup", bytes(withDedup.allocPerSpan()),
        bytes(ceiling.allocPerSpan()), fmt2(withDedup.allocPerSpan() / ceiling.allocPerSpan()) + "x", "", "info"});

    System.out.println("\n== Sweep: spans per record (50 models)");
    Map<String, Jmh> spr = jmh("ceiling|pipeline", Map.of("spansPerRecord", "1,10,1000", "models", "50"));
    spr.put("ceiling/100/50", ceiling);
    spr.put("pipeline/100/50", pipeline);
    for (String n : List.of("1", "10", "100", "1000")) {
      Jmh c = spr.get("ceiling/" + n + "/50");
      Jmh p = spr.get("pipeline/" + n + "/50");
      line(n + " spans/record: ceiling", c);
      line(n + " spans/record: pipeline", p);
      ratioRow("Sweep: " + n + " spans/record, spans/s", p, c, -1);
      cpuRow("Sweep: " + n + " spans/record, CPU per span", Workload.build(Integer.parseInt(n), MAIN_MODELS,
          TrafficMix.MAX_SERVICES, 20_000, 42), Map.of());
    }

    System.out.println("\n== Sweep: distinct models (100 spans/record; metrics.label.max.values=1000 so each model is a series)");
    Map<String, Jmh> models = jmh("ceiling|pipeline",
        Map.of("spansPerRecord", "100", "models", "5,500", "labelMaxValues", "1000"));
    models.put("ceiling/100/50", ceiling);
    models.put("pipeline/100/50", pipeline);
    for (String m : List.of("5", "50", "500")) {
      int series = footprint(Integer.parseInt(m), 1000)[0];
      Jmh c = models.get("ceiling/100/" + m);
      Jmh p = models.get("pipeline/100/" + m);
      line(m + " models (" + series + " series): ceiling", c);
      line(m + " models (" + series + " series): pipeline", p);
      ratioRow("Sweep: " + m + " models / " + series + " series, spans/s", p, c, -1);
      cpuRow("Sweep: " + m + " models, CPU per span", Workload.build(MAIN_SPR, Integer.parseInt(m),
          TrafficMix.MAX_SERVICES, 20_000, 42), Map.of("metrics.label.max.values", "1000"));
    }

    System.out.println("\n== CPU time per span (the measuring thread's own CPU clock: steady when other processes share the cores)");
    Workload w = Workload.build(MAIN_SPR, MAIN_MODELS, TrafficMix.MAX_SERVICES, 20_000, 42);
    CpuCost.Figures cpu = CpuCost.measure(w, quick ? 6 : 12, false);
    CpuCost.Figures cpuDedup = CpuCost.measure(w, quick ? 6 : 12, true);
    System.out.printf(Locale.ROOT, "  ceiling %s, pipeline %s (ratio %.2f), pipeline + dedup store %s (ratio %.2f)%n",
        micros(cpu.ceilingNs()), micros(cpu.pipelineNs()), cpu.ratio(), micros(cpuDedup.pipelineNs()),
        cpuDedup.ceilingNs() / cpuDedup.pipelineNs());
    rows.add(new String[] {"In-JVM CPU per span (thread CPU clock), pipeline", micros(cpu.pipelineNs()),
        micros(cpu.ceilingNs()), fmt2(cpu.ratio()), ">=" + fmt2(0.6), cpu.ratio() >= 0.6 ? "OK" : "SHORT"});
    rows.add(new String[] {"In-JVM CPU per span, pipeline + RocksDB dedup store", micros(cpuDedup.pipelineNs()),
        micros(cpuDedup.ceilingNs()), fmt2(cpuDedup.ceilingNs() / cpuDedup.pipelineNs()), "", "info"});

    long[] heap = footprintHeap();
    System.out.printf("%n== Heap in use after GC, in-JVM pipeline (production defaults, dedup on, 50 models): %s "
        + "(price book of the bundled snapshot, resolver and redaction caches, Micrometer series, partial aggregates)%n",
        mb(heap[0]));
    rows.add(new String[] {"Heap in use after GC, in-JVM pipeline state", mb(heap[0]), "", "", "", "info"});
  }

  /** Runs the named benchmarks with these params; results keyed {@code benchmark/spansPerRecord/models}. */
  private Map<String, Jmh> jmh(String methods, Map<String, String> params) throws Exception {
    ChainedOptionsBuilder b = new OptionsBuilder()
        .include(PipelineBenchmark.class.getName() + "\\.(" + methods + ")$")
        .forks(1)
        .warmupIterations(quick ? 3 : 5).warmupTime(TimeValue.seconds(quick ? 1 : 2)) // the pipeline needs ~10 s of JIT
        .measurementIterations(quick ? 2 : 3).measurementTime(TimeValue.seconds(quick ? 1 : 2))
        .addProfiler(GCProfiler.class)
        .shouldFailOnError(true)
        .output(jmhLog.toString() + ".part");
    params.forEach((k, v) -> b.param(k, v.split(",")));
    Collection<RunResult> results = new Runner(b.build()).run();
    Files.writeString(jmhLog, Files.readString(Path.of(jmhLog + ".part")), java.nio.file.StandardOpenOption.CREATE,
        java.nio.file.StandardOpenOption.APPEND);
    Files.deleteIfExists(Path.of(jmhLog + ".part"));
    Map<String, Jmh> out = new java.util.HashMap<>();
    for (RunResult r : results) {
      String name = r.getParams().getBenchmark();
      name = name.substring(name.lastIndexOf('.') + 1);
      Result<?> alloc = r.getSecondaryResults().get("gc.alloc.rate.norm");
      out.put(name + "/" + r.getParams().getParam("spansPerRecord") + "/" + r.getParams().getParam("models"),
          new Jmh(r.getPrimaryResult().getScore(), r.getPrimaryResult().getScoreError(),
              alloc == null ? Double.NaN : alloc.getScore()));
    }
    return out;
  }

  /** {distinct series, retained heap} of a harness that processed the whole workload once. */
  private static int[] footprint(int models, int labelMax) {
    Workload w = Workload.build(MAIN_SPR, models, TrafficMix.MAX_SERVICES, 20_000, 42);
    try (PipelineHarness h = new PipelineHarness(false, Map.of("metrics.label.max.values", String.valueOf(labelMax)))) {
      long now = System.currentTimeMillis();
      for (int i = 0; i < w.records.size(); i++) {
        h.process(w.keys.get(i), w.records.get(i).bytes(), now);
      }
      h.flushMetrics(now);
      return new int[] {h.series()};
    }
  }

  /** Heap in use after GC by a production-default pipeline (dedup on) that processed 200k distinct spans. */
  private static long[] footprintHeap() {
    Workload w = Workload.build(MAIN_SPR, MAIN_MODELS, TrafficMix.MAX_SERVICES, 20_000, 42);
    System.gc();
    long before = EndToEnd.usedHeap();
    try (PipelineHarness h = new PipelineHarness(true, Map.of())) {
      long salt = 0;
      for (int pass = 0; pass < 10; pass++) {
        long now = System.currentTimeMillis();
        for (int i = 0; i < w.records.size(); i++) {
          w.records.get(i).resaltInPlace(++salt * 0x9E3779B97F4A7C15L);
          h.process(w.keys.get(i), w.records.get(i).bytes(), now);
        }
      }
      System.gc();
      long after = EndToEnd.usedHeap();
      return new long[] {Math.max(0, after - before)};
    }
  }

  // ---------------------------------------------------------------- end to end

  private void endToEnd() throws Exception {
    Duration warmup = Duration.ofSeconds(quick ? 3 : 5);
    Duration measure = Duration.ofSeconds(quick ? 8 : 15);
    Duration latency = Duration.ofSeconds(quick ? 5 : 8);
    EndToEnd.Options o = new EndToEnd.Options(MAIN_SPR, MAIN_MODELS, 2, warmup, measure, latency, 0.5, 10_000, 5_000,
        settings);
    if (!settings.isEmpty()) {
      System.out.println("tokenmeter settings changed from the defaults for this run: " + settings);
    }
    System.out.printf("%n== End to end: in-JVM KRaft broker, exactly_once_v2, 1 stream thread, %d input partitions "
            + "(LogAppendTime), %d-span records; throughput over %ds at saturation (bounded backlog), latency at a fixed "
            + "rate = %.0f%% of tokenmeter's throughput; llm-metrics windows %ds, grace %ds%n",
        o.partitions(), o.spansPerRecord(), measure.toSeconds(), o.latencyFraction() * 100, o.metricsWindowMs() / 1000,
        o.metricsGraceMs() / 1000);
    try (EndToEnd e = new EndToEnd(o)) {
      // -Dbench.e2e.commits=100 and -Dbench.e2e.tokenmeterOnly=true narrow the run (profiling).
      List<Long> commits = java.util.Arrays.stream(System.getProperty("bench.e2e.commits", "100,1000").split(","))
          .map(Long::parseLong).toList();
      for (long commit : commits) {
        EndToEnd.Result tm = e.run(EndToEnd.App.TOKENMETER, commit, 0);
        print(tm);
        if (Boolean.getBoolean("bench.e2e.tokenmeterOnly")) {
          continue;
        }
        EndToEnd.Result pt = e.run(EndToEnd.App.PASSTHROUGH, commit, tm.latencyRate());
        print(pt);
        String c = commit == 100 ? "100 ms" : "1 s";
        double ratio = tm.spansPerSec() / pt.spansPerSec();
        boolean ok = tm.spansPerSec() >= 100_000 && ratio >= 0.6;
        rows.add(new String[] {"E2E sustained spans/s, commit " + c, num(tm.spansPerSec()), num(pt.spansPerSec()),
            fmt2(ratio), ">=100k, >=0.60", ok ? "OK" : "SHORT"});
        rows.add(new String[] {"E2E added latency p50/p99 ms @" + num(tm.latencyRate()) + " spans/s, commit " + c,
            tm.p50Ms() + " / " + tm.p99Ms(), pt.p50Ms() + " / " + pt.p99Ms(), "", "", "info"});
        rows.add(new String[] {"E2E stream-thread CPU per span, commit " + c, micros(tm.cpuNsPerSpan()),
            micros(pt.cpuNsPerSpan()), fmt2(pt.cpuNsPerSpan() / tm.cpuNsPerSpan()), "", "info"});
        rows.add(new String[] {"E2E stream-thread bytes allocated per span, commit " + c, bytes(tm.allocPerSpan()),
            bytes(pt.allocPerSpan()), fmt2(tm.allocPerSpan() / pt.allocPerSpan()) + "x", "", "info"});
        rows.add(new String[] {"E2E JVM heap after GC minus before the app, commit " + c, mb(tm.heapRetainedBytes()),
            mb(pt.heapRetainedBytes()), "", "", "info"});
        long bound = o.metricsWindowMs() + o.metricsGraceMs() + 1_000 + commit + 2_000;
        // Lag in seconds of partials: the committed position trails by up to one commit interval by design.
        double lagSeconds = tm.metricsRepartitionLag() / Math.max(1.0, tm.metricsPartialsPerSec());
        long lagBound = commit + 1_000 + 1_000;
        boolean metricsOk = tm.metricsRecords() > 0 && tm.metricsBehindMs() <= bound && lagSeconds * 1000 <= lagBound;
        rows.add(new String[] {"llm-metrics keeping up, commit " + c + " (partials lag / newest window behind)",
            fmt1(lagSeconds) + " s / " + fmt1(Math.max(0, tm.metricsBehindMs()) / 1000.0) + " s",
            "<= " + fmt1(lagBound / 1000.0) + " s / " + fmt1(bound / 1000.0) + " s", "", "never behind",
            metricsOk ? "OK" : "BEHIND"});
        if (commit == 100) {
          rows.add(new String[] {"Unpriced-sighting repartition records per input record",
              fmt2((double) tm.unpricedRepartitionRecords() / Math.max(1, tm.inputRecords())), "", "", "", "info"});
        }
      }
    }
  }

  private static void print(EndToEnd.Result r) {
    System.out.printf(Locale.ROOT, "%-11s commit %4d ms: %s spans/s sustained (producer offered %s/s, backlog %s spans at "
            + "the end); latency @%s spans/s: p50 %d ms, p99 %d ms, max %d ms (%d records); stream thread %s/span, "
            + "%s CPU/span; heap +%s%s%n",
        r.app().name().toLowerCase(Locale.ROOT), r.commitMs(), num(r.spansPerSec()), num(r.producedSpansPerSec()),
        num(r.backlogSpans()), num(r.latencyRate()), r.p50Ms(), r.p99Ms(), r.maxMs(), r.latencySamples(),
        bytes(r.allocPerSpan()), micros(r.cpuNsPerSpan()), mb(r.heapRetainedBytes()),
        r.app() == EndToEnd.App.TOKENMETER ? String.format(Locale.ROOT,
            "; llm-metrics: %d window records, newest window end %.1f s behind stream time, partials repartition lag %d "
                + "of %d records; unpriced repartition records %d for %d input records",
            r.metricsRecords(), r.metricsBehindMs() / 1000.0, r.metricsRepartitionLag(), r.metricsRepartitionRecords(),
            r.unpricedRepartitionRecords(), r.inputRecords()) : "");
    if (!r.threadTime().isEmpty()) {
      System.out.println("  stream thread time (Kafka Streams metrics): " + r.threadTime());
    }
    if (!r.note().isEmpty()) {
      System.out.println("  note: " + r.note());
    }
  }

  // ---------------------------------------------------------------- output

  private static void line(String label, Jmh r) {
    System.out.printf(Locale.ROOT, "  %-38s %12s spans/s  ± %-10s %10s allocated/span%n", label, num(r.score()),
        num(r.error()), bytes(r.allocPerSpan()));
  }

  /** CPU time per span of pipeline and ceiling on this workload (robust to other load), as a summary row. */
  private void cpuRow(String label, Workload w, Map<String, String> overrides) throws Exception {
    CpuCost.Figures f = CpuCost.measure(w, quick ? 4 : 6, false, overrides);
    System.out.printf(Locale.ROOT, "  %-38s %s vs ceiling %s CPU/span (ratio %.2f)%n", label, micros(f.pipelineNs()),
        micros(f.ceilingNs()), f.ratio());
    rows.add(new String[] {label, micros(f.pipelineNs()), micros(f.ceilingNs()), fmt2(f.ratio()), "", "info"});
  }

  private void ratioRow(String label, Jmh value, Jmh ceiling, double target) {
    double ratio = value.score() / ceiling.score();
    rows.add(new String[] {label, num(value.score()), num(ceiling.score()), fmt2(ratio),
        target > 0 ? ">=" + fmt2(target) : "", target > 0 ? (ratio >= target ? "OK" : "SHORT") : "info"});
  }

  private void printTable() {
    String[] head = {"figure", "tokenmeter", "ceiling", "ratio", "target", ""};
    int[] w = new int[head.length];
    List<String[]> all = new ArrayList<>();
    all.add(head);
    all.addAll(rows);
    for (String[] r : all) {
      for (int i = 0; i < r.length; i++) {
        w[i] = Math.max(Math.max(1, w[i]), r[i].length());
      }
    }
    for (String[] r : all) {
      StringBuilder sb = new StringBuilder();
      for (int i = 0; i < r.length; i++) {
        String cell = r[i];
        sb.append(i == 0 ? String.format("%-" + w[i] + "s", cell) : String.format("  %" + w[i] + "s", cell));
      }
      System.out.println(sb.toString().stripTrailing());
      if (r == head) {
        System.out.println("-".repeat(sb.length()));
      }
    }
  }

  static String loadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
      return f[0] + " " + f[1] + " " + f[2];
    } catch (IOException | RuntimeException e) {
      return "n/a";
    }
  }

  static String num(double v) {
    return Double.isNaN(v) ? "n/a" : String.format(Locale.ROOT, "%,.0f", v);
  }

  static String fmt1(double v) {
    return String.format(Locale.ROOT, "%.1f", v);
  }

  static String fmt2(double v) {
    return Double.isNaN(v) || Double.isInfinite(v) ? "n/a" : String.format(Locale.ROOT, "%.2f", v);
  }

  static String bytes(double v) {
    return Double.isNaN(v) ? "n/a" : String.format(Locale.ROOT, "%,.0f B", v);
  }

  static String micros(double ns) {
    return Double.isNaN(ns) ? "n/a" : String.format(Locale.ROOT, "%.2f us", ns / 1000);
  }

  static String mb(long v) {
    return String.format(Locale.ROOT, "%.1f MB", v / 1_048_576.0);
  }
}
