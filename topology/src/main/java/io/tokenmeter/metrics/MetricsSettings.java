package io.tokenmeter.metrics;

import java.time.Duration;
import java.util.List;
import java.util.Set;

/**
 * How the derived metrics are cut: the tumbling window and its grace for late spans, how often a
 * task hands its partial aggregates on, which labels are kept, how many distinct values a label
 * may take before the rest fold into {@value LabelLimiter#OTHER}, and the attributes that give
 * the optional {@code feature} label.
 */
public record MetricsSettings(Duration window, Duration grace, Duration flushInterval, Set<String> labels,
    int maxValuesPerLabel, List<String> featureAttributes) {

  /** The labels of BRIEF section 7 that a deployment may drop (the per-metric labels always stay). */
  public static final List<String> SERIES_LABELS = List.of("service", "provider", "model", "operation", "feature");

  public MetricsSettings {
    labels = Set.copyOf(labels);
    featureAttributes = List.copyOf(featureAttributes);
  }

  public boolean keeps(String label) {
    return labels.contains(label) && (!label.equals("feature") || !featureAttributes.isEmpty());
  }

  public static MetricsSettings defaults() {
    return new MetricsSettings(Duration.ofMinutes(1), Duration.ofMinutes(1), Duration.ofSeconds(1),
        Set.copyOf(SERIES_LABELS), 200, List.of("llm.feature", "traceloop.workflow.name", "gen_ai.agent.name"));
  }
}
