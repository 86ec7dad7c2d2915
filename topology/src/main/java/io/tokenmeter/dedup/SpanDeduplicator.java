package io.tokenmeter.dedup;

import com.google.common.hash.BloomFilter;
import com.google.common.hash.Funnels;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.kstream.Windowed;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;

/**
 * Duplicate span detection: a span (16-byte trace id + 8-byte span id) is a duplicate when it was
 * seen within {@code windowMs} of the record timestamp, or earlier in the same batch.
 *
 * <p><b>Store layout.</b> The window store is keyed by trace id; a value is the concatenation of
 * 8-byte span ids of that trace, timestamped with the <em>bucket</em> of the record time
 * ({@code floor(ts / bucketMs) * bucketMs}, {@code bucketMs = windowMs / 10}). So a batch costs
 * one fetch and one put (one changelog record) per distinct trace, not per span; appending to a
 * trace rewrites only the current bucket's entry (the store does not retain duplicates, so a put
 * on the same key and timestamp overwrites it). A lookup unions the trace's entries in
 * {@code [ts - windowMs, ts + windowMs]} rounded outwards to whole buckets: a copy may be caught
 * up to one bucket (10% of the window) later than {@code windowMs}. That errs on the right side: a
 * (trace id, span id) pair is unique by construction, so a second sighting is always a re-delivery.
 *
 * <p><b>Bounds.</b> A value holds at most {@link #MAX_IDS_PER_ENTRY} ids (64 KiB, far below a
 * topic's 1 MB record limit); when the current entry is full the ids go on in a new entry at the
 * next millisecond of the bucket (an overflow slot). A trace remembers at most
 * {@link #MAX_IDS_PER_TRACE} ids within a lookup range (256 KiB), which bounds what one lookup
 * reads. Beyond that, further span ids of that trace are not remembered: a later copy of one of
 * them is let through (as with dedup off), while copies within one batch are still dropped. A
 * hostile trace with a million spans thus costs at most a few hundred KiB of store per bucket and
 * per lookup, never an unbounded value.
 *
 * <p><b>Bloom filter.</b> A trace id the filter has never seen needs no store lookup (most spans
 * belong to new traces, and RocksDB range fetches are the cost this class exists to avoid). Bloom
 * filters cannot forget, so there is one per <em>generation</em> ({@code windowMs} of entry
 * timestamps); only the generations the store may still return are kept (at most 3: the store
 * retains {@code 2 x windowMs} behind its newest entry). A filter holds every trace id the store
 * holds in its generation: {@link #init} rebuilds them from the whole store (after a restart, a
 * rebalance or an exactly-once re-initialisation the store was restored from its changelog), and
 * {@link #commit} adds what it writes. A false positive only costs a lookup.
 *
 * <p>Not thread-safe: one instance per task, as a processor is.
 */
public final class SpanDeduplicator {
  /**
   * Buckets per window. A bucket of 10% of the window (1 min at the default 10 min): most traces
   * finish within one or two, so a lookup reads one or two entries, a trace's appends within a
   * bucket rewrite one value, and the window is widened by at most 10%.
   */
  static final long BUCKETS_PER_WINDOW = 10;
  /** Ids per store value: 64 KiB, one changelog record well under a topic's 1 MB limit. */
  static final int MAX_IDS_PER_ENTRY = 8192;
  /** Ids a trace remembers within one lookup range (256 KiB): bounds a lookup's reads and heap. */
  static final int MAX_IDS_PER_TRACE = 32768;
  /** 1%: about 9.6 bits (1.2 bytes) per expected trace and 7 hash functions. */
  static final double FALSE_POSITIVE_RATE = 0.01;

  private static final int TRACE_ID_BYTES = 16;
  private static final int SPAN_ID_BYTES = 8;
  private static final long NO_TIME = Long.MIN_VALUE;
  private static final VarHandle LONG_BE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

  private final long windowMs;
  private final long bucketMs;
  /** Overflow slots per bucket: entry timestamps bucket, bucket + 1, ... (a bucket has bucketMs of them). */
  private final int slotsPerBucket;
  private final long expectedTracesPerWindow;

