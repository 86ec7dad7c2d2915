package io.tokenmeter.genai;

import java.math.BigDecimal;
import java.util.List;

/**
 * One LLM call in canonical form, whatever dialect the span spoke (BRIEF section 6). Token counts
 * follow the OTel convention: {@code inputTokens} includes cache reads and writes,
 * {@code outputTokens} includes reasoning.
 *
 * @param hasUsage          the span carried token counts (else {@code gen_ai.cost.status=no_usage})
 * @param inputExcludedCache the source's input count left cache tokens out and was corrected
 * @param adjustedCount      how many calls this span stands for (1 / head-sampling probability)
 * @param feature            the value of the first configured feature attribute present, or null
 */
public record LlmCall(
    String service,
    String provider,
    String requestModel,
    String responseModel,
    String operation,
    long inputTokens,
    long outputTokens,
    long cacheReadTokens,
    long cacheWriteTokens,
    long reasoningTokens,
    boolean hasUsage,
    boolean inputExcludedCache,
    List<String> finishReasons,
    Outcome outcome,
    String errorType,
    String serviceTier,
    BigDecimal adjustedCount,
    String feature,
    String dialect) {

  /** Outcome label of {@code llm_requests_total} (BRIEF section 7). */
  public enum Outcome {
    OK("ok"), ERROR("error"), TRUNCATED("truncated"), CONTENT_FILTER("content_filter");

    private final String label;

    Outcome(String label) {
      this.label = label;
    }

    public String label() {
      return label;
    }
  }

  /** The model to price: the one that answered when known, else the one asked for. */
  public String model() {
    return responseModel != null ? responseModel : requestModel;
  }
}
