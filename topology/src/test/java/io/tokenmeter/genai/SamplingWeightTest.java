package io.tokenmeter.genai;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SamplingWeightTest {
  @Test
  void shouldComputeAdjustedCountFromThresholds() {
    // th:8 pads to 0x80000000000000 = 2^55: p = (2^56 - 2^55) / 2^56 = 1/2
    assertThat(SamplingWeight.adjustedCount("ot=th:8")).isEqualTo(2.0);
    // th:c -> T = 0xc0000000000000 = 3/4 * 2^56: p = 1/4
    assertThat(SamplingWeight.adjustedCount("vendor=x,ot=th:c;rv:0123456789abcd")).isEqualTo(4.0);
    // th:0 keeps everything
    assertThat(SamplingWeight.adjustedCount("ot=th:0")).isEqualTo(1.0);
  }

  @Test
  void shouldComputeExactDecimalAdjustedCounts() {
    assertThat(SamplingWeight.adjustedCountDecimal("ot=th:c")).isEqualByComparingTo("4");
    assertThat(SamplingWeight.adjustedCountDecimal("ot=p:3")).isEqualByComparingTo("8");
    assertThat(SamplingWeight.adjustedCountDecimal(null)).isEqualByComparingTo("1");
    // 10%: 2^56 / (2^56 - 0xe6666666666666) = 72057594037927936 / 7205759403792794, to 34 digits
    assertThat(SamplingWeight.adjustedCountDecimal("ot=th:e6666666666666").toPlainString())
        .isEqualTo(new java.math.BigDecimal(72057594037927936L)
            .divide(new java.math.BigDecimal(7205759403792794L), java.math.MathContext.DECIMAL128)
            .stripTrailingZeros().toPlainString())
        .startsWith("9.99999999999999");
  }

  @Test
  void shouldComputeAdjustedCountFromLegacyPValues() {
    assertThat(SamplingWeight.adjustedCount("ot=p:3")).isEqualTo(8.0);
    assertThat(SamplingWeight.adjustedCount("ot=p:0")).isEqualTo(1.0);
  }

  @Test
  void shouldTreatMissingOrMalformedTraceStateAsUnsampled() {
    assertThat(SamplingWeight.adjustedCount("")).isEqualTo(1.0);
    assertThat(SamplingWeight.adjustedCount("ot=th:zz")).isEqualTo(1.0);
    assertThat(SamplingWeight.adjustedCount("ot=th:123456789abcdef0")).isEqualTo(1.0);
    assertThat(SamplingWeight.adjustedCount("ot=p:63")).isEqualTo(1.0);
  }
}