  private WindowStore<Bytes, byte[]> store;
  /** Live generations, oldest first; at most 3. */
  private final List<Generation> generations = new ArrayList<>(4);
  /** The newest entry timestamp in the store (its stream time): sets what retention still keeps. */
  private long newest = NO_TIME;

  /** This batch: trace -> ids looked up and marked. Dropped by begin, written by commit. */
  private final Map<TraceKey, Pending> batch = new HashMap<>();
  /** Reused to look a span's trace up in {@link #batch} without copying its id. */
  private final TraceKey probe = new TraceKey();
  private boolean begun;
  private long bucket;
  private long from;
  private long to;

  /** A Bloom filter of the trace ids the store holds with entry timestamps in one window-long generation. */
  private record Generation(long index, BloomFilter<byte[]> traces) {}

  /** The changelogged persistent window store this class expects (retention 2 x window, as today). */
  public static StoreBuilder<WindowStore<Bytes, byte[]>> storeBuilder(String name, long windowMs) {
    requirePositive(windowMs, "windowMs");
    // Retention twice the window: a retried copy may arrive up to one window after the original.
    // The store's "window size" is one bucket, the time an entry stands for.
    return Stores.windowStoreBuilder(
        Stores.persistentWindowStore(name, Duration.ofMillis(Math.multiplyExact(windowMs, 2)),
            Duration.ofMillis(bucketMs(windowMs)), false),
        Serdes.Bytes(), Serdes.ByteArray());
  }

  /**
   * @param expectedTracesPerWindow distinct traces one task expects per window; sizes each
   *     generation's filter at about 1.2 bytes per trace (heap), up to 3 generations live: 7.2 MB
   *     for 2,000,000. More traces only raise the false-positive rate (more store lookups).
   */
  public SpanDeduplicator(long windowMs, long expectedTracesPerWindow) {
    this.windowMs = requirePositive(windowMs, "windowMs");
    this.expectedTracesPerWindow = requirePositive(expectedTracesPerWindow, "expectedTracesPerWindow");
    this.bucketMs = bucketMs(windowMs);
    this.slotsPerBucket = (int) Math.min(MAX_IDS_PER_TRACE / MAX_IDS_PER_ENTRY, bucketMs);
  }

  static long bucketMs(long windowMs) {
    return Math.max(1, windowMs / BUCKETS_PER_WINDOW);
  }

  /** From Processor.init: binds the store and rebuilds the filter from its whole content. */
  public void init(WindowStore<Bytes, byte[]> store) {
    this.store = store;
    batch.clear();
    begun = false;
    generations.clear();
    newest = NO_TIME;
    try (KeyValueIterator<Windowed<Bytes>, byte[]> it = store.all()) {
      while (it.hasNext()) {
        KeyValue<Windowed<Bytes>, byte[]> entry = it.next();
        remember(entry.key.key().get(), entry.key.window().start());
      }
    }
  }

  /** Starts the batch of a record with timestamp ts; drops whatever a previous batch marked but never committed. */
  public void begin(long ts) {
    if (store == null) {
      throw new IllegalStateException("init(store) first");
    }
    batch.clear();
    begun = true;
    bucket = floor(ts);
    from = Math.max(0, floor(ts - windowMs)); // record timestamps are never negative
    to = ts > Long.MAX_VALUE - windowMs - bucketMs ? Long.MAX_VALUE : floor(ts + windowMs) + bucketMs - 1;
    if (newest != NO_TIME) {
      // Beyond the store's retention: the store may still hold such entries (it drops whole
      // segments), but the filters no longer know them. Cut the range the same for both.
      from = Math.max(from, retainedFrom());
    }
  }

