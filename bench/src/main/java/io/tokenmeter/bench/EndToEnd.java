package io.tokenmeter.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tokenmeter.app.DeadLetterHandlers;
import io.tokenmeter.app.StreamsApp;
import io.tokenmeter.app.TokenmeterConfig;
import io.tokenmeter.app.TopicSetup;
import io.tokenmeter.app.Topics;
import io.tokenmeter.demo.EmbeddedKafka;
import io.tokenmeter.metrics.HealthMetrics;
import io.tokenmeter.pricing.PriceCard;
import io.tokenmeter.pricing.PriceCardCodec;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Produced;

/**
 * End to end on a real KRaft broker in this JVM, under {@code exactly_once_v2}: tokenmeter's
 * {@link StreamsApp} against a minimal Kafka Streams {@code stream(in).to(out)} pass-through of
 * the same records with the same settings (guarantee, commit interval, partitions, one stream
 * thread, the app's producer settings).
 *
 * <p>Each run has two phases. <b>Throughput</b>: a producer appends pre-made records as fast as it
 * can, its backlog (appended but not yet visible in the output) bounded so the app is always
 * saturated without filling the disk; sustained spans/s is what a {@code read_committed}
 * consumer sees in the output over the measured window. <b>Latency</b>: after the backlog
 * drained, the producer appends at a fixed rate (the same rate for both apps: a fraction of
 * tokenmeter's sustained throughput) and the consumer records, for each output record, the time
 * it became visible minus its input append time ({@code LogAppendTime} on the input topic, which
 * Kafka Streams carries to the output record).
 *
 * <p>Every record sent is new: trace and span ids are re-salted and span times shifted to the
 * send time ({@link OtlpTemplate}), so nothing is dropped as a duplicate and metric windows advance
 * and close as in production.
 */
public final class EndToEnd implements AutoCloseable {
  public enum App { TOKENMETER, PASSTHROUGH }

  public record Options(int spansPerRecord, int models, int partitions, Duration warmup, Duration measure,
      Duration latency, double latencyFraction, long metricsWindowMs, long metricsGraceMs, Map<String, String> settings) {}

  public record Result(App app, long commitMs, double spansPerSec, double producedSpansPerSec, long backlogSpans,
      double latencyRate, long p50Ms, long p99Ms, long maxMs, long latencySamples, long heapRetainedBytes,
      double allocPerSpan, double cpuNsPerSpan, long metricsRecords, long metricsRepartitionLag, long metricsRepartitionRecords,
      long metricsBehindMs, long unpricedRepartitionRecords, long inputRecords, double metricsPartialsPerSec,
      String note, String threadTime) {}

  private static final String PRICING_TOPIC = "llm-pricing";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Options options;
  private final Workload workload;
  private final EmbeddedKafka broker;
  private final Properties client = new Properties();
  private final int cards;
  private int runs;

