package io.tokenmeter.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.tokenmeter.pricing.PriceBook;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * tokenmeter's own health counters ({@code tokenmeter_*}, see docs/CONTRACTS.md). They count in
 * memory, per instance: they restart from zero with the process and are not covered by Kafka
 * transactions (a task that aborts and retries counts its records again).
 */
public final class HealthMetrics {
  private final MeterRegistry registry;
  private final Counter recordsIn;
  private final Counter spansIn;
  private final Counter duplicates;
  private final Counter cardsRejected;
  private final ConcurrentHashMap<String, Counter> deadLetters = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, Counter> overflow = new ConcurrentHashMap<>();
  private final AtomicInteger cardsLoaded = new AtomicInteger();
  private final AtomicLong newestCardSeconds = new AtomicLong();
  private final AtomicInteger streamsRunning = new AtomicInteger();

  public HealthMetrics(MeterRegistry registry) {
    this.registry = registry;
    recordsIn = Counter.builder("tokenmeter.records.in").description("OTLP records read from the input topic").register(registry);
    spansIn = Counter.builder("tokenmeter.spans.in").description("Spans decoded from the input topic").register(registry);
    duplicates = Counter.builder("tokenmeter.duplicates.dropped")
        .description("Spans dropped because the same trace id and span id was seen within the dedup window").register(registry);
    cardsRejected = Counter.builder("tokenmeter.price.cards.rejected")
        .description("Price cards rejected as invalid (the previous version stays in force)").register(registry);
    Gauge.builder("tokenmeter.price.cards.loaded", cardsLoaded, AtomicInteger::get)
        .description("Price card versions in the price book").register(registry);
    Gauge.builder("tokenmeter.pricing.newest.card.timestamp.seconds", newestCardSeconds, AtomicLong::get)
        .description("Kafka timestamp of the newest price card applied, in seconds since the epoch").register(registry);
    Gauge.builder("tokenmeter.streams.running", streamsRunning, AtomicInteger::get)
        .description("1 while the Kafka Streams client is RUNNING").register(registry);
  }

  /** For tests and tools that need no exposition. */
  public static HealthMetrics inMemory() {
    return new HealthMetrics(new SimpleMeterRegistry());
  }

  public MeterRegistry registry() {
    return registry;
  }

  public void recordIn(int spans) {
    recordsIn.increment();
    spansIn.increment(spans);
  }

  public void duplicatesDropped(int n) {
    if (n > 0) {
      duplicates.increment(n);
    }
  }

  public void deadLettered(String reason) {
    deadLetters.computeIfAbsent(reason, r -> Counter.builder("tokenmeter.dead.letters")
        .description("Records sent to the dead-letter topic").tag("reason", r).register(registry)).increment();
  }

  public double deadLetterCount(String reason) {
    Counter c = deadLetters.get(reason);
    return c == null ? 0 : c.count();
  }

  public double deadLetterTotal() {
    return deadLetters.values().stream().mapToDouble(Counter::count).sum();
  }

  public double duplicatesDropped() {
    return duplicates.count();
  }

  public void seriesOverflow(String label) {
    overflow.computeIfAbsent(label, l -> Counter.builder("tokenmeter.series.overflow")
        .description("Label values folded into _other because the label reached its limit of distinct values")
        .tag("label", l).register(registry)).increment();
  }

  public double seriesOverflowCount(String label) {
    Counter c = overflow.get(label);
    return c == null ? 0 : c.count();
  }

  public void priceCardRejected() {
    cardsRejected.increment();
  }

  public double priceCardsRejected() {
    return cardsRejected.count();
  }

  public void priceCardsLoaded(PriceBook book) {
    cardsLoaded.set(book.size());
    if (book.newestUpdateMillis() >= 0) {
      newestCardSeconds.set(book.newestUpdateMillis() / 1000);
    }
  }

  public void streamsRunning(boolean running) {
    streamsRunning.set(running ? 1 : 0);
  }
}
