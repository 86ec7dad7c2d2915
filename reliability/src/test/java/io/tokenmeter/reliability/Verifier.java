package io.tokenmeter.reliability;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.TracesData;
import io.tokenmeter.otlp.OtlpIds;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.DescribeProducersResult;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.ProducerState;
import org.apache.kafka.clients.admin.TransactionListing;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.admin.TransactionState;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * The suite's verifier, after Kafka's own EOS system test: it reads the sink, dead-letter and
 * metrics topics from the beginning to their last stable offset with {@code read_committed} and
 * holds them against the {@link Workload}'s ground truth:
 *
 * <ol type="a">
 *   <li>every valid input span is in {@code llm-spans-enriched} exactly once (0 missing, 0 duplicated);</li>
 *   <li>every input record is accounted for: enriched or dead-lettered (with the reason and the
 *       offset it must carry), never both, never neither;</li>
 *   <li>every llm-metrics aggregate equals the recomputation from the input, to the last decimal,
 *       and each (window, series) is written once;</li>
 *   <li>no transaction is left hanging: once the application stopped and the transaction timeout
 *       passed, the broker lists no open transaction of the application and every partition's last
 *       stable offset equals its high watermark.</li>
 * </ol>
 */
final class Verifier {
  static final String DLQ_PARTITION = "__streams.errors.partition";
  static final String DLQ_OFFSET = "__streams.errors.offset";
  static final String DLQ_TOPIC = "__streams.errors.topic";
  static final String DLQ_MESSAGE = "__streams.errors.message";
  static final String DLQ_STACKTRACE = "__streams.errors.stacktrace";
  static final String DLQ_REASON = io.tokenmeter.app.DeadLetterHandlers.REASON_HEADER;
  /** Kafka Streams' default transaction.timeout.ms under exactly-once, plus the broker's abort sweep. */
  static final Duration TRANSACTION_TIMEOUT = Duration.ofSeconds(10 + 2);

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Set<TransactionState> OPEN = Set.of(TransactionState.ONGOING, TransactionState.PREPARE_COMMIT,
      TransactionState.PREPARE_ABORT, TransactionState.PREPARE_EPOCH_FENCE);

  /** The outcome of one verification; {@link #summary()} is the line the suite prints per scenario. */
  static final class Report {
    final String scenario;
    int injected;
    int expected;
    long delivered;
    int missing;
    long duplicated;
    int deadLettered;
    int metricsMismatches;
    int metricsCompared;
    int metricsLateRecords;
    int recordsProduced;
    int recordsEnriched;
    int recordsDeadLettered;
    int recordsUnaccounted;
    int wrongDeadLetters;
    int unexpectedSpans;
    int openTransactions;
    int transactionalIds;
    int unstablePartitions;
    final List<String> problems = new ArrayList<>();

    Report(String scenario) {
      this.scenario = scenario;
    }

    String summary() {
      return String.format("scenario %s: injected %d, expected %d, delivered %d, missing %d, duplicated %d, "
              + "dead-lettered %d, metrics mismatches %d", scenario, injected, expected, delivered, missing, duplicated,
          deadLettered, metricsMismatches);
    }

    String details() {
      return String.format("  records: produced %d = enriched %d + dead-lettered %d (unaccounted %d, wrongly dead-lettered %d);"
              + " spans not produced by the test %d; metric aggregates compared %d (late records %d); transactional ids %d,"
              + " open transactions %d, partitions with LSO < HW %d", recordsProduced, recordsEnriched, recordsDeadLettered,
          recordsUnaccounted, wrongDeadLetters, unexpectedSpans, metricsCompared, metricsLateRecords, transactionalIds,
          openTransactions, unstablePartitions);
    }

    /** (a)-(d) all hold. */
    boolean exact() {
      return missing == 0 && duplicated == 0 && metricsMismatches == 0 && recordsUnaccounted == 0 && wrongDeadLetters == 0
          && unexpectedSpans == 0 && openTransactions == 0 && unstablePartitions == 0;
    }

