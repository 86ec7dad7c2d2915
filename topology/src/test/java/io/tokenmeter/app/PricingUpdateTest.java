package io.tokenmeter.app;

import static io.tokenmeter.testing.TopologyHarness.dbl;
import static io.tokenmeter.testing.TopologyHarness.str;
import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.proto.trace.v1.Span;
import io.tokenmeter.pricing.PriceCard;
import io.tokenmeter.testing.SdkSpans;
import io.tokenmeter.testing.TopologyHarness;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Effective-dated prices: a span is priced with the card in effect when it ended. */
class PricingUpdateTest {
  private static final Instant CHANGE = Instant.parse("2025-09-01T00:00:00Z");
  private TopologyHarness harness;
  private SdkSpans sdk;

  @BeforeEach
  void setUp() {
    harness = new TopologyHarness();
    sdk = new SdkSpans("pricing-test");
    harness.publish(card("0.000002", PriceCard.BEGINNING_OF_TIME));
  }

  @AfterEach
  void tearDown() {
    sdk.close();
    harness.close();
  }

  private static PriceCard card(String input, Instant from) {
    return new PriceCard("acme-model", "acme", "chat", "USD", from, "test",
        Map.of("input", new BigDecimal(input), "output", new BigDecimal("0.00001")), null, null, null);
  }

  private Span spanEndingAt(Instant end) {
    harness.otlp.pipeInput(null, SdkSpans.otlp(sdk.span("chat", Attributes.builder()
        .put("gen_ai.provider.name", "acme").put("gen_ai.request.model", "acme-model")
        .put("gen_ai.usage.input_tokens", 1000).put("gen_ai.usage.output_tokens", 0).build(), end)));
    return harness.onlySpan();
  }

  @Test
  void shouldPriceEachSpanWithTheCardInEffectAtItsEndTime() {
    // Given a new price from 2025-09-01
    harness.publish(card("0.000001", CHANGE));

    // When spans end just before and at/after the change
    Span before = spanEndingAt(CHANGE.minusMillis(1));
    Span at = spanEndingAt(CHANGE);
    Span after = spanEndingAt(CHANGE.plusSeconds(3600));

    // Then 1000 * 0.000002 before, 1000 * 0.000001 from the change on
    assertThat(dbl(before, "gen_ai.cost.total_usd")).isEqualTo(0.002);
    assertThat(str(before, "gen_ai.cost.price_effective_from")).isEqualTo("1970-01-01T00:00:00Z");
    assertThat(dbl(at, "gen_ai.cost.total_usd")).isEqualTo(0.001);
    assertThat(dbl(after, "gen_ai.cost.total_usd")).isEqualTo(0.001);
    assertThat(str(after, "gen_ai.cost.price_effective_from")).isEqualTo("2025-09-01T00:00:00Z");
  }

  @Test
  void shouldKeepTheLastGoodCardWhenAnUpdateIsInvalid() {
    // Given a malformed card and a negative one for the same model
    harness.pricing.pipeInput("acme-model@2025-09-01T00:00:00Z", "{\"model\":".getBytes(StandardCharsets.UTF_8));
    harness.pricing.pipeInput("acme-model@2025-09-02T00:00:00Z",
        ("{\"model\":\"acme-model\",\"effective_from\":\"2025-09-02T00:00:00Z\",\"prices\":{\"input\":\"-1\"}}")
            .getBytes(StandardCharsets.UTF_8));

    Span s = spanEndingAt(CHANGE.plusSeconds(86400 * 3));

    // Then both are rejected and counted, and the previous price still applies
    assertThat(dbl(s, "gen_ai.cost.total_usd")).isEqualTo(0.002);
    assertThat(harness.health.priceCardsRejected()).isEqualTo(2.0);
  }

  @Test
  void shouldRetractACardOnATombstone() {
    harness.publish(card("0.000001", CHANGE));
    harness.pricing.pipeInput(card("0.000001", CHANGE).key(), null);

    Span s = spanEndingAt(CHANGE.plusSeconds(60));

    assertThat(dbl(s, "gen_ai.cost.total_usd")).isEqualTo(0.002);
    assertThat(harness.priceBook.size()).isEqualTo(1);
  }

  @Test
  void shouldRepriceOldSpansWithOldPricesOnReplay() {
    harness.publish(card("0.000001", CHANGE));

    List<Double> costs = List.of(spanEndingAt(Instant.parse("2025-08-15T00:00:00Z")),
        spanEndingAt(Instant.parse("2025-08-15T00:00:00Z"))).stream().map(s -> dbl(s, "gen_ai.cost.total_usd")).toList();

    assertThat(costs).containsOnly(0.002);
  }
}
