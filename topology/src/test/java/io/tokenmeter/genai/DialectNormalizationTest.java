package io.tokenmeter.genai;

import static io.tokenmeter.testing.TopologyHarness.integer;
import static io.tokenmeter.testing.TopologyHarness.str;
import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.proto.trace.v1.Span;
import io.tokenmeter.pricing.PriceCard;
import io.tokenmeter.testing.SdkSpans;
import io.tokenmeter.testing.TopologyHarness;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Each dialect of BRIEF section 6, with attribute sets as the instrumentations emit them, goes
 * through the production topology and comes out with the same canonical usage and cost status.
 */
class DialectNormalizationTest {
  private static final Instant END = Instant.parse("2025-09-10T12:00:00Z");
  private TopologyHarness harness;
  private SdkSpans sdk;

  @BeforeEach
  void setUp() {
    harness = new TopologyHarness();
    harness.loadSnapshot("litellm-2025-09-01.json", PriceCard.BEGINNING_OF_TIME);
    sdk = new SdkSpans("dialect-test");
  }

  @AfterEach
  void tearDown() {
    sdk.close();
    harness.close();
  }

  private Span through(Attributes attributes) {
    harness.otlp.pipeInput(null, SdkSpans.otlp(sdk.span("llm", attributes, END)));
    return harness.onlySpan();
  }

  @Test
  void shouldReadTheCurrentOtelGenAiConvention() {
    Span s = through(Attributes.builder()
        .put("gen_ai.provider.name", "openai").put("gen_ai.operation.name", "chat")
        .put("gen_ai.request.model", "gpt-4o").put("gen_ai.response.model", "gpt-4o-2024-08-06")
        .put("gen_ai.usage.input_tokens", 1200).put("gen_ai.usage.output_tokens", 300)
        .put("gen_ai.usage.cache_read.input_tokens", 512).put("gen_ai.usage.reasoning.output_tokens", 64)
        .put(AttributeKey.stringArrayKey("gen_ai.response.finish_reasons"), List.of("stop")).build());

    assertThat(str(s, "gen_ai.cost.status")).isEqualTo("priced");
    assertThat(str(s, "gen_ai.cost.provider")).isEqualTo("openai");
    assertThat(str(s, "gen_ai.cost.model_resolved")).isEqualTo("gpt-4o-2024-08-06");
    assertThat(str(s, "gen_ai.cost.match")).isEqualTo("exact");
    // nothing to add: the span already speaks the canonical dialect
    assertThat(integer(s, "gen_ai.usage.input_tokens")).isEqualTo(1200L);
    assertThat(TopologyHarness.attributes(s)).doesNotContainKey("gen_ai.usage.cache_read_input_tokens");
  }

  @Test
  void shouldReadOpenLlmetryWithCapitalisedSystemAndDeprecatedTokenNames() {
    Span s = through(Attributes.builder()
        .put("gen_ai.system", "Anthropic").put("llm.request.type", "chat")
        .put("gen_ai.request.model", "claude-3-5-sonnet-20241022")
        .put("gen_ai.usage.prompt_tokens", 2000).put("gen_ai.usage.completion_tokens", 400)
        .put("gen_ai.usage.cache_read_input_tokens", 600).put("gen_ai.usage.cache_creation_input_tokens", 200)
        .put("llm.usage.total_tokens", 2400).build());

    assertThat(str(s, "gen_ai.cost.provider")).isEqualTo("anthropic");
    assertThat(integer(s, "gen_ai.usage.input_tokens")).isEqualTo(2000L);
    assertThat(integer(s, "gen_ai.usage.output_tokens")).isEqualTo(400L);
    assertThat(integer(s, "gen_ai.usage.cache_read.input_tokens")).isEqualTo(600L);
    assertThat(integer(s, "gen_ai.usage.cache_creation.input_tokens")).isEqualTo(200L);
    // the source attributes stay as they were
    assertThat(integer(s, "gen_ai.usage.prompt_tokens")).isEqualTo(2000L);
  }

