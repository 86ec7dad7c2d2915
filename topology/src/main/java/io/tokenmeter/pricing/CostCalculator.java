package io.tokenmeter.pricing;

import io.tokenmeter.genai.LlmCall;
import java.math.BigDecimal;
import java.util.HashMap;
import java.util.Map;

/**
 * The provider-billing rules, in one place (BRIEF section 6):
 * <ul>
 *   <li>input tokens include cache reads and writes; only the rest is billed at the input price;</li>
 *   <li>cache reads are billed at {@code cache_read}, cache writes at {@code cache_write} (Anthropic's
 *       premium); a card without such a price bills them at the input price;</li>
 *   <li>output includes reasoning; reasoning is billed at {@code reasoning} when the card has one;</li>
 *   <li>a long-context tier re-prices the whole request once its input exceeds the threshold;</li>
 *   <li>a service tier ({@code batch}, {@code flex}, {@code priority}) the span names replaces the
 *       prices it lists.</li>
 * </ul>
 * Arithmetic is exact: token counts times decimal prices, never binary floating point.
 */
public final class CostCalculator {
  private CostCalculator() {}

  public static Cost cost(PriceCard card, LlmCall call) {
    Map<String, BigDecimal> prices = effectivePrices(card, call.inputTokens(), call.serviceTier());
    BigDecimal inputPrice = prices.getOrDefault(PriceKind.INPUT, BigDecimal.ZERO);
    BigDecimal outputPrice = prices.getOrDefault(PriceKind.OUTPUT, BigDecimal.ZERO);
    BigDecimal cacheReadPrice = prices.getOrDefault(PriceKind.CACHE_READ, inputPrice);
    BigDecimal cacheWritePrice = prices.getOrDefault(PriceKind.CACHE_WRITE, inputPrice);
    BigDecimal reasoningPrice = prices.getOrDefault(PriceKind.REASONING, outputPrice);

    long uncached = Math.max(0, call.inputTokens() - call.cacheReadTokens() - call.cacheWriteTokens());
    long reasoning = Math.min(call.reasoningTokens(), call.outputTokens());
    long plainOutput = call.outputTokens() - reasoning;

    return new Cost(
        times(uncached, inputPrice),
        times(call.cacheReadTokens(), cacheReadPrice),
        times(call.cacheWriteTokens(), cacheWritePrice),
        times(plainOutput, outputPrice).add(times(reasoning, reasoningPrice)));
  }

  /** Base prices, then the highest long-context tier exceeded, then the service tier. */
  static Map<String, BigDecimal> effectivePrices(PriceCard card, long inputTokens, String serviceTier) {
    Map<String, BigDecimal> prices = card.prices();
    PriceTier applied = null;
    for (PriceTier tier : card.tiers()) { // sorted by threshold
      if (inputTokens > tier.aboveInputTokens()) {
        applied = tier;
      }
    }
    Map<String, BigDecimal> service = serviceTier == null ? null : card.serviceTiers().get(serviceTier);
    if (applied == null && service == null) {
      return prices;
    }
    Map<String, BigDecimal> merged = new HashMap<>(prices);
    if (applied != null) {
      merged.putAll(applied.prices());
    }
    if (service != null) {
      merged.putAll(service);
    }
    return merged;
  }

  private static BigDecimal times(long tokens, BigDecimal price) {
    return tokens == 0 ? BigDecimal.ZERO : price.multiply(BigDecimal.valueOf(tokens));
  }
}
