package io.tokenmeter.pricing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.time.Instant;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class LiteLlmCatalogTest {

  private static Map<String, PriceCard> load(String file) throws Exception {
    try (InputStream in = Files.newInputStream(SharedData.pricing(file))) {
      return LiteLlmCatalog.read(in, "litellm test", PriceCard.BEGINNING_OF_TIME).cards().stream()
          .collect(Collectors.toMap(PriceCard::model, Function.identity()));
    }
  }

  @Test
  void shouldMapBaseCacheAndBatchPricesOfGpt4o() throws Exception {
    // Given the August snapshot, gpt-4o-2024-08-06 has input 2.5e-06, output 1e-05,
    // cache read 1.25e-06 and batch prices 1.25e-06 / 5e-06.
    PriceCard card = load("litellm-2025-08-07.json").get("gpt-4o-2024-08-06");

    assertThat(card.provider()).isEqualTo("openai");
    assertThat(card.price(PriceKind.INPUT)).isEqualByComparingTo("0.0000025");
    assertThat(card.price(PriceKind.OUTPUT)).isEqualByComparingTo("0.00001");
    assertThat(card.price(PriceKind.CACHE_READ)).isEqualByComparingTo("0.00000125");
    assertThat(card.serviceTiers().get("batch"))
        .containsEntry(PriceKind.INPUT, new BigDecimal("0.00000125"))
        .containsEntry(PriceKind.OUTPUT, new BigDecimal("0.000005"));
  }

  @Test
  void shouldMapLongContextTiers() throws Exception {
    PriceCard card = load("litellm-2025-08-07.json").get("gemini-2.5-pro");

    assertThat(card.tiers()).hasSize(1);
    assertThat(card.tiers().get(0).aboveInputTokens()).isEqualTo(200_000L);
    assertThat(card.tiers().get(0).prices().get(PriceKind.INPUT)).isEqualByComparingTo("0.0000025");
    assertThat(card.tiers().get(0).prices().get(PriceKind.OUTPUT)).isEqualByComparingTo("0.000015");
  }

  @Test
  void shouldSkipSampleSpecAndEntriesWithoutTokenPrices() throws Exception {
    // Given the documentation entry LiteLLM ships, an image model and a per-character model
    String json = """
        {"sample_spec": {"input_cost_per_token": 0, "litellm_provider": "one of ..."},
         "dall-e-3": {"output_cost_per_image": 0.04, "litellm_provider": "openai"},
         "text-bison": {"input_cost_per_character": 2.5e-07, "litellm_provider": "vertex"},
         "m": {"input_cost_per_token": "1e-06", "litellm_provider": "p"}}""";

    LiteLlmCatalog.Result result = LiteLlmCatalog.read(
        new java.io.ByteArrayInputStream(json.getBytes(java.nio.charset.StandardCharsets.UTF_8)), "t", Instant.EPOCH);

    assertThat(result.cards()).extracting(PriceCard::model).containsExactly("m");
    assertThat(result.skipped())
        .containsEntry("sample_spec", "sample_spec (documentation entry)")
        .containsEntry("dall-e-3", "no per-token price")
        .containsEntry("text-bison", "no per-token price");
  }

  @Test
  void shouldAccountForEveryEntryOfTheRealSnapshot() throws Exception {
    try (InputStream in = Files.newInputStream(SharedData.pricing("litellm-2025-08-07.json"))) {
      LiteLlmCatalog.Result result = LiteLlmCatalog.read(in, "t", Instant.EPOCH);

      assertThat(result.cards().size() + result.skipped().size()).isEqualTo(1411);
      assertThat(result.skipped()).containsEntry("whisper-1", "no per-token price");
      assertThat(result.cards()).hasSizeGreaterThan(1000);
    }
  }

  @Test
  void shouldRoundTripCardThroughJsonUnchanged() throws Exception {
    PriceCard card = load("litellm-2025-09-01.json").get("gemini-2.5-pro");

    PriceCard back = PriceCardCodec.parse(card.key(), PriceCardCodec.toBytes(card));

    assertThat(back).isEqualTo(card);
    assertThat(PriceCardCodec.toJson(card)).contains("\"input\":\"0.00000125\"");
  }

  @Test
  void shouldMapOneHourCacheWritesIncludingTheirLongContextTier() throws Exception {
    // Given an entry shaped like LiteLLM's newer Claude entries
    String json = """
        {"claude-x": {"input_cost_per_token": 3e-06, "cache_creation_input_token_cost": 3.75e-06,
          "cache_creation_input_token_cost_above_1hr": 6e-06,
          "input_cost_per_token_above_200k_tokens": 6e-06,
          "cache_creation_input_token_cost_above_1hr_above_200k_tokens": 1.2e-05,
          "litellm_provider": "anthropic"}}""";

    // When it is mapped
    PriceCard card = LiteLlmCatalog.read(new java.io.ByteArrayInputStream(
        json.getBytes(java.nio.charset.StandardCharsets.UTF_8)), "t", Instant.EPOCH).cards().get(0);

    // Then the 1-hour price lands in cache_write_1h, base and tiered
    assertThat(card.price(PriceKind.CACHE_WRITE_1H)).isEqualByComparingTo("0.000006");
    assertThat(card.tiers().get(0).prices())
        .containsEntry(PriceKind.INPUT, new BigDecimal("0.000006"))
        .containsEntry(PriceKind.CACHE_WRITE_1H, new BigDecimal("0.000012"));
  }

  @Test
  void shouldNameTheFieldOfANonNumericPrice() throws Exception {
    // Given a per-token price that is not a number
    String json = """
        {"m": {"input_cost_per_token": "cheap", "litellm_provider": "p"},
         "n": {"output_cost_per_token": true, "litellm_provider": "p"}}""";

    // When the catalog is mapped
    LiteLlmCatalog.Result result = LiteLlmCatalog.read(new java.io.ByteArrayInputStream(
        json.getBytes(java.nio.charset.StandardCharsets.UTF_8)), "t", Instant.EPOCH);

    // Then both entries are skipped as invalid, naming the field
    assertThat(result.cards()).isEmpty();
    assertThat(result.skipped().get("m")).startsWith("invalid: non-numeric price").contains("input_cost_per_token");
    assertThat(result.skipped().get("n")).startsWith("invalid: non-numeric price").contains("output_cost_per_token");
  }
}