    String problems(int max) {
      return problems.stream().limit(max).collect(Collectors.joining("\n  ", "  ", ""))
          + (problems.size() > max ? "\n  ... " + (problems.size() - max) + " more" : "");
    }

    /** Prints the summary, keeps it in target/reliability-figures.txt, and fails unless (a)-(d) hold. */
    Report assertExact() {
      print();
      if (!exact()) {
        throw new AssertionError(summary() + "\n" + details() + "\n" + problems(30));
      }
      return this;
    }

    Report print() {
      System.out.println(summary());
      System.out.println(details());
      try {
        Path figures = Path.of("target", "reliability-figures.txt");
        Files.createDirectories(figures.getParent());
        Files.writeString(figures, summary() + "\n" + details() + "\n", StandardCharsets.UTF_8,
            StandardOpenOption.CREATE, StandardOpenOption.APPEND);
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
      return this;
    }
  }

  private final Scenario scenario;

  Verifier(Scenario scenario) {
    this.scenario = scenario;
  }

  Scenario scenario() {
    return scenario;
  }

  /** Runs (a)-(d) against the workload; the application must have stopped. */
  Report verify(String name, Workload workload) throws Exception {
    workload.flush();
    Report r = new Report(name);
    List<Workload.Sent> sent = workload.sent();
    r.injected = sent.size();
    r.recordsProduced = sent.size();
    checkTransactions(r);
    checkSpansAndRecords(r, workload, sent);
    checkMetrics(r, workload);
    return r;
  }

  // ------------------------------------------------------------------ (a) and (b)

  private void checkSpansAndRecords(Report r, Workload workload, List<Workload.Sent> sent) {
    Set<String> expected = workload.expectedSpans();
    r.expected = expected.size();
    Map<String, Integer> copies = new HashMap<>();
    Set<Integer> enrichedRecords = new HashSet<>();
    for (ConsumerRecord<byte[], byte[]> rec : readAll(scenario.enriched)) {
      List<Span> spans = spans(rec);
      Set<Integer> origins = new HashSet<>();
      for (Span sp : spans) {
        String id = OtlpIds.hex(sp.getTraceId()) + "/" + OtlpIds.hex(sp.getSpanId());
        copies.merge(id, 1, Integer::sum);
        Workload.Sent origin = workload.recordOf(id);
        if (origin == null) {
          r.unexpectedSpans++;
          r.problems.add("enriched span " + id + " (offset " + rec.offset() + ") was never produced by the test");
        } else {
          origins.add(origin.index);
        }
      }
      if (origins.size() > 1) {
        r.problems.add("enriched record at " + rec.partition() + "/" + rec.offset() + " mixes input records " + origins);
      }
      enrichedRecords.addAll(origins);
      r.delivered += spans.size();
    }
    for (String id : expected) {
      if (!copies.containsKey(id)) {
        r.missing++;
        if (r.missing <= 10) {
          r.problems.add("missing span " + id + " of input record " + workload.recordOf(id).index);
        }
      }
    }
    for (Map.Entry<String, Integer> e : copies.entrySet()) {
      if (e.getValue() > 1) {
        r.duplicated += e.getValue() - 1;
        if (r.duplicated <= 10) {
          r.problems.add("span " + e.getKey() + " delivered " + e.getValue() + " times");
        }
      }
    }

    Map<String, Workload.Sent> byOffset = new HashMap<>();
    sent.forEach(s -> byOffset.put(s.partition + "/" + s.offset, s));
    Set<Integer> deadRecords = new HashSet<>();
    for (ConsumerRecord<byte[], byte[]> rec : readAll(scenario.deadLetters)) {
      r.deadLettered++;
      String at = header(rec, DLQ_PARTITION) + "/" + header(rec, DLQ_OFFSET);
      Workload.Sent origin = byOffset.get(at);
      if (origin == null || !scenario.input.equals(header(rec, DLQ_TOPIC))) {
        r.wrongDeadLetters++;
        r.problems.add("dead letter at " + rec.offset() + " names input " + header(rec, DLQ_TOPIC) + " " + at
            + ", which the test did not produce");
        continue;
      }
      if (!deadRecords.add(origin.index)) {
        r.problems.add("input record " + at + " (" + origin.label + ") dead-lettered more than once");
        r.wrongDeadLetters++;
      }
      String reason = header(rec, DLQ_REASON);
      if (origin.kind != Workload.Kind.POISON) {
        r.wrongDeadLetters++;
        r.problems.add("valid input record " + at + " (" + origin.label + ") was dead-lettered: " + reason + ": "
            + header(rec, DLQ_MESSAGE));
      } else if (origin.reason != null && !origin.reason.equals(reason)) {
        r.wrongDeadLetters++;
        r.problems.add("input record " + at + " (" + origin.label + ") dead-lettered as " + reason + ", expected "
            + origin.reason + ": " + header(rec, DLQ_MESSAGE));
      }
    }
    for (Workload.Sent s : sent) {
      boolean out = enrichedRecords.contains(s.index);
      boolean dead = deadRecords.contains(s.index);
      if (out && dead) {
        r.problems.add("input record " + s.partition + "/" + s.offset + " (" + s.label + ") both enriched and dead-lettered");
        r.recordsUnaccounted++;
      } else if (!out && !dead) {
        r.recordsUnaccounted++;
        if (r.recordsUnaccounted <= 10) {
          r.problems.add("input record " + s.partition + "/" + s.offset + " (" + s.label + ") neither enriched nor dead-lettered");
        }
      } else if (out && s.kind == Workload.Kind.POISON) {
        r.wrongDeadLetters++;
        r.problems.add("hostile input record " + s.partition + "/" + s.offset + " (" + s.label + ") was not dead-lettered");
      }
    }
    r.recordsEnriched = enrichedRecords.size();
    r.recordsDeadLettered = deadRecords.size();
  }

