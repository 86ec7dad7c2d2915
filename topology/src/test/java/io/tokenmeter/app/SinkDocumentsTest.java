package io.tokenmeter.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.proto.trace.v1.TracesData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.tokenmeter.metrics.MetricsJson;
import io.tokenmeter.pricing.PriceCard;
import io.tokenmeter.testing.SdkSpans;
import io.tokenmeter.testing.TopologyHarness;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.KeyValue;
import org.junit.jupiter.api.Test;

/** llm-span-docs from the production topology: layout, redaction, and sampling that metrics never see. */
class SinkDocumentsTest {
  private static final Instant END = Instant.parse("2025-09-15T10:00:30Z");
  private static final String SENTINEL = "SENTINEL-secret-4c1d";
  private static final ObjectMapper JSON = new ObjectMapper();

  private static TopologyHarness harness(Map<String, String> extra) {
    Map<String, String> s = new java.util.HashMap<>(Map.of(TokenmeterConfig.SINK_DOCS_ENABLED, "true"));
    s.putAll(extra);
    TopologyHarness h = new TopologyHarness(s);
    h.publish(new PriceCard("doc-model", "acme", "chat", "USD", null, "t",
        Map.of("input", new BigDecimal("0.000001"), "output", new BigDecimal("0.000002")), null, null, null));
    return h;
  }

