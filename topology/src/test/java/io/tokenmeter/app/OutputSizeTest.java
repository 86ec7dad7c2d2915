package io.tokenmeter.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.proto.trace.v1.TracesData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.tokenmeter.testing.SdkSpans;
import io.tokenmeter.testing.TopologyHarness;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Enriched batches stay under the sink topic's record limit: split, never lost, never stuck. */
class OutputSizeTest {
  private static final Instant END = Instant.parse("2025-09-15T10:00:00Z");

  @Test
  void shouldSplitABatchLargerThanTheOutputLimitWithoutLosingASpan() {
    try (TopologyHarness h = new TopologyHarness(Map.of(TokenmeterConfig.MAX_OUTPUT_BYTES, "4096"));
         SdkSpans sdk = new SdkSpans("size-test")) {
      // Given a 60-span batch of about 12 KB
      List<SpanData> spans = new ArrayList<>();
      for (int i = 0; i < 60; i++) {
        spans.add(sdk.span("chat " + i, Attributes.builder().put("gen_ai.provider.name", "acme")
            .put("gen_ai.request.model", "m").put("gen_ai.usage.input_tokens", i).build(), END));
      }
      h.otlp.pipeInput("k", SdkSpans.otlp(spans));

      // Then it leaves as several records, each under the limit, holding every span once
      List<TracesData> out = h.enriched.readValuesToList();
      assertThat(out).hasSizeGreaterThan(2).allSatisfy(td -> assertThat(td.getSerializedSize()).isLessThanOrEqualTo(4096));
      List<String> ids = out.stream().flatMap(td -> td.getResourceSpansList().stream())
          .flatMap(rs -> rs.getScopeSpansList().stream()).flatMap(ss -> ss.getSpansList().stream())
          .map(s -> io.tokenmeter.otlp.OtlpIds.hex(s.getSpanId())).toList();
      assertThat(ids).containsExactlyInAnyOrderElementsOf(spans.stream().map(SpanData::getSpanId).toList());
      assertThat(out.get(0).getResourceSpans(0).getResource().getAttributesList())
          .anySatisfy(kv -> assertThat(kv.getValue().getStringValue()).isEqualTo("size-test"));
    }
  }

  @Test
  void shouldDeadLetterASpanThatCannotFitAnyRecordAndGoOn() {
    try (TopologyHarness h = new TopologyHarness(Map.of(TokenmeterConfig.MAX_OUTPUT_BYTES, "2048"));
         SdkSpans sdk = new SdkSpans("size-test")) {
      SpanData huge = sdk.span("huge", Attributes.builder().put("blob", "x".repeat(5000)).build(), END);
      SpanData small = sdk.span("small", Attributes.builder().put("http.route", "/").build(), END);

      h.otlp.pipeInput("a", SdkSpans.otlp(huge));
      h.otlp.pipeInput("b", SdkSpans.otlp(small));

      assertThat(h.health.deadLetterCount("output_too_large")).isEqualTo(1.0);
      assertThat(h.enrichedSpans()).extracting(s -> s.getName()).containsExactly("small");
    }
  }
}
