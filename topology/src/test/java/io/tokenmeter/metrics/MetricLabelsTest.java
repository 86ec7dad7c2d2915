package io.tokenmeter.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Meter;
import io.opentelemetry.api.common.Attributes;
import io.tokenmeter.app.TokenmeterConfig;
import io.tokenmeter.testing.SdkSpans;
import io.tokenmeter.testing.TopologyHarness;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Bounded cardinality: the label allow-list and the per-label limit with overflow into _other. */
class MetricLabelsTest {
  private static final Instant END = Instant.parse("2025-09-15T10:00:00Z");

  private static void send(TopologyHarness h, SdkSpans sdk, String model) {
    h.otlp.pipeInput(null, SdkSpans.otlp(sdk.span("chat", Attributes.builder().put("gen_ai.provider.name", "acme")
        .put("gen_ai.request.model", model).put("gen_ai.usage.input_tokens", 10).build(), END)));
  }

  private static Set<String> tagValues(TopologyHarness h, String meter, String tag) {
    return h.registry.find(meter).meters().stream().map(Meter::getId).map(id -> id.getTag(tag))
        .collect(Collectors.toSet());
  }

  @Test
  void shouldFoldValuesBeyondTheLimitIntoOtherAndCountThem() {
    try (TopologyHarness h = new TopologyHarness(Map.of(TokenmeterConfig.METRICS_LABEL_MAX_VALUES, "2"));
         SdkSpans sdk = new SdkSpans("labels-test")) {
      // Given a limit of two values per label, when five models are seen
      for (String m : new String[] {"m1", "m2", "m3", "m4", "m5", "m1"}) {
        send(h, sdk, m);
      }

      // Then the first two keep their names, the rest become _other, and each fold is counted
      assertThat(tagValues(h, "llm.requests", "model")).containsExactlyInAnyOrder("m1", "m2", "_other");
      assertThat(h.health.seriesOverflowCount("model")).isEqualTo(3.0);
      assertThat(h.registry.get("llm.requests").tag("model", "_other").counter().count()).isEqualTo(3.0);
      assertThat(h.registry.get("tokenmeter.series.overflow").tag("label", "model").counter().count()).isEqualTo(3.0);
    }
  }

  @Test
  void shouldLeaveOutLabelsNotOnTheAllowList() {
    try (TopologyHarness h = new TopologyHarness(Map.of(TokenmeterConfig.METRICS_LABELS, "service,provider"));
         SdkSpans sdk = new SdkSpans("labels-test")) {
      send(h, sdk, "m1");
      send(h, sdk, "m2");

      assertThat(tagValues(h, "llm.requests", "model")).containsExactly("");
      assertThat(tagValues(h, "llm.requests", "service")).containsExactly("labels-test");
      assertThat(h.registry.get("llm.requests").tag("provider", "acme").counter().count()).isEqualTo(2.0);
    }
  }
}
