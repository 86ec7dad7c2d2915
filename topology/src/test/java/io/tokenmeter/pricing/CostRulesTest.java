package io.tokenmeter.pricing;

import static io.tokenmeter.testing.TopologyHarness.dbl;
import static io.tokenmeter.testing.TopologyHarness.str;
import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.proto.trace.v1.Span;
import io.tokenmeter.testing.SdkSpans;
import io.tokenmeter.testing.TopologyHarness;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The billing rules against hand-worked examples, priced from the real LiteLLM snapshot of
 * 2025-09-01. Each test shows the arithmetic; the cost attributes are doubles of exact decimals,
 * so equality with the decimal literal is exact.
 */
class CostRulesTest {
  private static final Instant END = Instant.parse("2025-09-10T12:00:00Z");
  private TopologyHarness harness;
  private SdkSpans sdk;

  @BeforeEach
  void setUp() {
    harness = new TopologyHarness();
    harness.loadSnapshot("litellm-2025-09-01.json", PriceCard.BEGINNING_OF_TIME);
    sdk = new SdkSpans("billing-test");
  }

  @AfterEach
  void tearDown() {
    sdk.close();
    harness.close();
  }

  private Span price(Attributes attributes) {
    harness.otlp.pipeInput(null, SdkSpans.otlp(sdk.span("chat", attributes, END)));
    return harness.onlySpan();
  }

  @Test
  void shouldBillCachedInputAtTheCacheReadPriceAndTheRestAtTheInputPrice() {
    // Given gpt-4o-2024-08-06: input 0.0000025, cache_read 0.00000125, output 0.00001 per token,
    // and 1000 input tokens of which 400 were cache hits (OpenAI counts them inside prompt tokens)
    Span span = price(Attributes.builder()
        .put("gen_ai.provider.name", "openai").put("gen_ai.request.model", "gpt-4o-2024-08-06")
        .put("gen_ai.usage.input_tokens", 1000).put("gen_ai.usage.output_tokens", 200)
        .put("gen_ai.usage.cache_read.input_tokens", 400).build());

    // Then input  = (1000 - 400) * 0.0000025 = 0.0015
    //      cache  =         400 * 0.00000125 = 0.0005
    //      output =         200 * 0.00001    = 0.002
    //      total  = 0.004
    assertThat(dbl(span, "gen_ai.cost.input_usd")).isEqualTo(0.0015);
    assertThat(dbl(span, "gen_ai.cost.cache_read_usd")).isEqualTo(0.0005);
    assertThat(dbl(span, "gen_ai.cost.output_usd")).isEqualTo(0.002);
    assertThat(dbl(span, "gen_ai.cost.cache_write_usd")).isEqualTo(0.0);
    assertThat(dbl(span, "gen_ai.cost.total_usd")).isEqualTo(0.004);
    assertThat(str(span, "gen_ai.cost.status")).isEqualTo("priced");
    assertThat(str(span, "gen_ai.cost.price_effective_from")).isEqualTo("1970-01-01T00:00:00Z");
  }

  @Test
  void shouldBillAnthropicCacheWritesAtThePremiumPrice() {
    // Given claude-3-5-sonnet-20241022: input 0.000003, cache_write 0.00000375, cache_read 0.0000003,
    // output 0.000015; OpenLLMetry reports 2000 prompt tokens including 600 read and 200 written
    Span span = price(Attributes.builder()
        .put("gen_ai.system", "Anthropic").put("gen_ai.request.model", "claude-3-5-sonnet-20241022")
        .put("gen_ai.usage.prompt_tokens", 2000).put("gen_ai.usage.completion_tokens", 400)
        .put("gen_ai.usage.cache_read_input_tokens", 600).put("gen_ai.usage.cache_creation_input_tokens", 200).build());

    // Then input  = (2000 - 600 - 200) * 0.000003   = 0.0036
    //      read   =               600 * 0.0000003  = 0.00018
    //      write  =               200 * 0.00000375 = 0.00075
    //      output =               400 * 0.000015   = 0.006
    //      total  = 0.01053
    assertThat(dbl(span, "gen_ai.cost.input_usd")).isEqualTo(0.0036);
    assertThat(dbl(span, "gen_ai.cost.cache_read_usd")).isEqualTo(0.00018);
    assertThat(dbl(span, "gen_ai.cost.cache_write_usd")).isEqualTo(0.00075);
    assertThat(dbl(span, "gen_ai.cost.output_usd")).isEqualTo(0.006);
    assertThat(dbl(span, "gen_ai.cost.total_usd")).isEqualTo(0.01053);
  }

