package io.tokenmeter.dedup;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Windowed;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.WindowStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link SpanDeduplicator} against the real RocksDB window store its {@code storeBuilder} makes. */
class SpanDeduplicatorTest {
  private static final long WINDOW = 60_000;
  private static final long BUCKET = SpanDeduplicator.bucketMs(WINDOW);
  /** At the start of a filter generation. */
  private static final long T0 = 1_000 * WINDOW;

  @TempDir Path stateDir;
  private WindowStore<Bytes, byte[]> store;
  private SpanDeduplicator dedup;

  @BeforeEach
  void openStore() {
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "dedup-test");
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
    MockProcessorContext<Object, Object> context = new MockProcessorContext<>(props, new TaskId(0, 0), stateDir.toFile());
    store = SpanDeduplicator.storeBuilder("dedup-store", WINDOW).withLoggingDisabled().build();
    store.init(context.getStateStoreContext(), store);
    dedup = restarted();
  }

  @AfterEach
  void closeStore() {
    store.close();
  }

  @Test
  void shouldDropASpanSeenEarlierInTheSameBatch() {
    // Given a batch holding the same span twice, and another span of the same trace
    byte[] a = span(1, 1);
    // When it goes through
    List<Boolean> firsts = batch(dedup, T0, a, span(1, 2), a);
    // Then only the repeat is a duplicate
    assertThat(firsts).containsExactly(true, true, false);
  }

  @Test
  void shouldDropACopyInALaterBatchWithinTheWindow() {
    // Given spans seen at T0 + 30 s
    long seenAt = T0 + WINDOW / 2;
    batch(dedup, seenAt, span(1, 1), span(2, 1));
    // When copies arrive a full window later, and a window earlier (out of order)
    List<Boolean> later = batch(dedup, seenAt + WINDOW, span(1, 1), span(3, 1));
    List<Boolean> earlier = batch(dedup, seenAt - WINDOW, span(2, 1));
    // Then the copies are duplicates and the new span is not
    assertThat(later).containsExactly(false, true);
    assertThat(earlier).containsExactly(false);
  }

  @Test
  void shouldLetACopyThroughOnceTheWindowHasPassed() {
    // Given a span seen at T0
    batch(dedup, T0 + 10, span(1, 1));
    // When its copy arrives more than a window (plus the bucket rounding) later
    List<Boolean> firsts = batch(dedup, T0 + 10 + WINDOW + 2 * BUCKET, span(1, 1));
    // Then it counts as new again
    assertThat(firsts).containsExactly(true);
  }

  @Test
  void shouldDropACopyAcrossFilterGenerations() {
    // Given a span seen at the very end of a generation, then traffic that moves the stream on
    long seenAt = T0 + WINDOW - 1;
    batch(dedup, seenAt, span(1, 1));
    batch(dedup, seenAt + 2 * WINDOW - BUCKET, span(2, 1));
    // When the copy arrives a window after the original (out of order), two generations later
    List<Boolean> firsts = batch(dedup, seenAt + WINDOW, span(1, 1));
    // Then it is still a duplicate
    assertThat(firsts).containsExactly(false);
  }

  @Test
  void shouldForgetABatchThatWasBegunButNeverCommitted() {
    // Given a batch that marked a span but failed before commit
    dedup.begin(T0);
    assertThat(dedup.firstSighting(span(1, 1), 0, 16)).isTrue();
    // When the next batch (its good copy) starts and commits
    List<Boolean> firsts = batch(dedup, T0 + 1, span(1, 1));
    // Then the copy is new, and only it reached the store
    assertThat(firsts).containsExactly(true);
    assertThat(entries()).hasSize(1);
    assertThat(entries().get(0).value).hasSize(8);
  }

  @Test
  void shouldWriteNothingForABatchNeverCommitted() {
    // Given a batch that marked spans and was never committed
    dedup.begin(T0);
    dedup.firstSighting(span(1, 1), 0, 16);
    dedup.firstSighting(span(2, 1), 0, 16);
    // When the next batch begins
    dedup.begin(T0 + 1);
    dedup.commit();
    // Then the store holds nothing
    assertThat(entries()).isEmpty();
  }

  @Test
  void shouldDetectDuplicatesAfterARestartFromTheStore() {
    // Given spans committed by one instance, in two generations
    batch(dedup, T0 + 100, span(1, 1), span(2, 1));
    batch(dedup, T0 + WINDOW + 100, span(3, 1));
    // When a fresh instance starts on the same store (a restart: the filter must come from the store)
    SpanDeduplicator afterRestart = restarted();
    List<Boolean> firsts = batch(afterRestart, T0 + WINDOW + 200, span(1, 1), span(2, 1), span(3, 1), span(4, 1));
    // Then every copy is a duplicate and the new span is not
    assertThat(firsts).containsExactly(false, false, false, true);
  }

  @Test
  void shouldAppendSpansOfATraceAcrossBatchesToOneEntryPerBucket() {
    // Given one trace whose spans arrive in five batches: three in one bucket, two in the next
    long[] at = {T0, T0 + 1, T0 + 2, T0 + BUCKET, T0 + BUCKET + 1};
    List<byte[]> all = new ArrayList<>();
    for (int b = 0; b < at.length; b++) {
      byte[] s1 = span(7, 10 * b + 1);
      byte[] s2 = span(7, 10 * b + 2);
      assertThat(batch(dedup, at[b], s1, s2)).containsExactly(true, true);
      all.add(s1);
      all.add(s2);
    }
    // When all ten are sent again
    List<Boolean> firsts = batch(dedup, T0 + BUCKET + 2, all.toArray(byte[][]::new));
    // Then all are duplicates, and the store holds one entry per bucket with all ids
    assertThat(firsts).containsOnly(false).hasSize(10);
    List<KeyValue<Windowed<Bytes>, byte[]>> entries = entries();
    assertThat(entries).extracting(e -> e.key.window().start()).containsExactly(T0, T0 + BUCKET);
    assertThat(entries).extracting(e -> e.value.length).containsExactly(6 * 8, 4 * 8);
  }

  @Test
  void shouldTreatTheSameSpanIdUnderDifferentTracesAsDifferentSpans() {
    // Given a span id seen under one trace
    batch(dedup, T0, span(1, 42));
    // When the same span id comes under two other traces
    List<Boolean> firsts = batch(dedup, T0 + 1, span(2, 42), span(3, 42), span(1, 42));
    // Then those are new; only the original pair is a duplicate
    assertThat(firsts).containsExactly(true, true, false);
  }

  @Test
  void shouldKeepAHostileTraceWithinTheValueCapAndStillDetectItsDuplicates() {
    // Given one trace with 100,000 spans in batches of 5,000 within one bucket
    int spans = 100_000;
    for (int b = 0; b < spans / 5_000; b++) {
      byte[][] chunk = new byte[5_000][];
      for (int i = 0; i < chunk.length; i++) {
        chunk[i] = span(9, b * 5_000L + i + 1);
      }
      assertThat(batch(dedup, T0 + b, chunk)).containsOnly(true);
    }
    // Then every value is at most the cap, and the trace remembers exactly the per-trace cap
    List<KeyValue<Windowed<Bytes>, byte[]>> entries = entries();
    assertThat(entries).allSatisfy(e -> assertThat(e.value.length).isLessThanOrEqualTo(SpanDeduplicator.MAX_IDS_PER_ENTRY * 8));
    assertThat(entries.stream().mapToInt(e -> e.value.length / 8).sum()).isEqualTo(SpanDeduplicator.MAX_IDS_PER_TRACE);
    // When the remembered spans come again, and a span beyond the cap twice in one batch
    List<Boolean> remembered = batch(dedup, T0 + 100, span(9, 1), span(9, SpanDeduplicator.MAX_IDS_PER_TRACE));
    List<Boolean> beyond = batch(dedup, T0 + 101, span(9, spans), span(9, spans));
    // Then the remembered ones are duplicates; beyond the cap only the in-batch copy is (documented)
    assertThat(remembered).containsExactly(false, false);
    assertThat(beyond).containsExactly(true, false);
  }

  @Test
  void shouldStayExactWithManyMoreTracesThanTheFilterExpects() {
    // Given 200,000 traces against a filter sized for 1,000
    SpanDeduplicator small = new SpanDeduplicator(WINDOW, 1_000);
    small.init(store);
    int traces = 200_000;
    for (int b = 0; b < traces / 100; b++) {
      assertThat(batch(small, T0 + b, hundredTraces(b, 1))).containsOnly(true);
    }
    // When every span comes again, and a new span of every trace
    int duplicates = 0;
    int fresh = 0;
    for (int b = 0; b < traces / 100; b++) {
      duplicates += count(batch(small, T0 + 3_000, hundredTraces(b, 1)), false);
      fresh += count(batch(small, T0 + 3_001, hundredTraces(b, 2)), true);
    }
    // Then no copy is missed and no new span is taken for a copy
    assertThat(duplicates).isEqualTo(traces);
    assertThat(fresh).isEqualTo(traces);
  }

  @Test
  void shouldKeepAtMostThreeFilterGenerations() {
    // Given traffic over ten windows
    for (int w = 0; w < 10; w++) {
      batch(dedup, T0 + w * WINDOW, span(w, 1));
    }
    // Then only the generations within the store's retention remain
    assertThat(dedup.generationCount()).isBetween(1, 3);
    // and a restart rebuilds no more than those
    assertThat(restarted().generationCount()).isBetween(1, 3);
    // and what is still retained is still caught
    assertThat(batch(dedup, T0 + 9 * WINDOW, span(9, 1), span(8, 1))).containsExactly(false, false);
  }

  private SpanDeduplicator restarted() {
    SpanDeduplicator d = new SpanDeduplicator(WINDOW, 10_000);
    d.init(store);
    return d;
  }

  /** One committed batch; every span is one 24-byte array (trace id, span id), all in one buffer. */
  private static List<Boolean> batch(SpanDeduplicator d, long ts, byte[]... spans) {
    ByteBuffer buf = ByteBuffer.allocate(3 + spans.length * 24);
    buf.put(new byte[3]); // ids at odd offsets, as in a real record
    for (byte[] s : spans) {
      buf.put(s);
    }
    d.begin(ts);
    List<Boolean> firsts = new ArrayList<>(spans.length);
    for (int i = 0; i < spans.length; i++) {
      firsts.add(d.firstSighting(buf.array(), 3 + i * 24, 3 + i * 24 + 16));
    }
    d.commit();
    return firsts;
  }

  /** 16-byte trace id and 8-byte span id, derived from two numbers. */
  private static byte[] span(long trace, long spanId) {
    return ByteBuffer.allocate(24).putLong(0x5EEDL).putLong(trace).putLong(spanId).array();
  }

  private static byte[][] hundredTraces(int batch, long spanId) {
    byte[][] spans = new byte[100][];
    for (int i = 0; i < 100; i++) {
      spans[i] = span(batch * 100L + i, spanId);
    }
    return spans;
  }

  private static int count(List<Boolean> firsts, boolean value) {
    return (int) firsts.stream().filter(f -> f == value).count();
  }

  private List<KeyValue<Windowed<Bytes>, byte[]>> entries() {
    List<KeyValue<Windowed<Bytes>, byte[]>> all = new ArrayList<>();
    try (KeyValueIterator<Windowed<Bytes>, byte[]> it = store.all()) {
      it.forEachRemaining(all::add);
    }
    return all;
  }
}
