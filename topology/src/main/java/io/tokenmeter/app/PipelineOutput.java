package io.tokenmeter.app;

import io.tokenmeter.pricing.UnpricedModel;

/** What the pricing processor emits, routed by type to its sink. */
public sealed interface PipelineOutput {
  /** The input batch, de-duplicated and enriched, as OTLP protobuf: one per input record (more when split). */
  record EnrichedBatch(byte[] data) implements PipelineOutput {}

  /** An LLM call that could not be priced, keyed {@code provider/model}. */
  record UnpricedSighting(UnpricedModel sighting) implements PipelineOutput {}

  /** A task's partial aggregate of one series over one window, keyed by series, timestamped at the window start. */
  record MetricPartial(io.tokenmeter.metrics.MetricAggregate aggregate) implements PipelineOutput {}
}