  static List<Span> spans(ConsumerRecord<byte[], byte[]> rec) {
    List<Span> out = new ArrayList<>();
    try {
      for (ResourceSpans rs : TracesData.parseFrom(rec.value()).getResourceSpansList()) {
        for (ScopeSpans ss : rs.getScopeSpansList()) {
          out.addAll(ss.getSpansList());
        }
      }
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw new AssertionError("enriched record at " + rec.partition() + "/" + rec.offset() + " is not TracesData", e);
    }
    return out;
  }

  static String header(ConsumerRecord<byte[], byte[]> r, String name) {
    Header h = r.headers().lastHeader(name);
    return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }

  // ------------------------------------------------------------------ (c)

  /**
   * llm-metrics against the recomputation. A (window, series) may be written as one {@code final}
   * record and, for partials that reached the window aggregation after the window closed, further
   * {@code late} records: the records of a (window, series), summed, must equal the recomputation.
   * A record written twice (a duplicate) therefore shows as a mismatch.
   */
  private void checkMetrics(Report r, Workload workload) throws IOException {
    Map<String, Workload.Sums> expected = workload.expectedMetrics();
    Map<String, Workload.Sums> actual = new TreeMap<>();
    for (ConsumerRecord<byte[], byte[]> rec : readAll(scenario.metrics)) {
      String series = new String(rec.key(), StandardCharsets.UTF_8);
      if (series.contains("|" + Workload.TICK_PREFIX)) {
        continue;
      }
      JsonNode n = JSON.readTree(rec.value());
      String key = n.get("window_start").asText() + " " + series;
      Workload.Sums sum = actual.computeIfAbsent(key, k -> new Workload.Sums());
      if (sum.records++ > 0) {
        r.metricsLateRecords++;
      }
      add(sum, n);
    }
    for (Map.Entry<String, Workload.Sums> e : expected.entrySet()) {
      r.metricsCompared++;
      Workload.Sums have = actual.get(e.getKey());
      if (have == null) {
        r.metricsMismatches++;
        r.problems.add("metrics: no aggregate for " + e.getKey());
        continue;
      }
      List<String> diffs = compare(e.getValue(), have);
      if (!diffs.isEmpty()) {
        r.metricsMismatches++;
        r.problems.add("metrics: " + e.getKey() + " (" + have.records + " records): " + String.join("; ", diffs));
      }
    }
    for (String key : actual.keySet()) {
      if (!expected.containsKey(key)) {
        r.metricsMismatches++;
        r.problems.add("metrics: aggregate " + key + " has no input behind it");
      }
    }
  }

