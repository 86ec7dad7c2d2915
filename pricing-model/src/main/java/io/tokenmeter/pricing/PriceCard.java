package io.tokenmeter.pricing;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * One effective-dated version of a model's price (BRIEF section 5). Prices are USD per token as
 * exact decimals. Instances are normalised on construction (sorted maps, second-precision
 * {@code effective_from}) so that two cards with the same content are {@code equals}, which the
 * loader relies on to write only changed cards.
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public record PriceCard(
    @JsonProperty("model") String model,
    @JsonProperty("provider") String provider,
    @JsonProperty("mode") String mode,
    @JsonProperty("currency") String currency,
    @JsonProperty("effective_from") Instant effectiveFrom,
    @JsonProperty("source") String source,
    @JsonProperty("prices") Map<String, BigDecimal> prices,
    @JsonProperty("tiers") List<PriceTier> tiers,
    @JsonProperty("service_tiers") Map<String, Map<String, BigDecimal>> serviceTiers,
    @JsonProperty("aliases") List<String> aliases) {

  /** The only currency the topology bills in today. */
  public static final String USD = "USD";

  /** "The beginning of time" for a model's first card: spans already in Kafka get priced. */
  public static final Instant BEGINNING_OF_TIME = Instant.EPOCH;

  public PriceCard {
    currency = currency == null ? USD : currency;
    effectiveFrom =
        effectiveFrom == null ? BEGINNING_OF_TIME : effectiveFrom.truncatedTo(ChronoUnit.SECONDS);
    prices = sortedPrices(Objects.requireNonNullElse(prices, Map.of()));
    tiers =
        tiers == null
            ? List.of()
            : tiers.stream().sorted(Comparator.comparingLong(PriceTier::aboveInputTokens)).toList();
    TreeMap<String, Map<String, BigDecimal>> st = new TreeMap<>();
    if (serviceTiers != null) {
      serviceTiers.forEach((k, v) -> st.put(k, sortedPrices(v)));
    }
    serviceTiers = Collections.unmodifiableMap(st);
    aliases = aliases == null ? List.of() : aliases.stream().sorted().distinct().toList();
  }

  /** The compacted-topic key: model and effective date, so history survives compaction. */
  public String key() {
    return PriceCardKey.of(model, effectiveFrom);
  }

  /** The price of a kind, or null when the card does not carry it. */
  public BigDecimal price(String kind) {
    return prices.get(kind);
  }

  public PriceCard withEffectiveFrom(Instant from) {
    return new PriceCard(model, provider, mode, currency, from, source, prices, tiers, serviceTiers, aliases);
  }

  public PriceCard withSource(String newSource) {
    return new PriceCard(model, provider, mode, currency, effectiveFrom, newSource, prices, tiers, serviceTiers, aliases);
  }

  /** True when both cards bill the same way (everything but effective date and source). */
  public boolean samePricesAs(PriceCard other) {
    return other != null
        && Objects.equals(model, other.model)
        && Objects.equals(provider, other.provider)
        && Objects.equals(mode, other.mode)
        && Objects.equals(currency, other.currency)
        && prices.equals(other.prices)
        && tiers.equals(other.tiers)
        && serviceTiers.equals(other.serviceTiers)
        && aliases.equals(other.aliases);
  }

  static Map<String, BigDecimal> sortedPrices(Map<String, BigDecimal> in) {
    TreeMap<String, BigDecimal> out = new TreeMap<>();
    // stripTrailingZeros makes "0.0000025" and "2.50E-6" the same price for equals().
    in.forEach((k, v) -> out.put(k, v == null ? null : canonical(v)));
    return Collections.unmodifiableMap(out);
  }

  static BigDecimal canonical(BigDecimal v) {
    BigDecimal s = v.stripTrailingZeros();
    return s.scale() < 0 ? s.setScale(0) : s;
  }
}
