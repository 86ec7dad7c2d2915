package io.tokenmeter.pricing;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.ArrayList;
import java.util.List;

/**
 * A (provider, model) seen without a price: the value of {@code llm-unpriced-models}, keyed
 * {@code provider/model}. Times are epoch milliseconds of span end times; {@code spans} counts
 * spans, {@code requests} adjusted counts (head sampling undone).
 */
public record UnpricedModel(
    @JsonProperty("provider") String provider,
    @JsonProperty("model") String model,
    @JsonProperty("first_seen_ms") long firstSeenMs,
    @JsonProperty("last_seen_ms") long lastSeenMs,
    @JsonProperty("spans") long spans,
    @JsonProperty("requests") double requests,
    @JsonProperty("services") List<String> services) {

  /** At most this many service names are kept: enough to find the owner, bounded for hostile input. */
  public static final int MAX_SERVICES = 20;

  public static UnpricedModel sighting(String provider, String model, String service, long atMs, double requests) {
    return new UnpricedModel(provider, model, atMs, atMs, 1, requests, service == null ? List.of() : List.of(service));
  }

  public static String key(String provider, String model) {
    return (provider == null ? "unknown" : provider) + "/" + model;
  }

  public UnpricedModel merge(UnpricedModel s) {
    List<String> svc = new ArrayList<>(services);
    for (String x : s.services) {
      if (!svc.contains(x) && svc.size() < MAX_SERVICES) {
        svc.add(x);
      }
    }
    return new UnpricedModel(provider != null ? provider : s.provider, model != null ? model : s.model,
        spans == 0 ? s.firstSeenMs : Math.min(firstSeenMs, s.firstSeenMs), Math.max(lastSeenMs, s.lastSeenMs),
        spans + s.spans, requests + s.requests, List.copyOf(svc));
  }

  public static UnpricedModel empty() {
    return new UnpricedModel(null, null, 0, 0, 0, 0, List.of());
  }
}
