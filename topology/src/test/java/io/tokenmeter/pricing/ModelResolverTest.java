package io.tokenmeter.pricing;

import static org.assertj.core.api.Assertions.assertThat;

import io.tokenmeter.testing.SharedData;
import java.io.InputStream;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Each resolution rule against the real catalog, and the properties that make it trustworthy. */
class ModelResolverTest {
  private static final PriceBook BOOK = new PriceBook();

  @BeforeAll
  static void loadCatalog() throws Exception {
    try (InputStream in = Files.newInputStream(SharedData.pricing("litellm-2025-09-01.json"))) {
      LiteLlmCatalog.read(in, "t", PriceCard.BEGINNING_OF_TIME).cards().forEach(c -> BOOK.put(c, 0));
    }
    BOOK.put(new PriceCard("gpt-4o-2024-08-06-custom", "azure", "chat", "USD", null, "overrides",
        Map.of("input", new BigDecimal("0.000002")), null, null, List.of("my-azure-deployment")), 0);
  }

  private static ModelResolver.Resolution resolve(String provider, String name) {
    return new ModelResolver(BOOK).resolve(provider, name);
  }

  @Test
  void shouldMatchExactCatalogKeys() {
    assertThat(resolve("openai", "gpt-4o-2024-08-06")).isEqualTo(new ModelResolver.Resolution("gpt-4o-2024-08-06", "exact"));
  }

  @Test
  void shouldMatchAliases() {
    assertThat(resolve("azure.ai.openai", "my-azure-deployment"))
        .isEqualTo(new ModelResolver.Resolution("gpt-4o-2024-08-06-custom", "alias"));
    assertThat(resolve("azure.ai.openai", "azure/my-azure-deployment"))
        .isEqualTo(new ModelResolver.Resolution("gpt-4o-2024-08-06-custom", "provider_prefix+alias"));
  }

  @Test
  void shouldStripProviderPrefixesTheCatalogDoesNotHave() {
    // (the catalog has some openai/ keys, which match exactly; this one it has not)
    assertThat(resolve("openai", "openai/gpt-4o")).isEqualTo(new ModelResolver.Resolution("openai/gpt-4o", "exact"));
    assertThat(resolve(null, "anthropic/claude-sonnet-4-20250514"))
        .isEqualTo(new ModelResolver.Resolution("claude-sonnet-4-20250514", "provider_prefix"));
    assertThat(resolve("gcp.gemini", "models/gemini-2.5-pro"))
        .isEqualTo(new ModelResolver.Resolution("gemini-2.5-pro", "provider_prefix"));
  }

  @Test
  void shouldQualifyByProviderWhereTheCatalogUsesAPrefix() {
    assertThat(resolve("gcp.vertex_ai", "claude-sonnet-4@20250514"))
        .isEqualTo(new ModelResolver.Resolution("vertex_ai/claude-sonnet-4@20250514", "provider_qualified"));
  }

  @Test
  void shouldStripBedrockRegionPrefixesAndArns() {
    assertThat(resolve("aws.bedrock", "global.anthropic.claude-sonnet-4-20250514-v1:0"))
        .isEqualTo(new ModelResolver.Resolution("anthropic.claude-sonnet-4-20250514-v1:0", "bedrock_region"));
    assertThat(resolve("aws.bedrock", "jp.anthropic.claude-3-5-sonnet-20241022-v2:0"))
        .isEqualTo(new ModelResolver.Resolution("anthropic.claude-3-5-sonnet-20241022-v2:0", "bedrock_region"));
    assertThat(resolve("aws.bedrock",
        "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-5-sonnet-20241022-v2:0"))
        .isEqualTo(new ModelResolver.Resolution("us.anthropic.claude-3-5-sonnet-20241022-v2:0", "bedrock_arn"));
    assertThat(resolve("aws.bedrock",
        "arn:aws:bedrock:eu-west-1:123456789012:inference-profile/global.anthropic.claude-sonnet-4-20250514-v1:0"))
        .isEqualTo(new ModelResolver.Resolution("anthropic.claude-sonnet-4-20250514-v1:0", "bedrock_arn+bedrock_region"));
  }

  @Test
  void shouldRewriteVertexVersionSuffixesAndDropReleaseDates() {
    assertThat(resolve(null, "claude-sonnet-4@20250514"))
        .isEqualTo(new ModelResolver.Resolution("claude-sonnet-4-20250514", "version_suffix"));
    assertThat(resolve("openai", "gpt-4o-mini-2099-01-01"))
        .isEqualTo(new ModelResolver.Resolution("gpt-4o-mini", "date_suffix"));
    assertThat(resolve("openai", "GPT-4o")).isEqualTo(new ModelResolver.Resolution("gpt-4o", "lowercase"));
  }

  @Test
  void shouldResolveUnknownNamesToNothing() {
    assertThat(resolve("self-hosted", "acme-llm-7b").resolved()).isFalse();
    assertThat(resolve("x", "a".repeat(5000)).resolved()).isFalse();
  }

  @Test
  void shouldBeDeterministicAndCached() {
    ModelResolver resolver = new ModelResolver(BOOK);
    ModelResolver.Resolution first = resolver.resolve("aws.bedrock", "us.anthropic.claude-3-5-sonnet-20241022-v2:0");

    for (int i = 0; i < 5; i++) {
      assertThat(resolver.resolve("aws.bedrock", "us.anthropic.claude-3-5-sonnet-20241022-v2:0")).isSameAs(first);
      assertThat(new ModelResolver(BOOK).resolve("aws.bedrock", "us.anthropic.claude-3-5-sonnet-20241022-v2:0"))
          .isEqualTo(first);
    }
  }
}
