package io.tokenmeter.genai;

import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.Status;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Recognises an LLM call in any of the common instrumentation dialects and reads it into one
 * {@link LlmCall} (BRIEF section 6). The attribute lists are in order of preference: the current
 * OTel GenAI convention first, then deprecated names, then the other dialects.
 */
public final class DialectNormalizer {

  static final String[] PROVIDER = {
      "gen_ai.provider.name", "gen_ai.system", "llm.provider", "llm.system", "ai.model.provider"};
  static final String[] REQUEST_MODEL = {
      "gen_ai.request.model", "llm.request.model_name", "llm.model_name", "ai.model.id", "llm.model"};
  static final String[] RESPONSE_MODEL = {
      "gen_ai.response.model", "llm.response.model_name", "ai.response.model"};
  static final String[] OPERATION = {"gen_ai.operation.name", "llm.request.type"};
  static final String[] INPUT = {
      "gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens", "llm.token_count.prompt",
      "ai.usage.inputTokens", "ai.usage.promptTokens", "llm.prompt_tokens"};
  static final String[] OUTPUT = {
      "gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens", "llm.token_count.completion",
      "ai.usage.outputTokens", "ai.usage.completionTokens", "llm.completion_tokens"};
  static final String[] CACHE_READ = {
      "gen_ai.usage.cache_read.input_tokens", "gen_ai.usage.cache_read_input_tokens",
      "llm.token_count.prompt_details.cache_read", "ai.usage.inputTokenDetails.cacheReadTokens",
      "ai.usage.cachedInputTokens", "gen_ai.usage.input_tokens_cached"};
  static final String[] CACHE_WRITE = {
      "gen_ai.usage.cache_creation.input_tokens", "gen_ai.usage.cache_creation_input_tokens",
      "llm.token_count.prompt_details.cache_write", "ai.usage.inputTokenDetails.cacheWriteTokens"};
  static final String[] REASONING = {
      "gen_ai.usage.reasoning.output_tokens", "gen_ai.usage.reasoning_tokens",
      "llm.usage.reasoning_tokens", "llm.token_count.completion_details.reasoning",
      "ai.usage.reasoningTokens"};
  static final String[] FINISH_REASONS = {
      "gen_ai.response.finish_reasons", "gen_ai.response.finish_reason", "llm.response.finish_reason",
      "llm.finish_reason", "ai.response.finishReason"};
  static final String[] ERROR_TYPE = {"error.type", "llm.error_type"};
  static final String[] SERVICE_TIER = {
      "openai.response.service_tier", "gen_ai.openai.response.service_tier",
      "openai.request.service_tier", "gen_ai.openai.request.service_tier", "gen_ai.request.service_tier"};

  /**
   * Vercel AI puts usage summed over all steps on the parent {@code ai.generateText} span as well
   * as on each {@code ai.generateText.doGenerate} step: only the steps are calls.
   */
  private static final Set<String> VERCEL_AGGREGATES = Set.of(
      "ai.generateText", "ai.streamText", "ai.generateObject", "ai.streamObject", "ai.embed", "ai.embedMany");

  private static final Set<String> TRUNCATED = Set.of("length", "max_tokens", "max_output_tokens", "model_length");
  private static final Set<String> FILTERED = Set.of("content_filter", "safety", "content-filter", "recitation",
      "prohibited_content", "blocklist", "spii", "refusal");

  private DialectNormalizer() {}

  /**
   * A span without an attribute key of these prefixes is no LLM call. The wire-level gate
   * ({@code OtlpBatch.GATE_PREFIXES}) must cover them: spans it passes as bytes are never normalised.
   */
  static final List<String> LLM_KEY_PREFIXES = List.of("gen_ai.", "llm.", "ai.", "openinference.");

  /** A cheap test over attribute keys, so that most non-LLM spans cost one pass and no map. */
  static boolean mayBeLlm(List<KeyValue> attributes) {
    for (KeyValue kv : attributes) {
      String k = kv.getKey();
      for (String prefix : LLM_KEY_PREFIXES) {
        if (k.startsWith(prefix)) {
          return true;
        }
      }
    }
    return false;
  }

  /** The call this span records, or null when it is not an LLM call. */
  public static LlmCall normalize(Span span, String service) {
    return normalize(span, service, List.of());
  }