  @Test
  void shouldAddCacheBackWhenTheInputCountClearlyExcludedIt() {
    // Given hand-rolled code that copied Anthropic's own usage: input_tokens 150 excludes the
    // 3000 cache-read tokens (cache_read > input is impossible under the OTel convention)
    Span span = price(Attributes.builder()
        .put("llm.model", "claude-sonnet-4-20250514").put("llm.prompt_tokens", 150)
        .put("llm.completion_tokens", 400).put("gen_ai.usage.cache_read_input_tokens", 3000).build());

    // Then canonical input = 150 + 3000 = 3150, and
    //      input  =  150 * 0.000003  = 0.00045
    //      read   = 3000 * 0.0000003 = 0.0009
    //      output =  400 * 0.000015  = 0.006
    //      total  = 0.00735
    assertThat(TopologyHarness.integer(span, "gen_ai.usage.input_tokens")).isEqualTo(3150L);
    assertThat(dbl(span, "gen_ai.cost.input_usd")).isEqualTo(0.00045);
    assertThat(dbl(span, "gen_ai.cost.cache_read_usd")).isEqualTo(0.0009);
    assertThat(dbl(span, "gen_ai.cost.total_usd")).isEqualTo(0.00735);
    assertThat(str(span, "gen_ai.cost.provider")).isEqualTo("anthropic");
  }

  @Test
  void shouldRepriceTheWholeRequestAboveTheLongContextTier() {
    // Given gemini-2.5-pro: 0.00000125 / 0.00001 up to 200k input tokens, 0.0000025 / 0.000015 above
    Span small = price(Attributes.builder().put("gen_ai.provider.name", "gcp.vertex_ai")
        .put("gen_ai.request.model", "gemini-2.5-pro").put("gen_ai.usage.input_tokens", 200_000)
        .put("gen_ai.usage.output_tokens", 500).build());
    Span large = price(Attributes.builder().put("gen_ai.provider.name", "gcp.vertex_ai")
        .put("gen_ai.request.model", "gemini-2.5-pro").put("gen_ai.usage.input_tokens", 210_000)
        .put("gen_ai.usage.output_tokens", 500).build());

    // Then at exactly 200k the base prices apply: 200000 * 0.00000125 + 500 * 0.00001 = 0.25 + 0.005
    assertThat(dbl(small, "gen_ai.cost.total_usd")).isEqualTo(0.255);
    // and above it every token is re-priced: 210000 * 0.0000025 + 500 * 0.000015 = 0.525 + 0.0075
    assertThat(dbl(large, "gen_ai.cost.input_usd")).isEqualTo(0.525);
    assertThat(dbl(large, "gen_ai.cost.output_usd")).isEqualTo(0.0075);
    assertThat(dbl(large, "gen_ai.cost.total_usd")).isEqualTo(0.5325);
  }

  @Test
  void shouldBillReasoningTokensInsideOutputAtTheReasoningPrice() {
    // Given a card whose reasoning price differs from its output price
    harness.publish(new PriceCard("thinker-1", "acme", "chat", "USD", PriceCard.BEGINNING_OF_TIME, "test",
        java.util.Map.of("input", new java.math.BigDecimal("0.000001"), "output", new java.math.BigDecimal("0.000004"),
            "reasoning", new java.math.BigDecimal("0.000002")), null, null, null));

    // When a call reports 1000 output tokens of which 600 were reasoning
    Span span = price(Attributes.builder().put("gen_ai.provider.name", "acme").put("gen_ai.request.model", "thinker-1")
        .put("gen_ai.usage.input_tokens", 100).put("gen_ai.usage.output_tokens", 1000)
        .put("gen_ai.usage.reasoning.output_tokens", 600).build());

    // Then output = 400 * 0.000004 + 600 * 0.000002 = 0.0016 + 0.0012 = 0.0028
    //      input  = 100 * 0.000001 = 0.0001
    assertThat(dbl(span, "gen_ai.cost.output_usd")).isEqualTo(0.0028);
    assertThat(dbl(span, "gen_ai.cost.total_usd")).isEqualTo(0.0029);
  }

