package io.tokenmeter.metrics;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.tokenmeter.genai.LlmCall;
import io.tokenmeter.pricing.Cost;
import io.tokenmeter.pricing.PricedCall;
import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The sums of one series over some spans: requests by outcome, errors by type, tokens by type,
 * cost by type, unpriced requests and the duration histogram. Every count is an adjusted count
 * (a span head-sampled with probability p adds 1/p) and every sum is an exact decimal, so partial
 * aggregates merge to exactly what one pass over all spans would give. Mutable: it is an
 * accumulator, confined to one stream thread.
 */
public final class MetricAggregate {
  /** OTel GenAI client operation duration buckets (seconds). */
  public static final List<BigDecimal> DURATION_BUCKETS = List.of(
      new BigDecimal("0.01"), new BigDecimal("0.02"), new BigDecimal("0.04"), new BigDecimal("0.08"),
      new BigDecimal("0.16"), new BigDecimal("0.32"), new BigDecimal("0.64"), new BigDecimal("1.28"),
      new BigDecimal("2.56"), new BigDecimal("5.12"), new BigDecimal("10.24"), new BigDecimal("20.48"),
      new BigDecimal("40.96"), new BigDecimal("81.92"));

  @JsonProperty("labels")
  public SeriesLabels labels;
  @JsonProperty("requests")
  public TreeMap<String, BigDecimal> requests = new TreeMap<>();
  @JsonProperty("errors")
  public TreeMap<String, BigDecimal> errors = new TreeMap<>();
  @JsonProperty("tokens")
  public TreeMap<String, BigDecimal> tokens = new TreeMap<>();
  @JsonProperty("cost_usd")
  public TreeMap<String, BigDecimal> costUsd = new TreeMap<>();
  @JsonProperty("unpriced_requests")
  public BigDecimal unpricedRequests = BigDecimal.ZERO;
  /** Non-cumulative counts per bucket, keyed by upper bound ("+Inf" last). */
  @JsonProperty("duration_buckets")
  public TreeMap<String, BigDecimal> durationBuckets = new TreeMap<>();
  @JsonProperty("duration_sum_seconds")
  public BigDecimal durationSumSeconds = BigDecimal.ZERO;
  @JsonProperty("duration_count")
  public BigDecimal durationCount = BigDecimal.ZERO;
  /** The latest span end time (epoch ms) summed in; it drives stream time at the window aggregation. */
  @JsonProperty("last_span_end_ms")
  public long lastSpanEndMs;

  public MetricAggregate() {}

  public MetricAggregate(SeriesLabels labels) {
    this.labels = labels;
  }

  /**
   * Adds one call that ended at {@code atMs} (its span end time, capped for clocks running in the
   * future); {@code errorType} is already bounded by the label limiter.
   */
  public void add(PricedCall priced, String errorType, long durationNanos, long atMs) {
    LlmCall call = priced.call();
    lastSpanEndMs = Math.max(lastSpanEndMs, atMs);
    BigDecimal w = call.adjustedCount();
    boolean unit = w.compareTo(BigDecimal.ONE) == 0;
    add(requests, call.outcome().label(), w);
    if (call.outcome() == LlmCall.Outcome.ERROR) {
      add(errors, errorType, w);
    }
    if (call.hasUsage()) {
      addTokens("input", call.inputTokens(), w, unit);
      addTokens("output", call.outputTokens(), w, unit);
      addTokens("cache_read", call.cacheReadTokens(), w, unit);
      addTokens("cache_write", call.cacheWriteTokens(), w, unit);
      addTokens("reasoning", call.reasoningTokens(), w, unit);
    }
    if (priced.status() == PricedCall.Status.PRICED) {
      Cost c = priced.cost();
      addCost("input", c.input(), w, unit);
      addCost("cache_read", c.cacheRead(), w, unit);
      addCost("cache_write", c.cacheWrite(), w, unit);
      addCost("output", c.output(), w, unit);
    } else if (priced.status() == PricedCall.Status.UNPRICED) {
      unpricedRequests = unpricedRequests.add(w);
    }
    long nanos = Math.max(0, durationNanos);
    BigDecimal seconds = BigDecimal.valueOf(nanos, 9);
    add(durationBuckets, bucketOf(nanos), w);
    durationSumSeconds = durationSumSeconds.add(unit ? seconds : seconds.multiply(w));
    durationCount = durationCount.add(w);
  }

  public MetricAggregate merge(MetricAggregate other) {
    if (labels == null) {
      labels = other.labels;
    }
    other.requests.forEach((k, v) -> add(requests, k, v));
    other.errors.forEach((k, v) -> add(errors, k, v));
    other.tokens.forEach((k, v) -> add(tokens, k, v));
    other.costUsd.forEach((k, v) -> add(costUsd, k, v));
    other.durationBuckets.forEach((k, v) -> add(durationBuckets, k, v));
    unpricedRequests = unpricedRequests.add(other.unpricedRequests);
    durationSumSeconds = durationSumSeconds.add(other.durationSumSeconds);
    durationCount = durationCount.add(other.durationCount);
    lastSpanEndMs = Math.max(lastSpanEndMs, other.lastSpanEndMs);
    return this;
  }

  /** Bucket bounds in nanoseconds (exact: every bound has at most 9 decimals) and as Prometheus writes {@code le}. */
  private static final long[] BUCKET_NANOS = DURATION_BUCKETS.stream()
      .mapToLong(b -> b.movePointRight(9).longValueExact()).toArray();
  private static final String[] BUCKET_LABELS = DURATION_BUCKETS.stream()
      .map(BigDecimal::toPlainString).toArray(String[]::new);

  /** The upper bound of the bucket a duration falls in, as Prometheus writes {@code le}. */
  static String bucketOf(long nanos) {
    for (int i = 0; i < BUCKET_NANOS.length; i++) {
      if (nanos <= BUCKET_NANOS[i]) {
        return BUCKET_LABELS[i];
      }
    }
    return "+Inf";
  }

  private void addTokens(String type, long n, BigDecimal w, boolean unit) {
    if (n > 0) {
      BigDecimal count = BigDecimal.valueOf(n);
      add(tokens, type, unit ? count : count.multiply(w));
    }
  }

  private void addCost(String type, BigDecimal usd, BigDecimal w, boolean unit) {
    add(costUsd, type, unit ? usd : usd.multiply(w));
  }

  private static void add(Map<String, BigDecimal> m, String k, BigDecimal v) {
    m.merge(k, v, BigDecimal::add);
  }

  /** The total cost, the sum of the four cost types. */
  public BigDecimal totalCostUsd() {
    return costUsd.values().stream().reduce(BigDecimal.ZERO, BigDecimal::add);
  }
}
