package io.tokenmeter.pricing;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.math.BigDecimal;
import java.util.Map;
import java.util.Objects;

/**
 * A long-context tier: when a request's input tokens (cache included) exceed
 * {@code aboveInputTokens}, these prices replace the base prices for the whole request.
 */
public record PriceTier(
    @JsonProperty("above_input_tokens") long aboveInputTokens,
    @JsonProperty("prices") Map<String, BigDecimal> prices) {

  public PriceTier {
    prices = PriceCard.sortedPrices(Objects.requireNonNullElse(prices, Map.of()));
  }
}