  private static void add(Workload.Sums sum, JsonNode n) {
    addMap(sum.requests, n.get("requests"));
    addMap(sum.errors, n.get("errors"));
    addMap(sum.tokens, n.get("tokens"));
    addMap(sum.cost, n.get("cost_usd"));
    addMap(sum.buckets, n.get("duration_buckets"));
    sum.unpriced = sum.unpriced.add(decimal(n.get("unpriced_requests")));
    sum.durationCount = sum.durationCount.add(decimal(n.get("duration_count")));
    sum.durationSum = sum.durationSum.add(decimal(n.get("duration_sum_seconds")));
  }

  private static void addMap(Map<String, BigDecimal> sum, JsonNode n) {
    if (n != null) {
      n.fields().forEachRemaining(f -> sum.merge(f.getKey(), decimal(f.getValue()), BigDecimal::add));
    }
  }

  private static BigDecimal decimal(JsonNode n) {
    return n == null || n.isNull() ? BigDecimal.ZERO : new BigDecimal(n.asText());
  }

  private static List<String> compare(Workload.Sums want, Workload.Sums have) {
    List<String> diffs = new ArrayList<>();
    compareMap(diffs, "requests", want.requests, have.requests);
    compareMap(diffs, "errors", want.errors, have.errors);
    compareMap(diffs, "tokens", want.tokens, have.tokens);
    compareMap(diffs, "cost_usd", want.cost, have.cost);
    compareMap(diffs, "duration_buckets", want.buckets, have.buckets);
    compareValue(diffs, "unpriced_requests", want.unpriced, have.unpriced);
    compareValue(diffs, "duration_count", want.durationCount, have.durationCount);
    compareValue(diffs, "duration_sum_seconds", want.durationSum, have.durationSum);
    return diffs;
  }

  private static void compareMap(List<String> diffs, String field, Map<String, BigDecimal> want, Map<String, BigDecimal> have) {
    Set<String> keys = new HashSet<>(want.keySet());
    keys.addAll(have.keySet());
    for (String k : keys) {
      compareValue(diffs, field + "." + k, want.getOrDefault(k, BigDecimal.ZERO), have.getOrDefault(k, BigDecimal.ZERO));
    }
  }

  private static void compareValue(List<String> diffs, String field, BigDecimal want, BigDecimal have) {
    if (have.compareTo(want) != 0) {
      diffs.add(field + " " + have.toPlainString() + " != " + want.toPlainString());
    }
  }

  // ------------------------------------------------------------------ (d)

  /**
   * Waits (up to the transaction timeout) for the broker to list no open transaction of the
   * application and for every partition of the scenario's topics and of the application's internal
   * topics to have its last stable offset at its high watermark; counts what is still open then.
   */
  private void checkTransactions(Report r) throws Exception {
    long deadline = System.nanoTime() + TRANSACTION_TIMEOUT.toNanos();
    try (Admin admin = scenario.broker.admin()) {
      while (true) {
        List<String> open = openTransactions(admin, r);
        List<String> unstable = unstablePartitions(admin);
        if (open.isEmpty() && unstable.isEmpty() || System.nanoTime() > deadline) {
          r.openTransactions = open.size();
          r.unstablePartitions = unstable.size();
          open.forEach(t -> r.problems.add("transaction left open: " + t));
          unstable.forEach(p -> r.problems.add("partition with LSO < HW: " + p));
          return;
        }
        Thread.sleep(500);
      }
    }
  }

  private List<String> openTransactions(Admin admin, Report r) throws Exception {
    Collection<TransactionListing> listings = admin.listTransactions().all().get();
    List<String> open = new ArrayList<>();
    r.transactionalIds = (int) listings.stream().filter(t -> t.transactionalId().startsWith(scenario.applicationId + "-")).count();
    for (TransactionListing t : listings) {
      if (t.transactionalId().startsWith(scenario.applicationId + "-") && OPEN.contains(t.state())) {
        open.add(t.transactionalId() + " " + t.state());
      }
    }
    return open;
  }

