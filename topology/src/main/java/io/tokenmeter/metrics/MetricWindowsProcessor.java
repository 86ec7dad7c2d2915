package io.tokenmeter.metrics;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Sums the partial aggregates of one series per tumbling window and writes each window once, as a
 * {@code final} record, when stream time (the latest span end seen by this task) has passed the
 * window's end plus the grace period. A partial that arrives after that is written at once as a
 * {@code late} record carrying only its own contribution.
 *
 * <p>Why not the DSL's windowed aggregation: it drops records after the grace period, and after a
 * crash or an outage the tasks catch up at different speeds, so one task's partials can be
 * minutes of span time behind another's. Dropping them would break the promise that the records
 * of a (window, series), summed, equal a recomputation from the input. Here nothing is dropped:
 * the common case is one final record per window and series, and lateness only adds records.
 */
public final class MetricWindowsProcessor implements Processor<String, MetricAggregate, String, byte[]> {
  private final String storeName;
  private final long windowMs;
  private final long graceMs;
  private ProcessorContext<String, byte[]> context;
  private KeyValueStore<String, MetricAggregate> open;
  /** Window starts at or below this were emitted already: nothing stored below it (later partials go out as late). */
  private long emittedUpTo = Long.MIN_VALUE;

  public MetricWindowsProcessor(String storeName, MetricsSettings settings) {
    this.storeName = storeName;
    this.windowMs = settings.window().toMillis();
    this.graceMs = settings.grace().toMillis();
  }

  @Override
  public void init(ProcessorContext<String, byte[]> context) {
    this.context = context;
    this.open = context.getStateStore(storeName);
    this.emittedUpTo = Long.MIN_VALUE;
  }

  @Override
  public void process(Record<String, MetricAggregate> partial) {
    // the window comes from span time in the value; the record's timestamp may be capped at wall clock
    long windowStart = Math.floorDiv(partial.value().lastSpanEndMs, windowMs) * windowMs;
    long streamTime = context.currentStreamTimeMs();
    if (windowStart + windowMs + graceMs <= streamTime) {
      emit(partial.key(), windowStart, partial.value(), "late");
    } else {
      String key = storeKey(windowStart, partial.key());
      MetricAggregate sum = open.get(key);
      open.put(key, sum == null ? partial.value() : sum.merge(partial.value()));
    }
    emitClosed(streamTime);
  }

  /** Writes and forgets every open window whose end plus grace stream time has passed. */
  private void emitClosed(long streamTime) {
    long closedBefore = streamTime - windowMs - graceMs; // window starts at or below this are closed
    if (closedBefore < 0) {
      return;
    }
    // Only when stream time closed a new window: not on every partial. And from the last closed
    // window on, so that RocksDB does not seek over the tombstones of every window deleted so far.
    long newestClosed = Math.floorDiv(closedBefore, windowMs) * windowMs;
    if (newestClosed <= emittedUpTo) {
      return;
    }
    String from = emittedUpTo == Long.MIN_VALUE ? null : storeKey(emittedUpTo + 1, "");
    emittedUpTo = newestClosed;
    List<KeyValue<String, MetricAggregate>> closed = new ArrayList<>();
    // keys sort by zero-padded window start, so the closed windows are one range
    try (KeyValueIterator<String, MetricAggregate> it = open.range(from, storeKey(closedBefore, "\uffff"))) {
      it.forEachRemaining(closed::add);
    }
    for (KeyValue<String, MetricAggregate> kv : closed) {
      int bar = kv.key.indexOf('|');
      emit(kv.key.substring(bar + 1), Long.parseLong(kv.key.substring(0, bar)), kv.value, "final");
      open.delete(kv.key);
    }
  }

  private void emit(String series, long windowStart, MetricAggregate aggregate, String kind) {
    MetricWindow record = new MetricWindow(Instant.ofEpochMilli(windowStart).toString(),
        Instant.ofEpochMilli(windowStart + windowMs).toString(), kind, aggregate);
    // written now: a window-start timestamp would let topic retention delete replayed old windows at once
    context.forward(new Record<>(series, MetricsJson.write(record), context.currentSystemTimeMs()));
  }

  /** {@code <window start, zero-padded to 15 digits>|<series>}: key order is window order. */
  public static String storeKey(long windowStart, String series) {
    String digits = Long.toString(windowStart);
    StringBuilder sb = new StringBuilder(16 + series.length());
    for (int i = digits.length(); i < 15; i++) {
      sb.append('0');
    }
    return sb.append(digits).append('|').append(series).toString();
  }
}
