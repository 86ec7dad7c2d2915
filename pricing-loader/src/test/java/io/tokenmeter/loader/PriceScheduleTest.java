package io.tokenmeter.loader;

import static io.tokenmeter.loader.Fixtures.schedule;
import static io.tokenmeter.loader.Fixtures.catalog;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tokenmeter.pricing.LiteLlmCatalog;
import io.tokenmeter.pricing.PriceCard;
import java.nio.file.Files;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class PriceScheduleTest {
  private static final String CATALOG = """
      {"gpt-4o": {"input_cost_per_token": 2.5e-06, "output_cost_per_token": 1e-05,
                  "input_cost_per_token_batches": 1.25e-06, "litellm_provider": "openai", "mode": "chat"},
       "gpt-4o-mini": {"input_cost_per_token": 1.5e-07, "output_cost_per_token": 6e-07, "litellm_provider": "openai"},
       "gemini-2.5-pro": {"input_cost_per_token": 1.25e-06, "input_cost_per_token_above_200k_tokens": 2.5e-06,
                          "litellm_provider": "vertex_ai"},
       "whisper-1": {"input_cost_per_second": 0.0001, "litellm_provider": "openai"}}""";

  private static final Instant T = Instant.parse("2025-11-01T00:00:00Z");

  @Test
  void shouldTakeADiscountOffEveryPriceExactly() throws Exception {
    // Given 20% off OpenAI and 12.5% off Vertex
    PriceSchedule schedule = schedule(catalog(CATALOG), """
        discounts:
          - {provider: openai, percent: 20}
          - {provider: vertex_ai, percent: 12.5}
        """);

    // When the cards are priced
    PriceCard gpt = schedule.cardAt("gpt-4o", T);
    PriceCard gemini = schedule.cardAt("gemini-2.5-pro", T);

    // Then base, batch and long-context prices are discounted without rounding
    assertThat(gpt.price("input")).isEqualByComparingTo("0.000002");
    assertThat(gpt.price("output")).isEqualByComparingTo("0.000008");
    assertThat(gpt.serviceTiers().get("batch").get("input")).isEqualByComparingTo("0.000001");
    assertThat(gemini.price("input")).isEqualByComparingTo("0.00000109375");
    assertThat(gemini.tiers().get(0).prices().get("input")).isEqualByComparingTo("0.0000021875");
    assertThat(gpt.source()).contains("20% off (provider openai)");
  }

  @Test
  void shouldLetAModelDiscountWinOverItsProviderAndFollowItsSchedule() throws Exception {
    // Given 20% off OpenAI, gpt-4o-mini exempt, and gpt-4o at 30% from October
    PriceSchedule schedule = schedule(catalog(CATALOG), """
        discounts:
          - {provider: openai, percent: 20}
          - {model: gpt-4o-mini, percent: 0}
          - {model: gpt-4o, percent: 30, effective_from: 2025-10-01}
        """);

    // When / Then
    assertThat(schedule.cardAt("gpt-4o-mini", T).price("input")).isEqualByComparingTo("0.00000015");
    assertThat(schedule.cardAt("gpt-4o", Instant.parse("2025-09-30T23:59:59Z")).price("input"))
        .isEqualByComparingTo("0.000002");
    assertThat(schedule.cardAt("gpt-4o", Instant.parse("2025-10-01T00:00:00Z")).price("input"))
        .isEqualByComparingTo("0.00000175");
    assertThat(schedule.changeDates("gpt-4o")).containsExactly(Instant.parse("2025-10-01T00:00:00Z"));
    assertThat(schedule.changeDates("gpt-4o-mini")).isEmpty();
  }

  @Test
  void shouldPriceCustomModelsFromTheirDateAndCarryAliases() throws Exception {
    // Given a self-hosted model from September on, an explicit gpt-4o price from December, aliases
    PriceSchedule schedule = schedule(catalog(CATALOG), """
        models:
          my-llama: {provider: self-hosted, prices: {input: "0.0000001", output: "0.0000002"}, effective_from: 2025-09-01}
          gpt-4o: {provider: openai, prices: {input: "0.000002", output: "0.000008"}, effective_from: 2025-12-01}
        aliases:
          gpt-4o: [prod-eastus]
          my-llama: [llama]
        """);

    // When / Then the custom card applies from its date, the catalog one before
    assertThat(schedule.cardAt("my-llama", Instant.parse("2025-08-31T00:00:00Z"))).isNull();
    assertThat(schedule.cardAt("my-llama", T).price("output")).isEqualByComparingTo("0.0000002");
    assertThat(schedule.cardAt("my-llama", T).aliases()).containsExactly("llama");
    assertThat(schedule.cardAt("gpt-4o", T).price("input")).isEqualByComparingTo("0.0000025");
    assertThat(schedule.cardAt("gpt-4o", Instant.parse("2025-12-01T00:00:00Z")).price("input")).isEqualByComparingTo("0.000002");
    assertThat(schedule.cardAt("gpt-4o", T).aliases()).containsExactly("prod-eastus");
    assertThat(schedule.models()).contains("my-llama", "gpt-4o", "gemini-2.5-pro").doesNotContain("whisper-1");
  }

  @Test
  void shouldReportEveryProblemOfTheOverridesNamingItsEntry() throws Exception {
    // Given overrides with one mistake of each kind
    String yaml = """
        discounts:
          - {model: gpt-4-turbo-typo, percent: 10}
          - {model: whisper-1, percent: 10}
          - {provider: opneai, percent: 10}
          - {provider: openai, model: gpt-4o, percent: 10}
          - {provider: openai, percent: 120}
        models:
          neg: {prices: {input: "-0.000001"}}
          euro: {currency: EUR, prices: {input: "0.000001"}}
          typo: {prices: {ouput: "0.000001"}}
          permillion: {prices: {input: 2.5}}
          tiered: {prices: {input: "0.000001"}, service_tiers: {batches: {input: "0.0000005"}}}
        aliases:
          nope: [x]
          gpt-4o: [gpt-4o-mini, shared]
          gemini-2.5-pro: [shared]
        """;

    // When / Then the schedule is refused with every problem, each naming its entry
    assertThatThrownBy(() -> schedule(catalog(CATALOG), yaml))
        .isInstanceOfSatisfying(LoaderException.class, e -> {
          assertThat(e.exitCode()).isEqualTo(LoaderException.INVALID_INPUT);
          assertThat(e.problems()).containsExactlyInAnyOrder(
              "overrides.yaml: models.euro: unknown currency 'EUR' (supported: [USD])",
              "overrides.yaml: models.neg: prices.input is negative (-0.000001)",
              "overrides.yaml: models.permillion: prices.input is 2.5 USD per token, more than 1 (prices are per token, not per million)",
              "overrides.yaml: models.tiered: unknown service tier 'batches' (known: [batch, flex, priority])",
              "overrides.yaml: models.typo: prices: unknown price kind 'ouput' (known: input, output, cache_read, "
                  + "cache_write, cache_write_1h, reasoning, input_audio, output_audio)",
              "overrides.yaml: discounts[0]: unknown model 'gpt-4-turbo-typo' (not in the catalog, not under models:)",
              "overrides.yaml: discounts[1]: unknown model 'whisper-1' (the catalog has it but skipped it: no per-token price)",
              "overrides.yaml: discounts[2]: unknown provider 'opneai' (no catalog model has it)",
              "overrides.yaml: discounts[3]: name either a provider or a model",
              "overrides.yaml: discounts[4]: percent must be between 0 and 100, got 120",
              "overrides.yaml: aliases.nope: unknown model 'nope' (not in the catalog, not under models:)",
              "overrides.yaml: aliases.gpt-4o: alias 'gpt-4o-mini' is itself a model name (it would be ambiguous)",
              "overrides.yaml: aliases.gpt-4o: alias 'shared' is already an alias of 'gemini-2.5-pro'");
        });
  }

  @Test
  void shouldValidateTheShippedExampleAgainstTheSeptemberCatalog() throws Exception {
    // Given the real September snapshot and the example overrides
    LiteLlmCatalog.Result sep = Fixtures.snapshot("litellm-2025-09-01.json");
    Overrides o = Overrides.parse("overrides.yaml", Files.readAllBytes(SharedData.exampleOverrides()));

    // When the schedule is built
    PriceSchedule schedule = PriceSchedule.of(sep.cards(), sep.skipped(), o, "overrides.yaml");

    // Then the example's discounts and aliases land on the real cards
    // (gpt-4o-2024-08-06 lists at 2.5e-06: 30% off from October; azure at 10% off)
    assertThat(schedule.cardAt("gpt-4o-2024-08-06", Instant.parse("2025-10-02T00:00:00Z")).price("input"))
        .isEqualByComparingTo("0.00000175");
    assertThat(schedule.cardAt("gpt-4o-2024-08-06", Instant.parse("2025-09-02T00:00:00Z")).price("input"))
        .isEqualByComparingTo("0.0000025");
    PriceCard azure = schedule.cardAt("azure/gpt-4o-2024-08-06", T);
    assertThat(azure.price("input")).isEqualByComparingTo("0.00000225");
    assertThat(azure.aliases()).containsExactly("prod-gpt4o-eastus", "prod-gpt4o-westeurope");
    assertThat(schedule.cardAt("internal-embedder", T).mode()).isEqualTo("embedding");
  }
}