  /**
   * True when the span is new (not seen within the window, not earlier in this batch) and marks it;
   * false for a duplicate. The ids are the 16 bytes at traceOffset and the 8 bytes at spanOffset of
   * buf (the caller has checked the lengths; do not keep a reference to buf).
   */
  public boolean firstSighting(byte[] buf, int traceOffset, int spanOffset) {
    if (!begun) {
      throw new IllegalStateException("begin(ts) first");
    }
    Pending trace;
    try {
      trace = batch.get(probe.point(buf, traceOffset));
      if (trace == null) {
        TraceKey key = probe.copy();
        trace = lookup(key.bytes);
        batch.put(key, trace);
      }
    } finally {
      probe.release();
    }
    return trace.mark((long) LONG_BE.get(buf, spanOffset));
  }

  /** Writes the ids marked in this batch to the store: one put per trace. Called only after the batch fully succeeded. */
  public void commit() {
    if (!begun) {
      return;
    }
    for (Pending trace : batch.values()) {
      if (trace.fresh.size > 0) {
        write(trace);
      }
    }
    batch.clear();
    begun = false;
  }

  /** The trace's ids in the store within this batch's range; no store access when no filter may hold it. */
  private Pending lookup(byte[] traceId) {
    Pending trace = new Pending(Bytes.wrap(traceId));
    if (!mayHold(traceId)) {
      return trace;
    }
    try (WindowStoreIterator<byte[]> it = store.fetch(trace.key, from, to)) {
      while (it.hasNext()) {
        KeyValue<Long, byte[]> entry = it.next();
        trace.addStored(entry.key, entry.value, bucket, slotsPerBucket);
      }
    }
    return trace;
  }

