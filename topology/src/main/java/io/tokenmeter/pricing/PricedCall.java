package io.tokenmeter.pricing;

import io.tokenmeter.genai.LlmCall;
import java.time.Instant;

/** An LLM call with the outcome of pricing it. {@code card} and {@code cost} are null unless priced. */
public record PricedCall(LlmCall call, Instant at, Status status, ModelResolver.Resolution resolution, PriceCard card,
    Cost cost) {

  /** {@code gen_ai.cost.status} (BRIEF section 7). */
  public enum Status {
    PRICED("priced"), UNPRICED("unpriced"), NO_USAGE("no_usage");

    private final String label;

    Status(String label) {
      this.label = label;
    }

    public String label() {
      return label;
    }
  }

  /** The provider: as the span named it, else the provider of the card that priced it. */
  public String provider() {
    if (call.provider() != null) {
      return call.provider();
    }
    return card == null ? null : io.tokenmeter.genai.Providers.canonical(card.provider());
  }

  /** The model a metric series is labelled with: the resolved catalog model, else the reported one. */
  public String modelLabel() {
    return resolution.resolved() ? resolution.model() : call.model();
  }
}
