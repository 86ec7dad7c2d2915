package io.tokenmeter.pricing;

import java.math.BigDecimal;

/**
 * The cost of one call in USD, exact. The four parts add up to {@code total}: {@code input} is
 * the uncached input only, so that cost_type labels can be summed (BRIEF section 7).
 */
public record Cost(BigDecimal input, BigDecimal cacheRead, BigDecimal cacheWrite, BigDecimal output) {
  public static final Cost ZERO = new Cost(BigDecimal.ZERO, BigDecimal.ZERO, BigDecimal.ZERO, BigDecimal.ZERO);

  public BigDecimal total() {
    return input.add(cacheRead).add(cacheWrite).add(output);
  }
}
