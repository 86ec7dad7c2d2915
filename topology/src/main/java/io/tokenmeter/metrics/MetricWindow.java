package io.tokenmeter.metrics;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonUnwrapped;

/**
 * A value of {@code llm-metrics}, keyed by {@link SeriesLabels#key()}: one series' sums over one
 * window. {@code kind} is {@code final} for the record written when the window closes, and
 * {@code late} for the contribution of spans that arrived after that; summing every record of a
 * (window, series) gives the exact total. Times are ISO-8601 UTC; every number is a decimal string.
 */
public record MetricWindow(
    @JsonProperty("window_start") String windowStart,
    @JsonProperty("window_end") String windowEnd,
    @JsonProperty("kind") String kind,
    @JsonUnwrapped MetricAggregate aggregate) {}
