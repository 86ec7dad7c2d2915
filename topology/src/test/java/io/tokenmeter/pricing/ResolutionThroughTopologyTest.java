package io.tokenmeter.pricing;

import static io.tokenmeter.testing.TopologyHarness.str;
import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.proto.trace.v1.Span;
import io.tokenmeter.testing.SdkSpans;
import io.tokenmeter.testing.TopologyHarness;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Every resolution rule through the production topology and the real 2025-09-01 catalog: the
 * model a span names, the catalog entry that prices it, and the rule written on the span.
 */
class ResolutionThroughTopologyTest {
  private static TopologyHarness harness;
  private static SdkSpans sdk;

  @BeforeAll
  static void setUp() {
    harness = new TopologyHarness();
    harness.loadSnapshot("litellm-2025-09-01.json", PriceCard.BEGINNING_OF_TIME);
    harness.publish(new PriceCard("gpt-4o-2024-08-06-contract", "azure", "chat", "USD", null, "overrides",
        Map.of("input", new BigDecimal("0.000002")), null, null, List.of("prod-gpt4o-eastus")));
    sdk = new SdkSpans("resolution-test");
  }

  @AfterAll
  static void tearDown() {
    sdk.close();
    harness.close();
  }

  @ParameterizedTest(name = "{0} / {1} -> {2} by {3}")
  @CsvSource({
      "openai,           gpt-4o-2024-08-06,                                         gpt-4o-2024-08-06,                          exact",
      "azure.ai.openai,  prod-gpt4o-eastus,                                         gpt-4o-2024-08-06-contract,                 alias",
      "gcp.vertex_ai,    claude-sonnet-4@20250514,                                  vertex_ai/claude-sonnet-4@20250514,         provider_qualified",
      "anthropic,        anthropic/claude-sonnet-4-20250514,                        claude-sonnet-4-20250514,                   provider_prefix",
      "gcp.gemini,       models/gemini-2.5-pro,                                     gemini-2.5-pro,                             provider_prefix",
      "aws.bedrock,      arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-5-sonnet-20241022-v2:0, us.anthropic.claude-3-5-sonnet-20241022-v2:0, bedrock_arn",
      "aws.bedrock,      global.anthropic.claude-sonnet-4-20250514-v1:0,            anthropic.claude-sonnet-4-20250514-v1:0,    bedrock_region",
      ",                 claude-sonnet-4@20250514,                                  claude-sonnet-4-20250514,                   version_suffix",
      "openai,           gpt-4o-mini-2099-01-01,                                    gpt-4o-mini,                                date_suffix",
      "openai,           GPT-4o,                                                    gpt-4o,                                     lowercase",
  })
  void shouldResolveAndExplainTheRule(String provider, String model, String resolved, String rule) {
    var attributes = Attributes.builder().put("gen_ai.request.model", model)
        .put("gen_ai.usage.input_tokens", 100).put("gen_ai.usage.output_tokens", 10);
    if (provider != null) {
      attributes.put("gen_ai.provider.name", provider);
    }
    harness.otlp.pipeInput(null, SdkSpans.otlp(sdk.span("chat", attributes.build(), Instant.parse("2025-09-10T00:00:00Z"))));

    Span span = harness.onlySpan();

    assertThat(str(span, "gen_ai.cost.model_resolved")).isEqualTo(resolved);
    assertThat(str(span, "gen_ai.cost.match")).isEqualTo(rule);
    assertThat(str(span, "gen_ai.cost.status")).isEqualTo("priced");
  }
}
