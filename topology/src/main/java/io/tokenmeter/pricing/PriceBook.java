package io.tokenmeter.pricing;

import java.time.Instant;
import java.util.Map;
import java.util.NavigableMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Every effective-dated version of every price card, readable by the stream threads while the
 * global thread applies updates from {@code llm-pricing}. Looking up the card "in effect at time
 * t" is a floor lookup in a per-model sorted map.
 */
public final class PriceBook {
  private final Map<String, NavigableMap<Instant, PriceCard>> byModel = new ConcurrentHashMap<>();
  private final Map<String, String> aliases = new ConcurrentHashMap<>();
  private final AtomicLong version = new AtomicLong();
  private final AtomicLong newestUpdateMillis = new AtomicLong(-1);

  /** Adds or replaces one version of a card. */
  public void put(PriceCard card, long recordTimestamp) {
    byModel.computeIfAbsent(card.model(), m -> new ConcurrentSkipListMap<>()).put(card.effectiveFrom(), card);
    rebuildAliases(card.model());
    newestUpdateMillis.accumulateAndGet(recordTimestamp, Math::max);
    version.incrementAndGet();
  }

  /** Retracts one version (a tombstone on the compacted topic). */
  public void remove(String model, Instant effectiveFrom) {
    NavigableMap<Instant, PriceCard> versions = byModel.get(model);
    if (versions != null) {
      versions.remove(effectiveFrom);
      if (versions.isEmpty()) {
        byModel.remove(model);
      }
      aliases.values().removeIf(model::equals);
      rebuildAliases(model);
      version.incrementAndGet();
    }
  }

  /** Aliases follow the newest version of a card. */
  private void rebuildAliases(String model) {
    NavigableMap<Instant, PriceCard> versions = byModel.get(model);
    if (versions != null && !versions.isEmpty()) {
      for (String alias : versions.lastEntry().getValue().aliases()) {
        aliases.put(alias, model);
      }
    }
  }

  public boolean hasModel(String model) {
    return byModel.containsKey(model);
  }

  public String aliasTarget(String alias) {
    return aliases.get(alias);
  }

  /** The card in effect at {@code at}: the latest whose effective_from is at or before it. */
  public PriceCard cardAt(String model, Instant at) {
    NavigableMap<Instant, PriceCard> versions = byModel.get(model);
    if (versions == null) {
      return null;
    }
    Map.Entry<Instant, PriceCard> e = versions.floorEntry(at);
    return e == null ? null : e.getValue();
  }

  /** Changes whenever a card is added or removed; resolution caches key on it. */
  public long version() {
    return version.get();
  }

  public int size() {
    int n = 0;
    for (NavigableMap<Instant, PriceCard> v : byModel.values()) {
      n += v.size();
    }
    return n;
  }

  public int models() {
    return byModel.size();
  }

  /** Kafka timestamp (ms) of the newest card applied, or -1 before the first. */
  public long newestUpdateMillis() {
    return newestUpdateMillis.get();
  }
}
