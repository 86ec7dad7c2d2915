package io.tokenmeter.loader;

import static io.tokenmeter.loader.Fixtures.overrides;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class OverridesTest {

  @Test
  void shouldReadTheShippedExample() throws Exception {
    // Given the commented example shipped with the module
    byte[] yaml = Files.readAllBytes(SharedData.exampleOverrides());

    // When it is parsed
    Overrides o = Overrides.parse("overrides.yaml", yaml);

    // Then every section is there, prices exact, dates as midnight UTC
    assertThat(o.discounts()).hasSize(4);
    assertThat(o.discounts().get(1).provider()).isEqualTo("openai");
    assertThat(o.discounts().get(1).effectiveFrom()).isEqualTo(Instant.parse("2025-10-01T00:00:00Z"));
    assertThat(o.models().get("my-llama-3.1-70b").prices().get("input")).isEqualByComparingTo("0.0000001");
    assertThat(o.models().get("ft:gpt-4o-mini:acme").tiers().get(0).aboveInputTokens()).isEqualTo(128_000L);
    assertThat(o.models().get("ft:gpt-4o-mini:acme").serviceTiers().get("batch").get("output"))
        .isEqualByComparingTo("0.0000006");
    assertThat(o.aliases().get("azure/gpt-4o-2024-08-06")).containsExactly("prod-gpt4o-eastus", "prod-gpt4o-westeurope");
  }

  @Test
  void shouldKeepEveryDigitOfAnUnquotedPrice() {
    // Given a price with more digits than a double holds, unquoted
    // When it is parsed
    Overrides o = overrides("models:\n  m:\n    prices: {input: 0.000000123456789012345678}\n");

    // Then no digit is lost to binary floating point
    assertThat(o.models().get("m").prices().get("input")).hasToString("1.23456789012345678E-7");
  }

  @Test
  void shouldTreatAnEmptyFileAsNoOverrides() {
    // Given an overrides file with only a comment
    // When it is parsed
    Overrides o = overrides("# nothing yet\n");

    // Then it overrides nothing
    assertThat(o.discounts()).isEmpty();
    assertThat(o.models()).isEmpty();
    assertThat(o.aliases()).isEmpty();
  }

  @Test
  void shouldNameAMisspeltFieldAndItsEntry() {
    // Given a discount whose percent is misspelt
    String yaml = """
        discounts:
          - provider: openai
            percent: 20
          - provider: azure
            percnt: 10
        """;

    // When / Then parsing fails naming the entry, the field and what was expected
    assertThatThrownBy(() -> overrides(yaml))
        .isInstanceOfSatisfying(LoaderException.class, e -> assertThat(e.exitCode()).isEqualTo(LoaderException.INVALID_INPUT))
        .hasMessageContaining("overrides.yaml: discounts[1].percnt: unknown field")
        .hasMessageContaining("percent");
  }

  @Test
  void shouldNameANonNumericPrice() {
    // Given a custom model whose price is a word
    String yaml = """
        models:
          my-llama:
            prices:
              input: cheap
        """;

    // When / Then parsing fails naming the model and the price kind
    assertThatThrownBy(() -> overrides(yaml))
        .isInstanceOf(LoaderException.class)
        .hasMessageContaining("models.my-llama.prices.input")
        .hasMessageContaining("cheap");
  }

  @Test
  void shouldReportMalformedYamlWithItsLine() {
    // Given YAML with an unclosed flow sequence on line 2
    String yaml = "aliases:\n  gpt-4o: [a, b\nmodels: {}\n";

    // When / Then parsing fails as invalid YAML, with a position
    assertThatThrownBy(() -> overrides(yaml))
        .isInstanceOfSatisfying(LoaderException.class, e -> assertThat(e.exitCode()).isEqualTo(LoaderException.INVALID_INPUT))
        .hasMessageContaining("overrides.yaml")
        .hasMessageContaining("line");
  }

  @Test
  void shouldRejectAnImpossibleDate() {
    // Given a discount dated on a day that does not exist
    String yaml = """
        discounts:
          - provider: openai
            percent: 5
            effective_from: 2025-02-30
        """;

    // When / Then the entry and the value are named
    assertThatThrownBy(() -> overrides(yaml))
        .isInstanceOf(LoaderException.class)
        .hasMessageContaining("discounts[0].effective_from")
        .hasMessageContaining("2025-02-30");
  }

  @Test
  void shouldAcceptDatesAndInstants() {
    // Given a date and an instant
    // When they are parsed
    // Then a date means midnight UTC
    assertThat(Overrides.parseInstant("2025-10-01")).isEqualTo(Instant.parse("2025-10-01T00:00:00Z"));
    assertThat(Overrides.parseInstant("2025-10-01T12:30:00Z")).isEqualTo(Instant.parse("2025-10-01T12:30:00Z"));
    assertThatThrownBy(() -> Overrides.parseInstant("October")).isInstanceOf(IllegalArgumentException.class);
  }
}
