package io.tokenmeter.metrics;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * The labels every {@code llm_*} series shares (BRIEF section 7). A label the configuration drops
 * is the empty string. {@link #key()} is the Kafka key of the series in {@code llm-metrics}.
 */
public record SeriesLabels(
    @JsonProperty("service") String service,
    @JsonProperty("provider") String provider,
    @JsonProperty("model") String model,
    @JsonProperty("operation") String operation,
    @JsonProperty("feature") String feature) {

  public SeriesLabels {
    service = nz(service);
    provider = nz(provider);
    model = nz(model);
    operation = nz(operation);
    feature = nz(feature);
  }

  /** {@code service|provider|model|operation|feature}; '|' inside a value becomes '_'. */
  public String key() {
    return esc(service) + '|' + esc(provider) + '|' + esc(model) + '|' + esc(operation) + '|' + esc(feature);
  }

  private static String esc(String s) {
    return s.indexOf('|') < 0 ? s : s.replace('|', '_');
  }

  private static String nz(String s) {
    return s == null ? "" : s;
  }
}