  private static List<SpanData> workload(SdkSpans sdk, int n) {
    List<SpanData> out = new java.util.ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(sdk.span("chat doc-model", Attributes.builder().put("gen_ai.provider.name", "acme")
          .put("gen_ai.request.model", "doc-model").put("gen_ai.usage.input_tokens", 1000 + i)
          .put("gen_ai.usage.output_tokens", 10).put("gen_ai.input.messages", "[{\"content\":\"" + SENTINEL + "\"}]")
          .put("gen_ai.prompt.0.content", SENTINEL).put("input.value", SENTINEL).build(), END));
    }
    return out;
  }

  @Test
  void shouldWriteOneOpenSearchDocumentPerSpanKeyedByDocumentId() throws Exception {
    try (TopologyHarness h = harness(Map.of()); SdkSpans sdk = new SdkSpans("doc-service")) {
      List<SpanData> spans = workload(sdk, 3);
      h.otlp.pipeInput(null, SdkSpans.otlp(spans));

      List<KeyValue<String, byte[]>> docs = h.docs.readKeyValuesToList();

      assertThat(docs).extracting(kv -> kv.key)
          .containsExactlyInAnyOrderElementsOf(spans.stream().map(s -> s.getTraceId() + "/" + s.getSpanId()).toList());
      JsonNode first = JSON.readTree(docs.get(0).value);
      assertThat(first.get("serviceName").asText()).isEqualTo("doc-service");
      assertThat(first.get("parentSpanId").asText()).isEmpty();
      assertThat(first.get("span.attributes.gen_ai@cost@status").asText()).isEqualTo("priced");
      assertThat(first.get("span.attributes.gen_ai@cost@total_usd").isDouble()).isTrue();
      assertThat(first.get("durationInNanos").asLong()).isEqualTo(750_000_000L);
    }
  }

  @Test
  void shouldWriteTheElasticLayoutWhenConfigured() throws Exception {
    try (TopologyHarness h = harness(Map.of(TokenmeterConfig.SINK_FORMAT, "elastic")); SdkSpans sdk = new SdkSpans("doc-service")) {
      h.otlp.pipeInput(null, SdkSpans.otlp(workload(sdk, 1)));

      JsonNode doc = JSON.readTree(h.docs.readValue());

      assertThat(doc.get("data_stream").get("dataset").asText()).isEqualTo("tokenmeter.otel");
      assertThat(doc.get("attributes").get("gen_ai.cost.total_usd").asDouble()).isEqualTo(0.00102); // 1000 * 0.000001 + 10 * 0.000002
    }
  }

  @Test
  void shouldDropPromptAndCompletionContentFromEverySinkOutput() {
    try (TopologyHarness h = harness(Map.of()); SdkSpans sdk = new SdkSpans("doc-service")) {
      h.otlp.pipeInput(null, SdkSpans.otlp(workload(sdk, 5)));

      String docs = String.join("\n", h.docs.readValuesToList().stream().map(b -> new String(b, StandardCharsets.UTF_8)).toList());
      List<TracesData> enriched = h.enriched.readValuesToList();

      assertThat(docs).isNotEmpty().doesNotContain(SENTINEL);
      assertThat(enriched).isNotEmpty().allSatisfy(td -> assertThat(td.toByteString().toStringUtf8()).doesNotContain(SENTINEL));
    }
  }

  @Test
  void shouldKeepContentThatIsAllowListed() {
    try (TopologyHarness h = harness(Map.of(TokenmeterConfig.SINK_CONTENT_ALLOW, "gen_ai.input.messages"));
         SdkSpans sdk = new SdkSpans("doc-service")) {
      h.otlp.pipeInput(null, SdkSpans.otlp(workload(sdk, 1)));

      String enriched = h.enriched.readValue().toByteString().toStringUtf8();

      assertThat(enriched).contains("gen_ai.input.messages").doesNotContain("gen_ai.prompt.0.content");
    }
  }

  @Test
  void shouldSampleDocumentsButNeverTheMetrics() throws Exception {
    BigDecimal[] costs = new BigDecimal[2];
    int[] docCounts = new int[2];
    String[] fractions = {"1.0", "0.0"};
    for (int run = 0; run < 2; run++) {
      try (TopologyHarness h = harness(Map.of(TokenmeterConfig.SINK_SAMPLE_FRACTION, fractions[run]));
           SdkSpans sdk = new SdkSpans("doc-service")) {
        List<SpanData> spans = workload(sdk, 50);
        SpanData unpriced = sdk.span("chat other", Attributes.builder().put("gen_ai.provider.name", "acme")
            .put("gen_ai.request.model", "no-such-model").put("gen_ai.usage.input_tokens", 5).build(), END);
        h.otlp.pipeInput(null, SdkSpans.otlp(spans), END);
        h.otlp.pipeInput(null, SdkSpans.otlp(unpriced), END);
        h.driver.advanceWallClockTime(Duration.ofSeconds(2));
        SpanData tick = sdk.span("tick", Attributes.builder().put("gen_ai.provider.name", "acme")
            .put("gen_ai.request.model", "tick").build(), END.plusSeconds(3600));
        h.otlp.pipeInput(null, SdkSpans.otlp(tick), END.plusSeconds(3600));
        h.driver.advanceWallClockTime(Duration.ofSeconds(2));
        h.otlp.pipeInput(null, SdkSpans.otlp(sdk.span("GET /", Attributes.empty(), END.plusSeconds(3600))), END.plusSeconds(3600));
        h.driver.advanceWallClockTime(Duration.ofSeconds(2));

        docCounts[run] = h.docs.readValuesToList().size();
        costs[run] = BigDecimal.ZERO;
        for (byte[] m : h.metrics.readValuesToList()) {
          JsonNode n = MetricsJson.MAPPER.readTree(m);
          for (String t : List.of("input", "output", "cache_read", "cache_write")) {
            if (n.path("cost_usd").has(t)) {
              costs[run] = costs[run].add(new BigDecimal(n.path("cost_usd").get(t).asText()));
            }
          }
        }
      }
    }
    // Then with fraction 0 only the unpriced call (always kept) and the ticks remain as documents
    assertThat(docCounts[0]).isEqualTo(53);
    assertThat(docCounts[1]).isLessThan(docCounts[0]).isGreaterThanOrEqualTo(1);
    // and the metrics are the same: sum over i<50 of (1000+i)*0.000001 + 10*0.000002 = 0.05 + 0.001225 + 0.001
    assertThat(costs[0]).isEqualByComparingTo("0.052225");
    assertThat(costs[1]).isEqualByComparingTo(costs[0]);
  }
}
