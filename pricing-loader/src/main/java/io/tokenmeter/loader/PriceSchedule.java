package io.tokenmeter.loader;

import io.tokenmeter.pricing.PriceCard;
import io.tokenmeter.pricing.PriceCardCodec;
import io.tokenmeter.pricing.PriceKind;
import io.tokenmeter.pricing.PriceTier;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The prices the loader wants on the topic: the catalog's cards with the overrides applied, as a
 * function of time ({@link #cardAt}), because discounts and custom models may carry their own
 * effective dates. Built only from valid input: {@link #of} reports every problem at once.
 */
final class PriceSchedule {
  /** Service tiers the topology bills (the names of the providers' APIs). */
  static final Set<String> SERVICE_TIERS = Set.of("batch", "flex", "priority");

  private static final BigDecimal HUNDRED = BigDecimal.valueOf(100);
  private static final Comparator<Overrides.Discount> BY_DATE = Comparator.comparing(
      d -> d.effectiveFrom() == null ? PriceCard.BEGINNING_OF_TIME : d.effectiveFrom());

  private final Map<String, PriceCard> catalog;
  private final Map<String, PriceCard> custom;
  private final Map<String, List<Overrides.Discount>> modelDiscounts;
  private final Map<String, List<Overrides.Discount>> providerDiscounts;
  private final Map<String, List<String>> aliases;

  private PriceSchedule(Map<String, PriceCard> catalog, Map<String, PriceCard> custom,
      Map<String, List<Overrides.Discount>> modelDiscounts, Map<String, List<Overrides.Discount>> providerDiscounts,
      Map<String, List<String>> aliases) {
    this.catalog = catalog;
    this.custom = custom;
    this.modelDiscounts = modelDiscounts;
    this.providerDiscounts = providerDiscounts;
    this.aliases = aliases;
  }

  /**
   * Validates the overrides against the catalog and builds the schedule.
   *
   * @param catalogCards the catalog's valid cards
   * @param catalogSkipped catalog entries skipped, with reasons (to explain "unknown model")
   * @param file the overrides file name, prefixed to every message
   * @throws LoaderException invalid input, listing every problem
   */
  static PriceSchedule of(List<PriceCard> catalogCards, Map<String, String> catalogSkipped, Overrides overrides, String file) {
    Map<String, PriceCard> catalog = new TreeMap<>();
    catalogCards.forEach(c -> catalog.put(c.model(), c));
    List<String> problems = new ArrayList<>();

    Map<String, PriceCard> custom = new TreeMap<>();
    overrides.models().forEach((model, entry) -> {
      String where = file + ": models." + model + ": ";
      if (model == null || model.isBlank()) {
        problems.add(file + ": models: a model name is empty");
      } else if (entry == null) {
        problems.add(where + "has no prices");
      } else {
        PriceCard card = entry.card(model, "overrides " + file);
        checkKinds(where, card, problems);
        String prefix = "price card '" + model + "': ";
        PriceCardCodec.validate(card).forEach(p -> problems.add(where + p.replace(prefix, "")));
        custom.put(model, card);
      }
    });

    Set<String> providers = new HashSet<>();
    catalog.values().forEach(c -> providers.add(c.provider()));
    Map<String, List<Overrides.Discount>> modelDiscounts = new HashMap<>();
    Map<String, List<Overrides.Discount>> providerDiscounts = new HashMap<>();
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < overrides.discounts().size(); i++) {
      Overrides.Discount d = overrides.discounts().get(i);
      String where = file + ": discounts[" + i + "]: ";
      if (d == null) {
        problems.add(where + "empty entry");
        continue;
      }
      int before = problems.size();
      if ((d.model() == null) == (d.provider() == null)) {
        problems.add(where + "name either a provider or a model");
      } else if (d.model() != null && custom.containsKey(d.model())) {
        problems.add(where + "model '" + d.model() + "' has explicit prices under models: (write the price you pay "
            + "there; discounts apply to catalog prices)");
      } else if (d.model() != null && !catalog.containsKey(d.model())) {
        problems.add(where + unknownModel(d.model(), catalogSkipped));
      } else if (d.provider() != null && !providers.contains(d.provider())) {
        problems.add(where + "unknown provider '" + d.provider() + "' (no catalog model has it)");
      }
      if (d.percent() == null) {
        problems.add(where + "percent is missing");
      } else if (d.percent().signum() < 0 || d.percent().compareTo(HUNDRED) > 0) {
        problems.add(where + "percent must be between 0 and 100, got " + d.percent().toPlainString());
      }
      if (problems.size() == before && !seen.add(d.target() + "@" + d.effectiveFrom())) {
        problems.add(where + "a second discount for " + d.target()
            + (d.effectiveFrom() == null ? "" : " from " + d.effectiveFrom()));
      }
      if (problems.size() == before) {
        (d.model() != null ? modelDiscounts.computeIfAbsent(d.model(), k -> new ArrayList<>())
            : providerDiscounts.computeIfAbsent(d.provider(), k -> new ArrayList<>())).add(d);
      }
    }
    modelDiscounts.values().forEach(l -> l.sort(BY_DATE));
    providerDiscounts.values().forEach(l -> l.sort(BY_DATE));

    Map<String, String> aliasOwner = new HashMap<>();
    overrides.aliases().forEach((model, names) -> {
      String where = file + ": aliases." + model + ": ";
      if (!catalog.containsKey(model) && !custom.containsKey(model)) {
        problems.add(where + unknownModel(model, catalogSkipped));
        return;
      }
      for (String alias : names == null ? List.<String>of() : names) {
        if (alias == null || alias.isBlank()) {
          problems.add(where + "an alias is empty");
        } else if (catalog.containsKey(alias) || custom.containsKey(alias)) {
          problems.add(where + "alias '" + alias + "' is itself a model name (it would be ambiguous)");
        } else {
          String other = aliasOwner.putIfAbsent(alias, model);
          if (other != null) {
            problems.add(where + "alias '" + alias + "' is already an alias of '" + other + "'");
          }
        }
      }
    });

    if (!problems.isEmpty()) {
      throw LoaderException.invalid(problems);
    }
    Map<String, List<String>> aliasesByModel = new HashMap<>();
    aliasOwner.forEach((alias, model) -> aliasesByModel.computeIfAbsent(model, k -> new ArrayList<>()).add(alias));
    return new PriceSchedule(catalog, custom, modelDiscounts, providerDiscounts, aliasesByModel);
  }

  /** Every model the schedule prices, catalog and custom, sorted. */
  NavigableSet<String> models() {
    TreeSet<String> all = new TreeSet<>(catalog.keySet());
    all.addAll(custom.keySet());
    return all;
  }

  /**
   * The card in force for {@code model} at {@code t} (its effective date is not meaningful), or
   * null when the schedule has no price for it then (a custom model before its effective date).
   */
  PriceCard cardAt(String model, Instant t) {
    PriceCard own = custom.get(model);
    PriceCard card;
    if (own != null && !t.isBefore(own.effectiveFrom())) {
      card = own;
    } else {
      PriceCard listed = catalog.get(model);
      if (listed == null) {
        return null;
      }
      Overrides.Discount d = discountAt(modelDiscounts.get(model), t);
      if (d == null) {
        d = discountAt(providerDiscounts.get(listed.provider()), t);
      }
      card = d == null ? listed : discounted(listed, d);
    }
    List<String> names = aliases.get(model);
    return names == null ? card : new PriceCard(card.model(), card.provider(), card.mode(), card.currency(),
        card.effectiveFrom(), card.source(), card.prices(), card.tiers(), card.serviceTiers(), names);
  }

  /** The dates at which the overrides change {@code model}'s price (discount dates, custom effective date). */
  NavigableSet<Instant> changeDates(String model) {
    TreeSet<Instant> dates = new TreeSet<>();
    PriceCard own = custom.get(model);
    if (own != null && own.effectiveFrom().isAfter(PriceCard.BEGINNING_OF_TIME)) {
      dates.add(own.effectiveFrom());
    }
    PriceCard listed = catalog.get(model);
    if (listed != null) {
      addDates(modelDiscounts.get(model), dates);
      addDates(providerDiscounts.get(listed.provider()), dates);
    }
    return dates;
  }

  /** {@code card} with {@code percent} taken off every price, exactly (no rounding). */
  static PriceCard discounted(PriceCard card, Overrides.Discount discount) {
    BigDecimal keep = HUNDRED.subtract(discount.percent());
    List<PriceTier> tiers = card.tiers().stream()
        .map(t -> new PriceTier(t.aboveInputTokens(), scaled(t.prices(), keep)))
        .toList();
    Map<String, Map<String, BigDecimal>> serviceTiers = new TreeMap<>();
    card.serviceTiers().forEach((k, v) -> serviceTiers.put(k, scaled(v, keep)));
    String source = card.source() + ", " + discount.percent().stripTrailingZeros().toPlainString() + "% off ("
        + discount.target() + ")";
    return new PriceCard(card.model(), card.provider(), card.mode(), card.currency(), card.effectiveFrom(), source,
        scaled(card.prices(), keep), tiers, serviceTiers, card.aliases());
  }

  private static Map<String, BigDecimal> scaled(Map<String, BigDecimal> prices, BigDecimal keepPercent) {
    Map<String, BigDecimal> out = new LinkedHashMap<>();
    prices.forEach((k, v) -> out.put(k, v.multiply(keepPercent).movePointLeft(2)));
    return out;
  }

  private static Overrides.Discount discountAt(List<Overrides.Discount> discounts, Instant t) {
    Overrides.Discount inForce = null;
    if (discounts != null) {
      for (Overrides.Discount d : discounts) { // sorted by date
        if (d.effectiveFrom() == null || !d.effectiveFrom().isAfter(t)) {
          inForce = d;
        }
      }
    }
    return inForce;
  }

  private static void addDates(List<Overrides.Discount> discounts, Set<Instant> dates) {
    if (discounts != null) {
      discounts.stream().map(Overrides.Discount::effectiveFrom).filter(Objects::nonNull).forEach(dates::add);
    }
  }

  private static String unknownModel(String model, Map<String, String> catalogSkipped) {
    String skipped = catalogSkipped.get(model);
    return "unknown model '" + model + "'"
        + (skipped != null ? " (the catalog has it but skipped it: " + skipped + ")"
            : " (not in the catalog, not under models:)");
  }

  private static void checkKinds(String where, PriceCard card, List<String> problems) {
    checkKinds(where + "prices", card.prices(), problems);
    card.tiers().forEach(t -> checkKinds(where + "tiers[above " + t.aboveInputTokens() + "]", t.prices(), problems));
    card.serviceTiers().forEach((tier, prices) -> {
      if (!SERVICE_TIERS.contains(tier)) {
        problems.add(where + "unknown service tier '" + tier + "' (known: " + new TreeSet<>(SERVICE_TIERS) + ")");
      }
      checkKinds(where + "service_tiers." + tier, prices, problems);
    });
  }

  private static void checkKinds(String where, Map<String, BigDecimal> prices, List<String> problems) {
    prices.keySet().stream()
        .filter(k -> !PriceKind.KNOWN.contains(k))
        .forEach(k -> problems.add(where + ": unknown price kind '" + k + "' (known: "
            + String.join(", ", PriceKind.KNOWN) + ")"));
  }
}
