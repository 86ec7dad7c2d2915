package io.tokenmeter.loader;

import io.tokenmeter.pricing.PriceCard;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;

/** Human-readable lines for the diff: every billing field of a card, flat, and what changed. */
final class CardDiff {
  private CardDiff() {}

  /**
   * A card's billing fields, flat: {@code provider}, {@code mode}, {@code currency}, base prices by
   * kind ({@code input}), tiers ({@code above_200000.input}), service tiers ({@code batch.input}),
   * {@code aliases}.
   */
  static Map<String, String> fields(PriceCard card) {
    Map<String, String> out = new LinkedHashMap<>();
    if (card == null) {
      return out;
    }
    put(out, "provider", card.provider());
    put(out, "mode", card.mode());
    put(out, "currency", card.currency());
    prices(out, "", card.prices());
    card.tiers().forEach(t -> prices(out, "above_" + t.aboveInputTokens() + ".", t.prices()));
    card.serviceTiers().forEach((tier, p) -> prices(out, tier + ".", p));
    if (!card.aliases().isEmpty()) {
      out.put("aliases", String.join(",", card.aliases()));
    }
    return out;
  }

  /** {@code input=0.0000025 output=0.00001 ...} */
  static String describe(PriceCard card) {
    List<String> parts = new ArrayList<>();
    fields(card).forEach((k, v) -> parts.add(k + "=" + v));
    return String.join(" ", parts);
  }

  /** {@code input 0.000005 -> 0.0000025, aliases (none) -> my-deployment}: only what differs. */
  static String changes(PriceCard before, PriceCard after) {
    Map<String, String> a = fields(before);
    Map<String, String> b = fields(after);
    TreeSet<String> keys = new TreeSet<>(a.keySet());
    keys.addAll(b.keySet());
    List<String> parts = new ArrayList<>();
    for (String k : keys) {
      if (!Objects.equals(a.get(k), b.get(k))) {
        parts.add(k + " " + a.getOrDefault(k, "(none)") + " -> " + b.getOrDefault(k, "(none)"));
      }
    }
    return String.join(", ", parts);
  }

  private static void prices(Map<String, String> out, String prefix, Map<String, BigDecimal> prices) {
    prices.forEach((kind, price) -> out.put(prefix + kind, price.toPlainString()));
  }

  private static void put(Map<String, String> out, String key, String value) {
    if (value != null) {
      out.put(key, value);
    }
  }
}