  /** Partitions whose read_committed end (LSO) lags the read_uncommitted end (HW), or with a producer mid-transaction. */
  private List<String> unstablePartitions(Admin admin) throws Exception {
    List<String> topics = new ArrayList<>(scenario.outputTopics());
    for (String t : admin.listTopics().names().get()) {
      if (t.startsWith(scenario.applicationId + "-")) {
        topics.add(t);
      }
    }
    List<TopicPartition> partitions = new ArrayList<>();
    admin.describeTopics(topics).allTopicNames().get().forEach((name, d) ->
        d.partitions().forEach(p -> partitions.add(new TopicPartition(name, p.partition()))));
    Map<TopicPartition, OffsetSpec> latest = partitions.stream().collect(Collectors.toMap(p -> p, p -> OffsetSpec.latest()));
    var committed = admin.listOffsets(latest, new ListOffsetsOptions(IsolationLevel.READ_COMMITTED)).all().get();
    var uncommitted = admin.listOffsets(latest, new ListOffsetsOptions(IsolationLevel.READ_UNCOMMITTED)).all().get();
    DescribeProducersResult producers = admin.describeProducers(partitions);
    List<String> out = new ArrayList<>();
    for (TopicPartition p : partitions) {
      long lso = committed.get(p).offset();
      long hw = uncommitted.get(p).offset();
      List<ProducerState> open = producers.partitionResult(p).get().activeProducers().stream()
          .filter(ps -> ps.currentTransactionStartOffset().isPresent()).toList();
      if (lso != hw || !open.isEmpty()) {
        out.add(p + " LSO " + lso + " HW " + hw + (open.isEmpty() ? "" : ", open transaction of producer "
            + open.get(0).producerId() + " since offset " + open.get(0).currentTransactionStartOffset().getAsLong()));
      }
    }
    return out;
  }

  // ------------------------------------------------------------------ reading

  /** Every record of the topic from the beginning to its last stable offset, read_committed. */
  List<ConsumerRecord<byte[], byte[]>> readAll(String topic) {
    return readAll(scenario.broker, topic, "read_committed");
  }

  static List<ConsumerRecord<byte[], byte[]>> readAll(Broker broker, String topic, String isolation) {
    Map<String, Object> p = new HashMap<>(broker.clientConfig());
    p.put(ConsumerConfig.GROUP_ID_CONFIG, "verifier-" + UUID.randomUUID());
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation);
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 8 * 1024 * 1024);
    List<ConsumerRecord<byte[], byte[]>> all = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p)) {
      List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
          .map(i -> new TopicPartition(topic, i.partition())).toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
        if (System.nanoTime() > deadline) {
          throw new AssertionError("reading " + topic + " to " + end + " took over 60 s");
        }
        consumer.poll(Duration.ofMillis(200)).forEach(all::add);
      }
    }
    return all;
  }

  /** The distinct span ids the enriched topic holds now (read_committed): progress, while a scenario runs. */
  Set<String> enrichedSpanIds() {
    Set<String> ids = new HashSet<>();
    for (ConsumerRecord<byte[], byte[]> rec : readAll(scenario.enriched)) {
      for (Span sp : spans(rec)) {
        ids.add(OtlpIds.hex(sp.getTraceId()) + "/" + OtlpIds.hex(sp.getSpanId()));
      }
    }
    return ids;
  }

  /** The set of (window, series) keys llm-metrics holds now, read_committed, ticks left out. */
  Set<String> metricKeys() throws IOException {
    Set<String> keys = new HashSet<>();
    for (ConsumerRecord<byte[], byte[]> rec : readAll(scenario.metrics)) {
      String series = new String(rec.key(), StandardCharsets.UTF_8);
      if (!series.contains("|" + Workload.TICK_PREFIX)) {
        keys.add(JSON.readTree(rec.value()).get("window_start").asText() + " " + series);
      }
    }
    return keys;
  }
}