  public EndToEnd(Options options) throws Exception {
    this.options = options;
    this.workload = Workload.build(options.spansPerRecord(), options.models(), TrafficMix.MAX_SERVICES,
        Math.max(20_000, options.spansPerRecord() * 50), 7);
    PrintStream stdout = System.out;
    System.setOut(new PrintStream(OutputStream.nullOutputStream())); // the test kit prints its formatting
    try {
      broker = EmbeddedKafka.start();
    } finally {
      System.setOut(stdout);
    }
    client.put("bootstrap.servers", broker.bootstrapServers());
    try (Admin admin = Admin.create(client)) {
      admin.createTopics(List.of(new NewTopic(PRICING_TOPIC, 1, (short) 1)
          .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT)))).all().get();
    }
    List<PriceCard> all = Workload.bundledCards();
    Properties p = producerProps();
    try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
      for (PriceCard c : all) {
        producer.send(new ProducerRecord<>(PRICING_TOPIC, c.key(), PriceCardCodec.toBytes(c)));
      }
      producer.flush();
    }
    cards = all.size();
  }

  public Workload workload() {
    return workload;
  }

  /** One run of one app at one commit interval; {@code latencyRate} spans/s for the latency phase (0: derive). */
  public Result run(App app, long commitMs, double latencyRate) throws Exception {
    int n = ++runs;
    String appId = "bench-" + app.name().toLowerCase() + "-" + n;
    String in = "bench-in-" + n;
    String out = "bench-out-" + n;
    Path stateDir = Files.createTempDirectory("tokenmeter-bench-e2e");
    createInput(in);
    Map<String, String> settings = new HashMap<>();
    settings.put(TokenmeterConfig.BOOTSTRAP_SERVERS, broker.bootstrapServers());
    settings.put(TokenmeterConfig.APPLICATION_ID, appId);
    settings.put(TokenmeterConfig.STATE_DIR, stateDir.toString());
    settings.put(TokenmeterConfig.HTTP_PORT, "0");
    settings.put(TokenmeterConfig.HTTP_HOST, "127.0.0.1");
    settings.put(TokenmeterConfig.COMMIT_INTERVAL_MS, String.valueOf(commitMs));
    settings.put(TokenmeterConfig.TOPIC_INPUT, in);
    settings.put(TokenmeterConfig.TOPIC_ENRICHED, out);
    settings.put(TokenmeterConfig.TOPIC_PRICING, PRICING_TOPIC);
    settings.put(TokenmeterConfig.TOPIC_METRICS, "bench-metrics-" + n);
    settings.put(TokenmeterConfig.TOPIC_DOCS, "bench-docs-" + n);
    settings.put(TokenmeterConfig.TOPIC_DEAD_LETTERS, "bench-dead-letters-" + n);
    settings.put(TokenmeterConfig.TOPIC_UNPRICED, "bench-unpriced-" + n);
    settings.put(TokenmeterConfig.METRICS_WINDOW_MS, String.valueOf(options.metricsWindowMs()));
    settings.put(TokenmeterConfig.METRICS_GRACE_MS, String.valueOf(options.metricsGraceMs()));
    settings.putAll(options.settings());
    TokenmeterConfig config = TokenmeterConfig.load(Map.of(), Map.of(), settings);
    Topics topics = Topics.from(config);
    TopicSetup.createMissing(client, topics.all(), options.partitions(), (short) 1);

    System.gc();
    long heapBefore = usedHeap();
    StreamsApp tokenmeter = null;
    KafkaStreams passthrough = null;
    try (Reader reader = new Reader(out, app == App.TOKENMETER ? topics.metrics().name() : null)) {
      if (app == App.TOKENMETER) {
        tokenmeter = new StreamsApp(config);
        tokenmeter.start();
        if (!tokenmeter.awaitRunning(Duration.ofSeconds(90))) {
          throw new IllegalStateException("tokenmeter did not reach RUNNING: " + tokenmeter.state());
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (tokenmeter.priceBook().size() < cards && System.nanoTime() < deadline) {
          Thread.sleep(50);
        }
      } else {
        passthrough = passThrough(config, in, out);
      }
      reader.start();
      long started = System.nanoTime();

      // Throughput: saturate with a bounded backlog.
      long backlogRecords = Math.max(2, Math.max(100_000, 400L * commitMs) / options.spansPerRecord());
      Sender sender = new Sender(in, 0, backlogRecords, reader);
      sender.start();
      long warmedUpMs = warmUp();
      long c0 = reader.records.get();
      long p0 = sender.sent.get();
      long a0 = streamThreadAllocated(appId);
      long cpu0 = streamThreadCpu(appId);
      java.util.Map<String, Object[]> threads0 = threadCpu();
      long jvm0 = processCpu();
      long gc0 = gcMillis();
      long t0 = System.nanoTime();
      Thread.sleep(options.measure().toMillis());
      long c1 = reader.records.get();
      long p1 = sender.sent.get();
      long a1 = streamThreadAllocated(appId);
      long cpu1 = streamThreadCpu(appId);
      long jvm1 = processCpu();
      java.util.Map<String, Object[]> threads1 = threadCpu();
      long gc1 = gcMillis();
      long spansSeen = (reader.records.get() - c0) * options.spansPerRecord();
      String threadTime = threadTime(app == App.TOKENMETER ? tokenmeter.streamsMetrics() : passthrough.metrics())
          + String.format(java.util.Locale.ROOT, "; whole JVM (broker, driver, app, GC) %.1f us CPU/span = %.2f of %d cores busy,"
              + " GC pauses %d ms/s", (jvm1 - jvm0) / 1e3 / Math.max(1, spansSeen),
              (jvm1 - jvm0) / ((System.nanoTime() - t0) * 1.0), Runtime.getRuntime().availableProcessors(),
              Math.round((gc1 - gc0) / ((System.nanoTime() - t0) / 1e9)))
          + "; by thread, us CPU/span: " + byThread(threads0, threads1, spansSeen)
          + String.format(java.util.Locale.ROOT, "; measured after %.0f s of warm-up", warmedUpMs / 1e3);
      double seconds = (System.nanoTime() - t0) / 1e9;
      long backlog = (p1 - c1) * options.spansPerRecord();
      long streamTimeMs = reader.newestTimestamp.get();
      long newestWindowEnd = reader.newestWindowEnd.get();
      long[] repartition = app == App.TOKENMETER ? repartitionLag(appId) : new long[] {0, 0, 0};
      double partialsPerSec = repartition[1] / Math.max(1.0, (System.nanoTime() - started) / 1e9);
      sender.close();
      System.gc();
      long heapRetained = usedHeap() - heapBefore;
      double spansPerSec = (c1 - c0) * options.spansPerRecord() / seconds;
      double producedPerSec = (p1 - p0) * options.spansPerRecord() / seconds;
      double allocPerSpan = c1 > c0 && a1 > a0 ? (double) (a1 - a0) / ((c1 - c0) * options.spansPerRecord()) : Double.NaN;
      double cpuPerSpan = c1 > c0 && cpu1 > cpu0 ? (double) (cpu1 - cpu0) / ((c1 - c0) * options.spansPerRecord()) : Double.NaN;
      String note = "";
      if (!reader.awaitCount(reader.expected.get(), Duration.ofSeconds(120))) {
        note = "backlog not drained within 120 s; ";
      }

      // Latency: a fixed rate below saturation.
      double rate = latencyRate > 0 ? latencyRate : spansPerSec * options.latencyFraction();
      double recordsPerSec = Math.max(1, rate / options.spansPerRecord());
      reader.latencyFrom.set(System.currentTimeMillis() + 2_000);
      Sender paced = new Sender(in, recordsPerSec, Long.MAX_VALUE, reader);
      paced.start();
      Thread.sleep(2_000 + options.latency().toMillis());
      reader.latencyUntil.set(System.currentTimeMillis());
      paced.close();
      if (!reader.awaitCount(reader.expected.get(), Duration.ofSeconds(60))) {
        note += "latency phase not drained within 60 s; ";
      }
      long[] lat = reader.latencies();
      long metricsBehind = app == App.TOKENMETER && newestWindowEnd > 0 ? streamTimeMs - newestWindowEnd : -1;
      long inputRecords = endOffsets(List.of(in), IsolationLevel.READ_UNCOMMITTED);
      long[] atEnd = app == App.TOKENMETER ? repartitionLag(appId) : new long[] {0, 0, 0};
      return new Result(app, commitMs, spansPerSec, producedPerSec, backlog, rate, percentile(lat, 50),
          percentile(lat, 99), lat.length == 0 ? -1 : lat[lat.length - 1], lat.length, heapRetained, allocPerSpan, cpuPerSpan,
          reader.metricsRecords.get(), repartition[0], atEnd[1], metricsBehind, atEnd[2], inputRecords, partialsPerSec,
          note.trim(), threadTime);
    } finally {
      if (tokenmeter != null) {
        tokenmeter.close();
      }
      if (passthrough != null) {
        passthrough.close(Duration.ofSeconds(30));
      }
      deleteTopics(appId, n);
      deleteRecursively(stateDir);
    }
  }

  /**
   * Where the stream threads' wall-clock time went, from Kafka Streams' own thread metrics
   * (averaged over its metric sample window): a thread waiting on transaction commits shows a
   * high commit share and leaves CPU unused.
   */
  static String threadTime(java.util.Map<org.apache.kafka.common.MetricName, ? extends org.apache.kafka.common.Metric> metrics) {
    java.util.Map<String, java.util.List<Double>> values = new java.util.TreeMap<>();
    metrics.forEach((name, metric) -> {
      if (name.group().equals("stream-thread-metrics")
          && (name.name().endsWith("-ratio") || name.name().equals("commit-latency-avg"))
          && metric.metricValue() instanceof Double d && !d.isNaN()) {
        values.computeIfAbsent(name.name(), k -> new java.util.ArrayList<>()).add(d);
      }
    });
    StringBuilder sb = new StringBuilder();
    for (String ratio : List.of("process-ratio", "commit-ratio", "poll-ratio", "punctuate-ratio")) {
      java.util.List<Double> v = values.get(ratio);
      if (v != null) {
        sb.append(sb.length() == 0 ? "" : ", ").append(ratio.replace("-ratio", "")).append(' ')
            .append(Math.round(100 * v.stream().mapToDouble(Double::doubleValue).average().orElse(0))).append('%');
      }
    }
    java.util.List<Double> latency = values.get("commit-latency-avg");
    if (latency != null) {
      sb.append("; commit latency ").append(Math.round(latency.stream().mapToDouble(Double::doubleValue).average().orElse(0)))
          .append(" ms");
    }
    return sb.toString();
  }

  /** {@code stream(in).to(out)}: bytes in, bytes out, under the app's own Streams settings. */
  private static KafkaStreams passThrough(TokenmeterConfig config, String in, String out) throws InterruptedException {
    StreamsBuilder builder = new StreamsBuilder();
    builder.stream(in, Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()))
        .to(out, Produced.with(Serdes.ByteArray(), Serdes.ByteArray()));
    Properties props = config.streamsProperties();
    props.put(DeadLetterHandlers.METRICS_CONFIG, HealthMetrics.inMemory());
    KafkaStreams streams = new KafkaStreams(builder.build(), props);
    streams.start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    while (streams.state() != KafkaStreams.State.RUNNING && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    if (streams.state() != KafkaStreams.State.RUNNING) {
      throw new IllegalStateException("pass-through did not reach RUNNING: " + streams.state());
    }
    return streams;
  }

  private void createInput(String topic) throws Exception {
    try (Admin admin = Admin.create(client)) {
      admin.createTopics(List.of(new NewTopic(topic, options.partitions(), (short) 1).configs(Map.of(
          TopicConfig.MESSAGE_TIMESTAMP_TYPE_CONFIG, "LogAppendTime",
          TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_DELETE)))).all().get();
    }
  }

  private void deleteTopics(String appId, int n) {
    try (Admin admin = Admin.create(client)) {
      Set<String> names = admin.listTopics().names().get();
      List<String> mine = names.stream()
          .filter(t -> t.startsWith(appId + "-") || t.endsWith("-" + n) && t.startsWith("bench-"))
          .collect(Collectors.toList());
      admin.deleteTopics(mine).all().get(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      System.err.println("bench: could not delete the topics of run " + n + ": " + e);
    }
  }

  /** {lag of the app on the metric-partials repartition topic, records written to it, unpriced repartition records}. */
  private long[] repartitionLag(String appId) throws Exception {
    String metrics = appId + "-metric-partials-repartition";
    String unpriced = appId + "-unpriced-by-model-repartition";
    try (Admin admin = Admin.create(client)) {
      Map<TopicPartition, OffsetAndMetadata> committed =
          admin.listConsumerGroupOffsets(appId).partitionsToOffsetAndMetadata().get();
      Map<TopicPartition, OffsetSpec> request = new HashMap<>();
      for (String t : List.of(metrics, unpriced)) {
        admin.describeTopics(List.of(t)).allTopicNames().get().get(t).partitions()
            .forEach(p -> request.put(new TopicPartition(t, p.partition()), OffsetSpec.latest()));
      }
      Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> ends = admin.listOffsets(request).all().get();
      long lag = 0;
      long written = 0;
      long unpricedWritten = 0;
      for (var e : ends.entrySet()) {
        if (e.getKey().topic().equals(metrics)) {
          OffsetAndMetadata c = committed.get(e.getKey());
          lag += e.getValue().offset() - (c == null ? 0 : c.offset());
          written += e.getValue().offset();
        } else {
          unpricedWritten += e.getValue().offset();
        }
      }
      return new long[] {lag, written, unpricedWritten};
    }
  }

  private long endOffsets(List<String> topics, IsolationLevel isolation) throws Exception {
    try (Admin admin = Admin.create(client)) {
      Map<TopicPartition, OffsetSpec> request = new HashMap<>();
      for (String t : topics) {
        admin.describeTopics(List.of(t)).allTopicNames().get().get(t).partitions()
            .forEach(p -> request.put(new TopicPartition(t, p.partition()), OffsetSpec.latest()));
      }
      return admin.listOffsets(request, new org.apache.kafka.clients.admin.ListOffsetsOptions(isolation)).all().get()
          .values().stream().mapToLong(ListOffsetsResult.ListOffsetsResultInfo::offset).sum();
    }
  }

  static long usedHeap() {
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  /** Bytes allocated so far by the app's stream threads (HotSpot's per-thread allocation counter). */
  /**
   * Every thread of this process, Java or native (compiler, GC, RocksDB), from /proc: thread id to
   * its name and CPU time in clock ticks. Empty where there is no /proc (the line then says so).
   */
  private static java.util.Map<String, Object[]> threadCpu() {
    java.util.Map<String, Object[]> out = new java.util.HashMap<>();
    java.nio.file.Path tasks = java.nio.file.Path.of("/proc/self/task");
    if (!Files.isDirectory(tasks)) {
      return out;
    }
    try (java.util.stream.Stream<java.nio.file.Path> dirs = Files.list(tasks)) {
      dirs.forEach(dir -> {
        try {
          String stat = Files.readString(dir.resolve("stat"));
          // the name is in parentheses and may hold spaces; utime and stime are fields 14 and 15
          String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
          String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
          out.put(dir.getFileName().toString(), new Object[] {name, Long.parseLong(f[11]) + Long.parseLong(f[12])});
        } catch (IOException | RuntimeException e) {
          // the thread ended meanwhile
        }
      });
    } catch (IOException e) {
      return out;
    }
    return out;
  }

  /** CPU per span by thread group (digits folded), largest first. */
  private static String byThread(java.util.Map<String, Object[]> before, java.util.Map<String, Object[]> after, long spans) {
    if (after.isEmpty()) {
      return "n/a (no /proc)";
    }
    double nsPerTick = 1e9 / 100; // USER_HZ
    java.util.Map<String, Long> groups = new java.util.HashMap<>();
    for (java.util.Map.Entry<String, Object[]> e : after.entrySet()) {
      Object[] b = before.get(e.getKey());
      long used = (Long) e.getValue()[1] - (b == null ? 0 : (Long) b[1]);
      groups.merge(((String) e.getValue()[0]).replaceAll("\\d+", "N"), used, Long::sum);
    }
    return groups.entrySet().stream().sorted(java.util.Map.Entry.<String, Long>comparingByValue().reversed()).limit(8)
        .map(e -> String.format(java.util.Locale.ROOT, "%s %.1f", e.getKey(), e.getValue() * nsPerTick / 1e3 / Math.max(1, spans)))
        .collect(java.util.stream.Collectors.joining(", "));
  }

  /**
   * Saturated warm-up until the JIT compiler has settled: at least the configured warm-up, then
   * until compilation took under 2% of a 5 s interval (at most 90 s). Measured otherwise, the
   * compiler threads take a third of this 2-core machine while tokenmeter's code is still being
   * compiled, and the figure describes the first minute of a process rather than its steady state.
   * Returns how long it took.
   */
  private long warmUp() throws InterruptedException {
    long start = System.nanoTime();
    Thread.sleep(options.warmup().toMillis());
    java.lang.management.CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
    if (jit != null && jit.isCompilationTimeMonitoringSupported()) {
      long deadline = start + TimeUnit.SECONDS.toNanos(90);
      while (System.nanoTime() < deadline) {
        long before = jit.getTotalCompilationTime();
        Thread.sleep(5_000);
        if (jit.getTotalCompilationTime() - before < 100) {
          break;
        }
      }
    }
    return (System.nanoTime() - start) / 1_000_000;
  }

  private static long processCpu() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
  }

  private static long gcMillis() {
    return ManagementFactory.getGarbageCollectorMXBeans().stream().mapToLong(g -> Math.max(0, g.getCollectionTime())).sum();
  }

  static long streamThreadAllocated(String appId) {
    com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long sum = 0;
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      if (t.getName().startsWith(appId) && t.getName().contains("StreamThread")) {
        sum += threads.getThreadAllocatedBytes(t.getId());
      }
    }
    return sum;
  }

  /** CPU time so far of the app's stream threads (nanoseconds). */
  static long streamThreadCpu(String appId) {
    java.lang.management.ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    long sum = 0;
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      if (t.getName().startsWith(appId) && t.getName().contains("StreamThread")) {
        sum += Math.max(0, threads.getThreadCpuTime(t.getId()));
      }
    }
    return sum;
  }

  static long percentile(long[] sorted, int p) {
    if (sorted.length == 0) {
      return -1;
    }
    int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
  }

  private Properties producerProps() {
    Properties p = new Properties();
    p.putAll(client);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    p.put(ProducerConfig.BATCH_SIZE_CONFIG, 1 << 20);
    p.put(ProducerConfig.BUFFER_MEMORY_CONFIG, 256L << 20);
    p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 32 << 20);
    p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "none"); // the Collector kafka exporter's default
    return p;
  }

  /** Appends re-salted copies of the pre-made records: paced at {@code recordsPerSec}, or as fast as the backlog bound lets it. */
  private final class Sender extends Thread implements AutoCloseable {
    final AtomicLong sent = new AtomicLong();
    private final String topic;
    private final double recordsPerSec;
    private final long maxBacklog;
    private final Reader reader;
    private final AtomicBoolean stop = new AtomicBoolean();

    Sender(String topic, double recordsPerSec, long maxBacklog, Reader reader) {
      super("bench-sender");
      setDaemon(true);
      this.topic = topic;
      this.recordsPerSec = recordsPerSec;
      this.maxBacklog = maxBacklog;
      this.reader = reader;
    }

    @Override
    public void run() {
      List<OtlpTemplate> records = workload.records;
      try (KafkaProducer<String, byte[]> producer =
               new KafkaProducer<>(producerProps(), new StringSerializer(), new ByteArraySerializer())) {
        long start = System.nanoTime();
        long i = 0;
        while (!stop.get()) {
          if (recordsPerSec > 0) {
            long due = start + (long) (i * 1e9 / recordsPerSec);
            long wait = due - System.nanoTime();
            if (wait > 0) {
              TimeUnit.NANOSECONDS.sleep(wait);
            }
          } else {
            while (reader.expected.get() - reader.records.get() > maxBacklog && !stop.get()) {
              Thread.sleep(1);
            }
          }
          long serial = SALTS.incrementAndGet();
          OtlpTemplate t = records.get((int) (serial % records.size()));
          byte[] value = t.copy(serial * 0x9E3779B97F4A7C15L, System.currentTimeMillis() * 1_000_000L - t.maxEndNanos());
          producer.send(new ProducerRecord<>(topic, t.firstTraceIdHex(value), value));
          sent.incrementAndGet();
          reader.expected.incrementAndGet();
          i++;
        }
        producer.flush();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    @Override
    public void close() throws InterruptedException {
      stop.set(true);
      join(30_000);
    }
  }

  private static final AtomicLong SALTS = new AtomicLong();

  /** read_committed consumer of the output (and of llm-metrics): counts, latencies, newest window. */
  private final class Reader extends Thread implements AutoCloseable {
    final AtomicLong records = new AtomicLong();
    final AtomicLong expected = new AtomicLong();
    final AtomicLong newestTimestamp = new AtomicLong();
    final AtomicLong newestWindowEnd = new AtomicLong();
    final AtomicLong metricsRecords = new AtomicLong();
    final AtomicLong latencyFrom = new AtomicLong(Long.MAX_VALUE);
    final AtomicLong latencyUntil = new AtomicLong(Long.MAX_VALUE);
    private final List<Long> latencies = new ArrayList<>();
    private final String topic;
    private final String metricsTopic;
    private final AtomicBoolean stop = new AtomicBoolean();

    Reader(String topic, String metricsTopic) {
      super("bench-reader");
      setDaemon(true);
      this.topic = topic;
      this.metricsTopic = metricsTopic;
    }

    @Override
    public void run() {
      Properties p = new Properties();
      p.putAll(client);
      p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
      p.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, 64 << 20);
      p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 16 << 20);
      p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5_000);
      p.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 10);
      try (KafkaConsumer<byte[], byte[]> consumer =
               new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
        List<TopicPartition> parts = new ArrayList<>();
        for (String t : metricsTopic == null ? List.of(topic) : List.of(topic, metricsTopic)) {
          List<PartitionInfo> infos = consumer.partitionsFor(t);
          infos.forEach(i -> parts.add(new TopicPartition(t, i.partition())));
        }
        consumer.assign(parts);
        consumer.seekToBeginning(parts);
        while (!stop.get()) {
          for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(20))) {
            long now = System.currentTimeMillis();
            if (r.topic().equals(topic)) {
              records.incrementAndGet();
              newestTimestamp.accumulateAndGet(r.timestamp(), Math::max);
              if (r.timestamp() >= latencyFrom.get() && r.timestamp() < latencyUntil.get()) {
                synchronized (latencies) {
                  latencies.add(now - r.timestamp());
                }
              }
            } else {
              metricsRecords.incrementAndGet();
              try {
                JsonNode end = JSON.readTree(r.value()).get("window_end");
                if (end != null) {
                  newestWindowEnd.accumulateAndGet(Instant.parse(end.asText()).toEpochMilli(), Math::max);
                }
              } catch (IOException | RuntimeException e) {
                // not a window record: ignore
              }
            }
          }
        }
      }
    }

    boolean awaitCount(long count, Duration timeout) throws InterruptedException {
      long deadline = System.nanoTime() + timeout.toNanos();
      while (records.get() < count && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      return records.get() >= count;
    }

    long[] latencies() {
      synchronized (latencies) {
        long[] a = latencies.stream().mapToLong(Long::longValue).toArray();
        Arrays.sort(a);
        return a;
      }
    }

    @Override
    public void close() throws InterruptedException {
      stop.set(true);
      join(10_000);
    }
  }

  static void deleteRecursively(Path dir) {
    try (Stream<Path> walk = Files.walk(dir)) {
      walk.sorted(Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
    } catch (IOException e) {
      // a temp dir left behind is harmless
    }
  }

  @Override
  public void close() throws Exception {
    broker.close();
  }
}
