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
  private static final String[] OUTCOMES = {"ok", "error", "truncated", "content_filter"};
  private static final String[] TOKEN_TYPES = {"input", "output", "cache_read", "cache_write", "reasoning"};
  private static final String[] COST_TYPES = {"input", "cache_read", "cache_write", "output"};

  private final MeterRegistry registry;
  /** The meters of one series, looked up once per span rather than once per counter. */
  private final ConcurrentHashMap<SeriesLabels, SeriesMeters> series = new ConcurrentHashMap<>();

  public LlmMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  /** Meters of one label set, registered on first use (counters per label value, lazily). */
  private final class SeriesMeters {
    final Tags tags;
    final Counter[] requests = new Counter[OUTCOMES.length];
    final Counter[] tokens = new Counter[TOKEN_TYPES.length];
    final Counter[] cost = new Counter[COST_TYPES.length];
    final ConcurrentHashMap<String, Counter> errors = new ConcurrentHashMap<>();
    final Timer duration;
    final SeriesLabels labels;
    volatile Counter unpriced;

    SeriesMeters(SeriesLabels l) {
      labels = l;
      tags = Tags.of("service", l.service(), "provider", l.provider(), "model", l.model(), "operation", l.operation(),
          "feature", l.feature());
      duration = Timer.builder("llm.request.duration").description("Duration of LLM requests (OTel GenAI buckets)")
          .tags(tags).serviceLevelObjectives(BUCKETS).register(registry);
    }

    Counter requests(int i) {
      Counter c = requests[i];
      if (c == null) {
        c = requests[i] = Counter.builder("llm.requests")
            .description("Requests to LLMs, by outcome (adjusted for head sampling)")
            .tags(tags.and("outcome", OUTCOMES[i])).register(registry);
      }
      return c;
    }

    Counter tokens(int i) {
      Counter c = tokens[i];
      if (c == null) {
        c = tokens[i] = Counter.builder("llm.tokens")
            .description("Tokens by type (cache types are part of input, reasoning part of output)")
            .tags(tags.and("token_type", TOKEN_TYPES[i])).register(registry);
      }
      return c;
    }

    Counter cost(int i) {
      Counter c = cost[i];
      if (c == null) {
        c = cost[i] = Counter.builder("llm.cost.usd").description("Cost in USD by type; the types add up to the total")
            .tags(tags.and("cost_type", COST_TYPES[i])).register(registry);
      }
      return c;
    }

    Counter errors(String type) {
      return errors.computeIfAbsent(type, t -> Counter.builder("llm.errors")
          .description("Failed LLM requests by error type").tags(tags.and("error_type", t)).register(registry));
    }

    Counter unpriced() {
      Counter c = unpriced;
      if (c == null) {
        c = unpriced = Counter.builder("llm.unpriced.requests")
            .description("LLM requests whose model has no price: their cost is missing from llm_cost_usd_total")
            .tags(Tags.of("service", labels.service(), "provider", labels.provider(), "model", labels.model()))
            .register(registry);
      }
      return c;
    }
  }

  // Registering the same meter twice returns the same instance, so the benign races of the lazy
  // fields above (two threads registering at once) cannot split a series.
  public void record(SeriesLabels l, PricedCall priced, String errorType, long durationNanos) {
    SeriesMeters m = series.get(l); // lock-free on the hot path; computeIfAbsent may lock the bin
    if (m == null) {
      m = series.computeIfAbsent(l, SeriesMeters::new);
    }
    LlmCall call = priced.call();
    double w = call.adjustedCount().doubleValue();
    m.requests(call.outcome().ordinal()).increment(w);
    if (call.outcome() == LlmCall.Outcome.ERROR) {
      m.errors(errorType).increment(w);
    }
    if (call.hasUsage()) {
      long[] counts = {call.inputTokens(), call.outputTokens(), call.cacheReadTokens(), call.cacheWriteTokens(),
          call.reasoningTokens()};
      for (int i = 0; i < counts.length; i++) {
        if (counts[i] > 0) {
          m.tokens(i).increment(counts[i] * w);
        }
      }
    }
    if (priced.status() == PricedCall.Status.PRICED) {
      Cost c = priced.cost();
      BigDecimal[] parts = {c.input(), c.cacheRead(), c.cacheWrite(), c.output()};
      for (int i = 0; i < parts.length; i++) {
        m.cost(i).increment(parts[i].doubleValue() * w);
      }
    } else if (priced.status() == PricedCall.Status.UNPRICED) {
      m.unpriced().increment(w);
    }
    long times = Math.max(1, Math.round(w));
    for (long i = 0; i < times; i++) {
      m.duration.record(Math.max(0, durationNanos), TimeUnit.NANOSECONDS);
    }
  }
}
