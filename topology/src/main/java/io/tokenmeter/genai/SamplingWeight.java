package io.tokenmeter.genai;

import java.math.BigDecimal;
import java.math.MathContext;

/**
 * The adjusted count of a head-sampled span from its W3C {@code tracestate} (OTel probability
 * sampling): {@code ot=th:<hex>} gives p = (2^56 - T) / 2^56 with T the threshold padded to 14
 * hex digits; the older {@code ot=p:<n>} gives p = 2^-n. The span stands for 1/p calls.
 */
public final class SamplingWeight {
  private static final BigDecimal TWO_56_EXACT = new BigDecimal(1L << 56);
  /** 34 significant digits: far below a nano-dollar, and the same digits on every machine. */
  public static final MathContext PRECISION = MathContext.DECIMAL128;

  private SamplingWeight() {}

  /**
   * The adjusted count as a decimal, for the exact aggregates: 2^56 / (2^56 - T) rounded to 34
   * significant digits (exact when the quotient terminates), or 2^n exactly.
   */
  public static BigDecimal adjustedCountDecimal(String traceState) {
    if (traceState == null || traceState.isEmpty() || !traceState.contains("ot=")) {
      return BigDecimal.ONE;
    }
    for (String member : traceState.split(",")) {
      String m = member.trim();
      if (!m.startsWith("ot=")) {
        continue;
      }
      for (String field : m.substring(3).split(";")) {
        if (field.startsWith("th:")) {
          Long t = threshold(field.substring(3));
          if (t == null || t == 0) {
            return BigDecimal.ONE;
          }
          return TWO_56_EXACT.divide(TWO_56_EXACT.subtract(BigDecimal.valueOf(t)), PRECISION).stripTrailingZeros();
        }
        if (field.startsWith("p:")) {
          return BigDecimal.valueOf(fromPValue(field.substring(2))).stripTrailingZeros();
        }
      }
    }
    return BigDecimal.ONE;
  }

  private static Long threshold(String hex) {
    if (hex.isEmpty() || hex.length() > 14 || !hex.chars().allMatch(c -> Character.digit(c, 16) >= 0)) {
      return null;
    }
    StringBuilder padded = new StringBuilder(hex);
    while (padded.length() < 14) {
      padded.append('0');
    }
    return Long.parseLong(padded.toString(), 16);
  }

  /** The adjusted count as a double, for the Prometheus counters. */
  public static double adjustedCount(String traceState) {
    return adjustedCountDecimal(traceState).doubleValue();
  }

  static double fromPValue(String n) {
    try {
      int v = Integer.parseInt(n.trim());
      // p:63 means "never sampled"; it cannot label a span that exists.
      return v >= 0 && v < 63 ? Math.scalb(1.0, v) : 1.0;
    } catch (NumberFormatException e) {
      return 1.0;
    }
  }
}
