package io.tokenmeter.metrics;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonUnwrapped;

/**
 * A value of {@code llm-metrics}: one series' aggregate over one closed window, keyed by
 * {@link SeriesLabels#key()}. Written once per window and series, when the window closes.
 * Times are ISO-8601 UTC; every number is a decimal string (exact).
 */
public record MetricWindow(
    @JsonProperty("window_start") String windowStart,
    @JsonProperty("window_end") String windowEnd,
    @JsonUnwrapped MetricAggregate aggregate) {}
