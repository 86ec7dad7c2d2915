package io.tokenmeter.loader;

import io.tokenmeter.pricing.InvalidPriceCardException;
import io.tokenmeter.pricing.PriceCard;
import io.tokenmeter.pricing.PriceCardCodec;
import io.tokenmeter.pricing.PriceCardKey;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeMap;

/**
 * The cards on the pricing topic, as the topology sees them after reading it to its end: per model,
 * its cards by effective date. A null value retracts its key; a record that is not a valid card is
 * ignored (the topology rejects it too) and reported.
 */
final class TopicState {
  /** A card and the exact key it is stored under (the key a tombstone must repeat). */
  record Stored(String key, PriceCard card) {}

  private final Map<String, TreeMap<Instant, Stored>> byModel = new TreeMap<>();
  private final List<String> ignored = new ArrayList<>();
  private long records;

  /** Applies one record, in topic order. */
  void apply(byte[] key, byte[] value) {
    records++;
    if (key == null) {
      ignored.add("a record without a key");
      return;
    }
    String k = new String(key, StandardCharsets.UTF_8);
    String model;
    Instant from;
    try {
      model = PriceCardKey.model(k);
      from = PriceCardKey.effectiveFrom(k);
    } catch (IllegalArgumentException e) {
      ignored.add(e.getMessage());
      return;
    }
    TreeMap<Instant, Stored> cards = byModel.computeIfAbsent(model, m -> new TreeMap<>());
    cards.remove(from);
    if (value != null) {
      try {
        cards.put(from, new Stored(k, PriceCardCodec.parse(k, value)));
      } catch (InvalidPriceCardException e) {
        ignored.add(e.getMessage());
      }
    }
    if (cards.isEmpty()) {
      byModel.remove(model);
    }
  }

  /** The model's live cards by effective date; empty when it has none. */
  NavigableMap<Instant, Stored> cards(String model) {
    TreeMap<Instant, Stored> cards = byModel.get(model);
    return cards == null ? Collections.emptyNavigableMap() : Collections.unmodifiableNavigableMap(cards);
  }

  /** Models with at least one live card. */
  Set<String> models() {
    return Collections.unmodifiableSet(byModel.keySet());
  }

  int cardCount() {
    return byModel.values().stream().mapToInt(Map::size).sum();
  }

  long records() {
    return records;
  }

  /** Why records were ignored, one line each. */
  List<String> ignored() {
    return Collections.unmodifiableList(ignored);
  }
}