  private boolean mayHold(byte[] traceId) {
    long first = Math.floorDiv(from, windowMs);
    long last = Math.floorDiv(to, windowMs);
    for (Generation g : generations) {
      if (g.index >= first && g.index <= last && g.traces.mightContain(traceId)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Appends the trace's new ids to its entry of the current bucket (one put), spilling into the
   * next overflow slot when the entry is full; stops at the per-trace cap.
   */
  private void write(Pending trace) {
    int budget = Math.min(trace.fresh.size, MAX_IDS_PER_TRACE - trace.stored);
    int slot = Math.max(trace.slot, 0);
    byte[] base = trace.slotValue;
    int written = 0;
    while (written < budget && slot < slotsPerBucket) {
      int baseIds = base == null ? 0 : base.length / SPAN_ID_BYTES;
      int take = Math.min(MAX_IDS_PER_ENTRY - baseIds, budget - written);
      if (take <= 0) {
        slot++;
        base = null;
        continue;
      }
      long ts = bucket + slot;
      if (newest != NO_TIME && ts < retainedFrom()) {
        return; // a late batch older than the store keeps: the store would drop it too
      }
      byte[] value = base == null ? new byte[take * SPAN_ID_BYTES] : Arrays.copyOf(base, (baseIds + take) * SPAN_ID_BYTES);
      for (int i = 0; i < take; i++) {
        LONG_BE.set(value, (baseIds + i) * SPAN_ID_BYTES, trace.fresh.values[written + i]);
      }
      store.put(trace.key, value, ts);
      remember(trace.key.get(), ts);
      written += take;
      base = value;
    }
  }

  /** Records that the store holds the trace at entry timestamp ts: moves the retention on, then files it. */
  private void remember(byte[] traceId, long ts) {
    if (newest == NO_TIME || ts > newest) {
      newest = ts;
      long oldest = Math.floorDiv(retainedFrom(), windowMs);
      generations.removeIf(g -> g.index < oldest);
    }
    if (ts < retainedFrom()) {
      return;
    }
    long index = Math.floorDiv(ts, windowMs);
    generationFor(index).traces.put(traceId);
  }

  private Generation generationFor(long index) {
    int at = 0;
    for (; at < generations.size(); at++) {
      Generation g = generations.get(at);
      if (g.index == index) {
        return g;
      }
      if (g.index > index) {
        break;
      }
    }
    Generation g = new Generation(index,
        BloomFilter.create(Funnels.byteArrayFunnel(), expectedTracesPerWindow, FALSE_POSITIVE_RATE));
    generations.add(at, g);
    return g;
  }

  /** The oldest entry timestamp the store still returns: retention is 2 x window behind its newest entry. */
  private long retainedFrom() {
    return newest - 2 * windowMs + 1;
  }

  private long floor(long ts) {
    return Math.floorDiv(ts, bucketMs) * bucketMs;
  }

  private static long requirePositive(long value, String name) {
    if (value <= 0) {
      throw new IllegalArgumentException(name + " must be positive: " + value);
    }
    return value;
  }

  /** Number of live filter generations (tests). */
  int generationCount() {
    return generations.size();
  }

  /**
   * A trace id as a hash key: either a view into the caller's buffer (the reused probe) or an owned
   * 16-byte copy (the keys stored in the batch map).
   */
  private static final class TraceKey {
    private byte[] bytes;
    private int offset;
    private int hash;

    TraceKey point(byte[] buf, int at) {
      bytes = buf;
      offset = at;
      long hi = (long) LONG_BE.get(buf, at);
      long lo = (long) LONG_BE.get(buf, at + SPAN_ID_BYTES);
      hash = Long.hashCode(hi * 31 + lo); // trace ids are random: no further mixing needed
      return this;
    }

    TraceKey copy() {
      TraceKey key = new TraceKey();
      key.bytes = Arrays.copyOfRange(bytes, offset, offset + TRACE_ID_BYTES);
      key.hash = hash;
      return key;
    }

    void release() {
      bytes = null;
    }

    @Override
    public int hashCode() {
      return hash;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof TraceKey k && hash == k.hash
          && Arrays.equals(bytes, offset, offset + TRACE_ID_BYTES, k.bytes, k.offset, k.offset + TRACE_ID_BYTES);
    }
  }

  /** One trace in this batch: the ids the store holds for it, plus those marked in this batch. */
  private static final class Pending {
    final Bytes key;
    final LongSet seen = new LongSet();
    final LongList fresh = new LongList();
    /** Ids the store holds for the trace within the range. */
    int stored;
    /** The newest overflow slot of the current bucket in the store (-1: none), and its value. */
    int slot = -1;
    byte[] slotValue;

    Pending(Bytes key) {
      this.key = key;
    }

    void addStored(long ts, byte[] value, long bucket, int slots) {
      int n = value.length / SPAN_ID_BYTES;
      for (int i = 0; i < n; i++) {
        seen.add((long) LONG_BE.get(value, i * SPAN_ID_BYTES));
      }
      stored += n;
      if (ts >= bucket && ts - bucket < slots && ts - bucket > slot) {
        slot = (int) (ts - bucket);
        slotValue = value;
      }
    }

    boolean mark(long spanId) {
      if (!seen.add(spanId)) {
        return false;
      }
      fresh.add(spanId);
      return true;
    }
  }

  /** Span ids in insertion order. */
  private static final class LongList {
    long[] values = new long[8];
    int size;

    void add(long v) {
      if (size == values.length) {
        values = Arrays.copyOf(values, size * 2);
      }
      values[size++] = v;
    }
  }

  /** An open-addressing set of longs (no boxing): span ids are random, so linear probing is enough. */
  private static final class LongSet {
    private long[] table = new long[16];
    private int size;
    /** 0 marks a free slot, so the id 0 (invalid in OTLP, but possible) is kept apart. */
    private boolean hasZero;

    /** False when v was already there. */
    boolean add(long v) {
      if (v == 0) {
        boolean added = !hasZero;
        hasZero = true;
        return added;
      }
      int mask = table.length - 1;
      int i = index(v, mask);
      while (true) {
        long t = table[i];
        if (t == 0) {
          table[i] = v;
          if (++size * 2 > table.length) {
            grow();
          }
          return true;
        }
        if (t == v) {
          return false;
        }
        i = (i + 1) & mask;
      }
    }

    private static int index(long v, int mask) {
      return (int) ((v * 0x9E3779B97F4A7C15L) >>> 32) & mask;
    }

    private void grow() {
      long[] old = table;
      table = new long[old.length * 2];
      int mask = table.length - 1;
      for (long v : old) {
        if (v != 0) {
          int i = index(v, mask);
          while (table[i] != 0) {
            i = (i + 1) & mask;
          }
          table[i] = v;
        }
      }
    }
  }
}