  @Test
  void shouldBillReasoningAtTheRealSnapshotsReasoningPrice() {
    // Given gemini-2.5-flash: input 0.0000003, output 0.0000025, reasoning 0.0000025
    Span span = price(Attributes.builder().put("gen_ai.provider.name", "gcp.vertex_ai")
        .put("gen_ai.request.model", "gemini-2.5-flash").put("gen_ai.usage.input_tokens", 1000)
        .put("gen_ai.usage.output_tokens", 800).put("gen_ai.usage.reasoning.output_tokens", 500).build());

    // Then 1000 * 0.0000003 + 300 * 0.0000025 + 500 * 0.0000025 = 0.0003 + 0.00075 + 0.00125 = 0.0023
    assertThat(dbl(span, "gen_ai.cost.total_usd")).isEqualTo(0.0023);
  }

  @Test
  void shouldApplyTheServiceTierTheSpanNames() {
    // Given gpt-4o-mini-2024-07-18: 0.00000015 / 0.0000006, batch tier 0.000000075 / 0.0000003
    Span standard = price(Attributes.builder().put("gen_ai.provider.name", "openai")
        .put("gen_ai.request.model", "gpt-4o-mini-2024-07-18").put("gen_ai.usage.input_tokens", 10_000)
        .put("gen_ai.usage.output_tokens", 1_000).build());
    Span batch = price(Attributes.builder().put("gen_ai.provider.name", "openai")
        .put("gen_ai.request.model", "gpt-4o-mini-2024-07-18").put("gen_ai.usage.input_tokens", 10_000)
        .put("gen_ai.usage.output_tokens", 1_000).put("openai.response.service_tier", "batch").build());

    // Then standard: 10000 * 0.00000015 + 1000 * 0.0000006 = 0.0015 + 0.0006 = 0.0021
    //      batch:    10000 * 0.000000075 + 1000 * 0.0000003 = 0.00075 + 0.0003 = 0.00105
    assertThat(dbl(standard, "gen_ai.cost.total_usd")).isEqualTo(0.0021);
    assertThat(dbl(batch, "gen_ai.cost.total_usd")).isEqualTo(0.00105);
  }

  @Test
  void shouldAddUpThePartsToTheTotalExactly() {
    // Given a card and usage with every part non-zero
    PriceCard card = new PriceCard("m", "p", "chat", "USD", null, "t",
        java.util.Map.of("input", new java.math.BigDecimal("0.0000031"), "output", new java.math.BigDecimal("0.0000127"),
            "cache_read", new java.math.BigDecimal("0.00000031"), "cache_write", new java.math.BigDecimal("0.0000039")),
        null, null, null);
    io.tokenmeter.genai.LlmCall call = new io.tokenmeter.genai.LlmCall("s", "p", "m", null, "chat",
        12_345, 678, 1_000, 2_000, 0, true, false, java.util.List.of(), io.tokenmeter.genai.LlmCall.Outcome.OK,
        null, null, java.math.BigDecimal.ONE, null, "test");

    Cost cost = CostCalculator.cost(card, call);

    // Then 9345*0.0000031 + 1000*0.00000031 + 2000*0.0000039 + 678*0.0000127, exactly
    assertThat(cost.input()).isEqualByComparingTo("0.0289695");
    assertThat(cost.cacheRead()).isEqualByComparingTo("0.00031");
    assertThat(cost.cacheWrite()).isEqualByComparingTo("0.0078");
    assertThat(cost.output()).isEqualByComparingTo("0.0086106");
    assertThat(cost.total()).isEqualByComparingTo("0.0456901");
  }

