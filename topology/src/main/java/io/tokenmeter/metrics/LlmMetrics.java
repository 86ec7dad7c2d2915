package io.tokenmeter.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.tokenmeter.genai.LlmCall;
import io.tokenmeter.pricing.Cost;
import io.tokenmeter.pricing.PricedCall;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The {@code llm_*} series of BRIEF section 7 in Micrometer, exposed by the Prometheus registry.
 * These are in-memory counters of this instance: they start from zero with the process, and a
 * task that is retried after a failure counts its records again; the exact record is the
 * {@code llm-metrics} topic. Counters add adjusted counts; the duration histogram records each
 * span round(adjusted count) times, at least once.
 */
public final class LlmMetrics {
  private static final Duration[] BUCKETS = MetricAggregate.DURATION_BUCKETS.stream()
      .map(b -> Duration.ofNanos(b.movePointRight(9).longValueExact())).toArray(Duration[]::new);

  private final MeterRegistry registry;
  /** Meter lookups by label values, cached: the registry's own lookup allocates per call. */
  private final ConcurrentHashMap<String, Counter> counters = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, Timer> timers = new ConcurrentHashMap<>();

  public LlmMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  public void record(SeriesLabels l, PricedCall priced, String errorType, long durationNanos) {
    LlmCall call = priced.call();
    double w = call.adjustedCount().doubleValue();
    counter("llm.requests", "Requests to LLMs, by outcome (adjusted for head sampling)", l, "outcome",
        call.outcome().label()).increment(w);
    if (call.outcome() == LlmCall.Outcome.ERROR) {
      counter("llm.errors", "Failed LLM requests by error type", l, "error_type", errorType).increment(w);
    }
    if (call.hasUsage()) {
      tokens(l, "input", call.inputTokens(), w);
      tokens(l, "output", call.outputTokens(), w);
      tokens(l, "cache_read", call.cacheReadTokens(), w);
      tokens(l, "cache_write", call.cacheWriteTokens(), w);
      tokens(l, "reasoning", call.reasoningTokens(), w);
    }
    if (priced.status() == PricedCall.Status.PRICED) {
      Cost c = priced.cost();
      cost(l, "input", c.input(), w);
      cost(l, "cache_read", c.cacheRead(), w);
      cost(l, "cache_write", c.cacheWrite(), w);
      cost(l, "output", c.output(), w);
    } else if (priced.status() == PricedCall.Status.UNPRICED) {
      String key = "unpriced|" + l.service() + '|' + l.provider() + '|' + l.model();
      counters.computeIfAbsent(key, k -> Counter.builder("llm.unpriced.requests")
          .description("LLM requests whose model has no price: their cost is missing from llm_cost_usd_total")
          .tags(Tags.of("service", l.service(), "provider", l.provider(), "model", l.model())).register(registry))
          .increment(w);
    }
    Timer t = timers.computeIfAbsent(l.key(), k -> Timer.builder("llm.request.duration")
        .description("Duration of LLM requests (OTel GenAI buckets)")
        .tags(series(l)).serviceLevelObjectives(BUCKETS).register(registry));
    long times = Math.max(1, Math.round(w));
    for (long i = 0; i < times; i++) {
      t.record(Math.max(0, durationNanos), TimeUnit.NANOSECONDS);
    }
  }

  private void tokens(SeriesLabels l, String type, long n, double w) {
    if (n > 0) {
      counter("llm.tokens", "Tokens by type (cache types are part of input, reasoning part of output)", l,
          "token_type", type).increment(n * w);
    }
  }

  private void cost(SeriesLabels l, String type, BigDecimal usd, double w) {
    counter("llm.cost.usd", "Cost in USD by type; the types add up to the total", l, "cost_type", type)
        .increment(usd.doubleValue() * w);
  }

  private Counter counter(String name, String description, SeriesLabels l, String extraLabel, String extraValue) {
    String key = name + '|' + l.key() + '|' + extraValue;
    Counter c = counters.get(key);
    if (c == null) {
      c = counters.computeIfAbsent(key, k -> Counter.builder(name).description(description)
          .tags(series(l).and(extraLabel, extraValue)).register(registry));
    }
    return c;
  }

  private static Tags series(SeriesLabels l) {
    Tags t = Tags.of("service", l.service(), "provider", l.provider(), "model", l.model(), "operation", l.operation());
    return t.and("feature", l.feature());
  }
}