  @Test
  void shouldReadOpenInference() {
    Span s = through(Attributes.builder()
        .put("openinference.span.kind", "LLM").put("llm.provider", "openai").put("llm.system", "openai")
        .put("llm.model_name", "gpt-4o-mini").put("llm.token_count.prompt", 900)
        .put("llm.token_count.completion", 150).put("llm.token_count.total", 1050)
        .put("llm.token_count.prompt_details.cache_read", 128)
        .put("llm.token_count.completion_details.reasoning", 0).build());

    assertThat(str(s, "gen_ai.cost.status")).isEqualTo("priced");
    assertThat(str(s, "gen_ai.cost.model_resolved")).isEqualTo("gpt-4o-mini");
    assertThat(integer(s, "gen_ai.usage.input_tokens")).isEqualTo(900L);
    assertThat(integer(s, "gen_ai.usage.cache_read.input_tokens")).isEqualTo(128L);
    assertThat(str(s, "gen_ai.operation.name")).isNull();
  }

  @Test
  void shouldReadOpenLit() {
    Span s = through(Attributes.builder()
        .put("gen_ai.system", "openai").put("gen_ai.operation.name", "chat")
        .put("gen_ai.request.model", "gpt-4o-mini").put("gen_ai.response.model", "gpt-4o-mini-2024-07-18")
        .put("gen_ai.usage.input_tokens", 50).put("gen_ai.usage.output_tokens", 20)
        .put("gen_ai.usage.total_tokens", 70).put("gen_ai.usage.cost", 0.0000195)
        .put("gen_ai.server.address", "api.openai.com").build());

    assertThat(str(s, "gen_ai.cost.status")).isEqualTo("priced");
    assertThat(str(s, "gen_ai.cost.model_resolved")).isEqualTo("gpt-4o-mini-2024-07-18");
    // OpenLIT's own estimate is kept untouched beside ours
    assertThat(TopologyHarness.dbl(s, "gen_ai.usage.cost")).isEqualTo(0.0000195);
  }

  @Test
  void shouldReadVercelAiStepsWithProviderDotApiAndCamelCaseUsage() {
    Span s = through(Attributes.builder()
        .put("ai.operationId", "ai.generateText.doGenerate").put("ai.model.provider", "openai.chat")
        .put("ai.model.id", "gpt-4o").put("ai.usage.inputTokens", 700).put("ai.usage.outputTokens", 120)
        .put("ai.usage.cachedInputTokens", 100).put("ai.response.finishReason", "length").build());

    assertThat(str(s, "gen_ai.cost.provider")).isEqualTo("openai");
    assertThat(integer(s, "gen_ai.usage.input_tokens")).isEqualTo(700L);
    assertThat(integer(s, "gen_ai.usage.cache_read.input_tokens")).isEqualTo(100L);
    assertThat(str(s, "gen_ai.cost.status")).isEqualTo("priced");
  }

  @Test
  void shouldReadSpringAiWhoseValuesAreAllStrings() {
    Span s = through(Attributes.builder()
        .put("gen_ai.system", "openai").put("gen_ai.operation.name", "chat")
        .put("gen_ai.request.model", "gpt-4o-mini").put("gen_ai.usage.input_tokens", "812")
        .put("gen_ai.usage.output_tokens", "96").put("gen_ai.usage.total_tokens", "908")
        .put("gen_ai.response.finish_reasons", "[\"STOP\"]").build());

    assertThat(str(s, "gen_ai.cost.status")).isEqualTo("priced");
    assertThat(str(s, "gen_ai.usage.input_tokens")).isEqualTo("812");
  }

  @Test
  void shouldReadHandRolledLlmAttributes() {
    Span s = through(Attributes.builder()
        .put("llm.model", "gpt-4o-mini").put("llm.prompt_tokens", 300).put("llm.completion_tokens", 40)
        .put("llm.finish_reason", "length").build());

    assertThat(str(s, "gen_ai.cost.status")).isEqualTo("priced");
    assertThat(integer(s, "gen_ai.usage.input_tokens")).isEqualTo(300L);
    assertThat(integer(s, "gen_ai.usage.output_tokens")).isEqualTo(40L);
  }

