package io.tokenmeter.pricing;

import io.tokenmeter.genai.LlmCall;
import java.time.Instant;

/** Prices a call with the card in effect at the span's end time. */
public final class SpanPricer {
  private final PriceBook book;
  private final ModelResolver resolver;

  public SpanPricer(PriceBook book) {
    this.book = book;
    this.resolver = new ModelResolver(book);
  }

  public PricedCall price(LlmCall call, Instant at) {
    ModelResolver.Resolution r = resolver.resolve(call.provider(), call.responseModel());
    if (!r.resolved() && call.requestModel() != null) {
      r = resolver.resolve(call.provider(), call.requestModel());
    }
    if (!call.hasUsage()) {
      return new PricedCall(call, at, PricedCall.Status.NO_USAGE, r, null, null);
    }
    if (!r.resolved()) {
      return new PricedCall(call, at, PricedCall.Status.UNPRICED, r, null, null);
    }
    PriceCard card = book.cardAt(r.model(), at);
    if (card == null) {
      // The model is known, but its first card takes effect after this span ended.
      return new PricedCall(call, at, PricedCall.Status.UNPRICED, r, null, null);
    }
    return new PricedCall(call, at, PricedCall.Status.PRICED, r, card, CostCalculator.cost(card, call));
  }

  public PriceBook book() {
    return book;
  }
}
