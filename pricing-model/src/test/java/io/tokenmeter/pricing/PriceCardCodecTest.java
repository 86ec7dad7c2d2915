package io.tokenmeter.pricing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class PriceCardCodecTest {

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void shouldParseTheBriefExampleCard() {
    String json = """
        {"model":"gpt-4o-2024-08-06","provider":"openai","mode":"chat","currency":"USD",
         "effective_from":"2025-09-01T00:00:00Z","source":"litellm 2025-09-01",
         "prices":{"input":"0.0000025","output":"0.00001","cache_read":"0.00000125"},
         "tiers":[{"above_input_tokens":200000,"prices":{"input":"0.000005","output":"0.000015"}}],
         "service_tiers":{"batch":{"input":"0.00000125","output":"0.000005"}},
         "aliases":["my-azure-deployment"]}""";

    PriceCard card = PriceCardCodec.parse("gpt-4o-2024-08-06@2025-09-01T00:00:00Z", utf8(json));

    assertThat(card.effectiveFrom()).isEqualTo(Instant.parse("2025-09-01T00:00:00Z"));
    assertThat(card.price("cache_read")).isEqualByComparingTo("0.00000125");
    assertThat(card.tiers().get(0).prices().get("output")).isEqualByComparingTo("0.000015");
    assertThat(card.aliases()).containsExactly("my-azure-deployment");
  }

  @Test
  void shouldRejectNegativeNonNumericAndForeignCurrencyNamingTheCard() {
    assertThatThrownBy(() -> PriceCardCodec.parse(null,
        utf8("{\"model\":\"m1\",\"prices\":{\"input\":\"-0.1\"}}")))
        .isInstanceOf(InvalidPriceCardException.class)
        .hasMessageContaining("'m1'").hasMessageContaining("negative");
    assertThatThrownBy(() -> PriceCardCodec.parse(null,
        utf8("{\"model\":\"m2\",\"prices\":{\"input\":\"cheap\"}}")))
        .isInstanceOf(InvalidPriceCardException.class);
    assertThatThrownBy(() -> PriceCardCodec.parse(null,
        utf8("{\"model\":\"m3\",\"currency\":\"EUR\",\"prices\":{\"input\":\"0.1\"}}")))
        .hasMessageContaining("unknown currency 'EUR'");
    assertThatThrownBy(() -> PriceCardCodec.parse(null, utf8("{not json")))
        .isInstanceOf(InvalidPriceCardException.class);
  }

  @Test
  void shouldRejectCardWhoseKeyDisagreesWithItsContent() {
    byte[] json = utf8("{\"model\":\"m\",\"effective_from\":\"2025-01-01T00:00:00Z\",\"prices\":{\"input\":\"0.1\"}}");

    assertThatThrownBy(() -> PriceCardCodec.parse("other@2025-01-01T00:00:00Z", json))
        .hasMessageContaining("key does not match");
    assertThat(PriceCardCodec.parse("m@2025-01-01T00:00:00Z", json).model()).isEqualTo("m");
  }

  @Test
  void shouldSplitKeysOnTheLastAtSign() {
    String key = PriceCardKey.of("claude-sonnet-4-5@20250929", Instant.parse("2025-10-01T00:00:00Z"));

    assertThat(key).isEqualTo("claude-sonnet-4-5@20250929@2025-10-01T00:00:00Z");
    assertThat(PriceCardKey.model(key)).isEqualTo("claude-sonnet-4-5@20250929");
  }
}
