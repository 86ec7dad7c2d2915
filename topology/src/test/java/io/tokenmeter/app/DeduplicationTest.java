package io.tokenmeter.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.tokenmeter.pricing.PriceCard;
import io.tokenmeter.testing.SdkSpans;
import io.tokenmeter.testing.TopologyHarness;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A Collector retry delivers the same spans again; they must not be emitted or priced twice. */
class DeduplicationTest {
  private static final Instant T0 = Instant.parse("2025-09-15T00:00:00Z");
  private TopologyHarness harness;
  private SdkSpans sdk;

  @BeforeEach
  void setUp() {
    harness = new TopologyHarness(Map.of(TokenmeterConfig.DEDUP_WINDOW_MS, "60000"));
    harness.loadSnapshot("litellm-2025-09-01.json", PriceCard.BEGINNING_OF_TIME);
    sdk = new SdkSpans("dedup-test");
  }

  @AfterEach
  void tearDown() {
    sdk.close();
    harness.close();
  }

  private SpanData llmSpan() {
    return sdk.span("chat", Attributes.builder().put("gen_ai.provider.name", "openai")
        .put("gen_ai.request.model", "gpt-4o").put("gen_ai.usage.input_tokens", 100).build(), T0);
  }

  @Test
  void shouldDropARecordDeliveredTwiceWithinTheWindow() {
    byte[] batch = SdkSpans.otlp(llmSpan(), llmSpan());

    harness.otlp.pipeInput("t", batch, T0);
    harness.otlp.pipeInput("t", batch, T0.plusSeconds(30));

    assertThat(harness.enrichedSpans()).hasSize(2);
    assertThat(harness.health.duplicatesDropped()).isEqualTo(2.0);
  }

  @Test
  void shouldDropOnlyTheRepeatedSpansOfAPartlyRepeatedBatch() {
    SpanData a = llmSpan();
    SpanData b = llmSpan();

    harness.otlp.pipeInput("t", SdkSpans.otlp(a), T0);
    harness.otlp.pipeInput("t", SdkSpans.otlp(a, b), T0.plusSeconds(1));

    var records = harness.enrichedRecords();
    assertThat(records).hasSize(2);
    assertThat(records.get(1).value().getResourceSpans(0).getScopeSpans(0).getSpansCount()).isEqualTo(1);
    assertThat(records.get(1).value().getResourceSpans(0).getScopeSpans(0).getSpans(0).getSpanId().toByteArray())
        .isEqualTo(java.util.HexFormat.of().parseHex(b.getSpanId()));
  }

  @Test
  void shouldDropASpanRepeatedInsideOneBatch() {
    SpanData a = llmSpan();

    harness.otlp.pipeInput("t", SdkSpans.otlp(a, a), T0);

    assertThat(harness.enrichedSpans()).hasSize(1);
  }

  @Test
  void shouldEmitASpanAgainOnceTheWindowHasPassed() {
    byte[] batch = SdkSpans.otlp(llmSpan());

    harness.otlp.pipeInput("t", batch, T0);
    // advance stream time past retention so the first sighting expires
    harness.otlp.pipeInput("other", SdkSpans.otlp(llmSpan()), T0.plusSeconds(300));
    harness.otlp.pipeInput("t", batch, T0.plusSeconds(301));

    assertThat(harness.enrichedSpans()).hasSize(3);
    assertThat(harness.health.duplicatesDropped()).isEqualTo(0.0);
  }

  @Test
  void shouldKeyOutputByTraceIdWhenTheBatchHoldsOneTrace() {
    SpanData a = llmSpan();

    harness.otlp.pipeInput(null, SdkSpans.otlp(a), T0);

    assertThat(harness.enrichedRecords()).singleElement().satisfies(r -> assertThat(r.key()).isEqualTo(a.getTraceId()));
  }
}