  @Test
  void shouldReadSeed003sCachedInputName() {
    Span s = through(Attributes.builder()
        .put("gen_ai.system", "anthropic").put("gen_ai.request.model", "claude-sonnet-4-20250514")
        .put("gen_ai.usage.input_tokens", 5000).put("gen_ai.usage.output_tokens", 100)
        .put("gen_ai.usage.input_tokens_cached", 4000).build());

    assertThat(integer(s, "gen_ai.usage.cache_read.input_tokens")).isEqualTo(4000L);
    // 1000 * 0.000003 + 4000 * 0.0000003 + 100 * 0.000015 = 0.003 + 0.0012 + 0.0015
    assertThat(TopologyHarness.dbl(s, "gen_ai.cost.total_usd")).isEqualTo(0.0057);
  }

  @Test
  void shouldLeaveNonLlmSpansUntouched() {
    io.opentelemetry.sdk.trace.data.SpanData http = sdk.span("GET /health",
        Attributes.builder().put("http.request.method", "GET").put("url.path", "/health").build(), END);
    byte[] in = SdkSpans.otlp(http);

    harness.otlp.pipeInput(null, in);

    Span s = harness.onlySpan();
    assertThat(TopologyHarness.attributes(s)).containsOnlyKeys("http.request.method", "url.path");
  }

  @Test
  void shouldDeriveOutcomesFromStatusAndFinishReasons() {
    LlmCall truncated = normalize(Attributes.builder().put("gen_ai.provider.name", "openai")
        .put("gen_ai.request.model", "gpt-4o").put(AttributeKey.stringArrayKey("gen_ai.response.finish_reasons"),
            List.of("length")).build(), false);
    LlmCall filtered = normalize(Attributes.builder().put("gen_ai.system", "gcp.vertex_ai")
        .put("gen_ai.request.model", "gemini-2.5-pro").put("gen_ai.response.finish_reasons", "[\"SAFETY\"]").build(), false);
    LlmCall error = normalize(Attributes.builder().put("gen_ai.provider.name", "openai")
        .put("gen_ai.request.model", "gpt-4o").build(), true);

    assertThat(truncated.outcome()).isEqualTo(LlmCall.Outcome.TRUNCATED);
    assertThat(filtered.outcome()).isEqualTo(LlmCall.Outcome.CONTENT_FILTER);
    assertThat(error.outcome()).isEqualTo(LlmCall.Outcome.ERROR);
    assertThat(error.errorType()).isEqualTo("_OTHER");
  }

  @Test
  void shouldUndoHeadSamplingFromTheTracestate() {
    // Given a span sampled at 10% under OTel probability sampling: th = 2^56 * 0.9 = 0xe6666666666666
    io.opentelemetry.sdk.trace.data.SpanData sd = sdk.sampledSpan("chat", Attributes.builder()
        .put("gen_ai.provider.name", "openai").put("gen_ai.request.model", "gpt-4o").build(), END, "th:e6666666666666");

    LlmCall call = DialectNormalizer.normalize(decode(sd), "svc");

    // Then it stands for 2^56 / (2^56 - 0xe6666666666666) calls, 10 to 14 digits
    assertThat(call.adjustedCount().doubleValue()).isCloseTo(10.0, org.assertj.core.data.Offset.offset(1e-9));
  }

  private LlmCall normalize(Attributes a, boolean error) {
    io.opentelemetry.sdk.trace.data.SpanData sd = error ? sdk.errorSpan("chat", a, END) : sdk.span("chat", a, END);
    return DialectNormalizer.normalize(decode(sd), "svc");
  }

  private static Span decode(io.opentelemetry.sdk.trace.data.SpanData sd) {
    try {
      return io.opentelemetry.proto.trace.v1.TracesData.parseFrom(SdkSpans.otlp(sd))
          .getResourceSpans(0).getScopeSpans(0).getSpans(0);
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw new AssertionError(e);
    }
  }
}