  @Test
  void shouldNotPriceAVercelParentThatRepeatsItsStepsUsage() {
    // Given Vercel AI's generateText parent carrying the sum of its two steps' usage
    java.util.List<io.opentelemetry.sdk.trace.data.SpanData> trace = sdk.trace("ai.generateText",
        Attributes.builder().put("ai.operationId", "ai.generateText").put("ai.model.provider", "openai.chat")
            .put("ai.model.id", "gpt-4o-2024-08-06").put("ai.usage.promptTokens", 3000).put("ai.usage.completionTokens", 300).build(),
        END,
        java.util.List.of(
            Attributes.builder().put("ai.operationId", "ai.generateText.doGenerate").put("ai.model.provider", "openai.chat")
                .put("ai.model.id", "gpt-4o-2024-08-06").put("ai.usage.promptTokens", 1000).put("ai.usage.completionTokens", 100).build(),
            Attributes.builder().put("ai.operationId", "ai.generateText.doGenerate").put("ai.model.provider", "openai.chat")
                .put("ai.model.id", "gpt-4o-2024-08-06").put("ai.usage.promptTokens", 2000).put("ai.usage.completionTokens", 200).build()));

    harness.otlp.pipeInput(null, SdkSpans.otlp(trace));
    java.util.List<Span> spans = harness.enrichedSpans();

    // Then only the steps are priced: 3000 * 0.0000025 + 300 * 0.00001 = 0.0075 + 0.003 = 0.0105 in all
    double total = spans.stream().map(s -> dbl(s, "gen_ai.cost.total_usd")).filter(java.util.Objects::nonNull)
        .mapToDouble(Double::doubleValue).sum();
    assertThat(spans).hasSize(3);
    assertThat(spans.stream().filter(s -> "priced".equals(str(s, "gen_ai.cost.status")))).hasSize(2);
    assertThat(total).isCloseTo(0.0105, org.assertj.core.data.Offset.offset(1e-15));
    Span parent = spans.stream().filter(s -> s.getName().equals("ai.generateText")).findFirst().orElseThrow();
    assertThat(str(parent, "gen_ai.cost.status")).isNull();
  }

  @Test
  void shouldPriceAttributeValuesThatArriveAsStrings() {
    // Given Spring AI, which sends every value as a string
    Span span = price(Attributes.builder().put("gen_ai.system", "openai").put("gen_ai.operation.name", "chat")
        .put("gen_ai.request.model", "gpt-4o-mini").put("gen_ai.response.model", "gpt-4o-mini-2024-07-18")
        .put("gen_ai.usage.input_tokens", "812").put("gen_ai.usage.output_tokens", "96")
        .put("gen_ai.response.finish_reasons", "[\"STOP\"]").build());

    // Then 812 * 0.00000015 + 96 * 0.0000006 = 0.0001218 + 0.0000576 = 0.0001794
    assertThat(dbl(span, "gen_ai.cost.total_usd")).isEqualTo(0.0001794);
    assertThat(str(span, "gen_ai.cost.model_resolved")).isEqualTo("gpt-4o-mini-2024-07-18");
    // and the source's string attributes are left as they were
    assertThat(str(span, "gen_ai.usage.input_tokens")).isEqualTo("812");
  }

  @Test
  void shouldMarkSpansWithoutUsageAndUnknownModels() {
    Span noUsage = price(Attributes.builder().put("gen_ai.provider.name", "openai")
        .put("gen_ai.request.model", "gpt-4o").put("error.type", "429").build());
    Span unknown = price(Attributes.builder().put("gen_ai.provider.name", "self-hosted")
        .put("gen_ai.request.model", "acme-llm-7b").put("gen_ai.usage.input_tokens", 10).build());

    assertThat(str(noUsage, "gen_ai.cost.status")).isEqualTo("no_usage");
    assertThat(dbl(noUsage, "gen_ai.cost.total_usd")).isNull();
    assertThat(str(unknown, "gen_ai.cost.status")).isEqualTo("unpriced");
    assertThat(str(unknown, "gen_ai.cost.match")).isEqualTo("none");
    assertThat(harness.unpriced.readKeyValuesToMap())
        .containsKey("self-hosted/acme-llm-7b")
        .hasEntrySatisfying("self-hosted/acme-llm-7b", u -> {
          assertThat(u.spans()).isEqualTo(1);
          assertThat(u.services()).containsExactly("billing-test");
        });
  }
}