  /**
   * The call this span records, or null when it is not an LLM call; {@code featureKeys} name the
   * attributes whose first present value becomes the call's feature.
   */
  public static LlmCall normalize(Span span, String service, List<String> featureKeys) {
    if (!mayBeLlm(span.getAttributesList())) {
      return null;
    }
    SpanAttributes a = SpanAttributes.of(span.getAttributesList());

    String operationId = a.string("ai.operationId");
    if (operationId != null && VERCEL_AGGREGATES.contains(operationId)) {
      return null;
    }
    String rawProvider = a.string(PROVIDER);
    String requestModel = a.string(REQUEST_MODEL);
    String responseModel = a.string(RESPONSE_MODEL);
    String oiKind = a.string("openinference.span.kind");
    boolean oiLlm = oiKind != null && (oiKind.equalsIgnoreCase("LLM") || oiKind.equalsIgnoreCase("EMBEDDING"));
    if (rawProvider == null && requestModel == null && responseModel == null && !oiLlm) {
      return null;
    }

    Long input = a.tokens(INPUT);
    Long output = a.tokens(OUTPUT);
    long cacheRead = orZero(a.tokens(CACHE_READ));
    long cacheWrite = orZero(a.tokens(CACHE_WRITE));
    long reasoning = orZero(a.tokens(REASONING));
    boolean hasUsage = input != null || output != null || cacheRead > 0 || cacheWrite > 0;

    long in = orZero(input);
    boolean excluded = false;
    // The OTel convention counts cache inside input; Anthropic's own API does not. When the cache
    // tokens exceed the input, the input clearly left them out: add them back.
    if (cacheRead + cacheWrite > in) {
      in = in + cacheRead + cacheWrite;
      excluded = true;
    }
    long out = orZero(output);
    if (reasoning > out) {
      out += reasoning; // same trap on the output side: reasoning belongs inside output
    }

    List<String> finishReasons = a.strings(FINISH_REASONS);
    String errorType = a.string(ERROR_TYPE);
    boolean statusError = span.getStatus().getCode() == Status.StatusCode.STATUS_CODE_ERROR;
    LlmCall.Outcome outcome;
    if (statusError || errorType != null) {
      outcome = LlmCall.Outcome.ERROR;
      if (errorType == null) {
        errorType = "_OTHER";
      }
    } else if (anyIn(finishReasons, TRUNCATED)) {
      outcome = LlmCall.Outcome.TRUNCATED;
    } else if (anyIn(finishReasons, FILTERED)) {
      outcome = LlmCall.Outcome.CONTENT_FILTER;
    } else {
      outcome = LlmCall.Outcome.OK;
    }

    String tier = a.string(SERVICE_TIER);
    return new LlmCall(
        service,
        Providers.canonical(rawProvider),
        requestModel,
        responseModel,
        operation(a, oiKind, operationId, span.getName()),
        in,
        out,
        cacheRead,
        cacheWrite,
        reasoning,
        hasUsage,
        excluded,
        finishReasons,
        outcome,
        errorType,
        tier == null ? null : tier.toLowerCase(Locale.ROOT),
        SamplingWeight.adjustedCountDecimal(span.getTraceState()),
        featureKeys.isEmpty() ? null : a.string(featureKeys.toArray(String[]::new)),
        dialect(a, operationId, oiKind));
  }

  private static String operation(SpanAttributes a, String oiKind, String operationId, String spanName) {
    String op = a.string(OPERATION);
    if (op != null) {
      return op.toLowerCase(Locale.ROOT);
    }
    if (operationId != null) {
      if (operationId.contains("embed")) {
        return "embeddings";
      }
      return operationId.contains("Object") ? "generate_content" : "chat";
    }
    if (oiKind != null) {
      return oiKind.equalsIgnoreCase("EMBEDDING") ? "embeddings" : "chat";
    }
    // The semconv span name is "{operation} {model}".
    int sp = spanName.indexOf(' ');
    String first = (sp > 0 ? spanName.substring(0, sp) : spanName).toLowerCase(Locale.ROOT);
    return switch (first) {
      case "chat", "text_completion", "embeddings", "generate_content", "execute_tool", "invoke_agent",
          "create_agent" -> first;
      default -> "chat";
    };
  }

  private static String dialect(SpanAttributes a, String operationId, String oiKind) {
    if (operationId != null) {
      return "vercel_ai";
    }
    if (oiKind != null) {
      return "openinference";
    }
    if (a.has("gen_ai.provider.name") || a.has("gen_ai.usage.input_tokens")) {
      return "otel_genai";
    }
    if (a.has("gen_ai.system")) {
      return "otel_genai_legacy";
    }
    return "custom";
  }

  private static boolean anyIn(List<String> reasons, Set<String> set) {
    for (String r : reasons) {
      if (set.contains(r.toLowerCase(Locale.ROOT))) {
        return true;
      }
    }
    return false;
  }

  private static long orZero(Long v) {
    return v == null ? 0L : v;
  }
}
