package io.tokenmeter.sink;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * Which spans reach the document sink. Errors and unpriced calls are always kept; a span whose
 * cost or duration reaches a threshold is kept; of the rest, a trace-consistent {@code fraction}
 * is kept (decided from the trace id alone, so every span of a trace shares the decision). The
 * metrics never see this sampling: it applies to documents only.
 *
 * @param fraction            share of the remaining traces to keep, in [0, 1]; 1 keeps everything
 * @param keepCostAtLeastUsd  keep a span whose {@code gen_ai.cost.total_usd} is at least this
 * @param keepDurationAtLeast keep a span that lasted at least this long
 */
public record SamplingPolicy(double fraction, Optional<Double> keepCostAtLeastUsd, Optional<Duration> keepDurationAtLeast) {

    public SamplingPolicy {
        if (!(fraction >= 0.0 && fraction <= 1.0)) {
            throw new IllegalArgumentException("sampling fraction must be within [0, 1], got " + fraction);
        }
        Objects.requireNonNull(keepCostAtLeastUsd, "keepCostAtLeastUsd");
        Objects.requireNonNull(keepDurationAtLeast, "keepDurationAtLeast");
        keepCostAtLeastUsd.ifPresent(cost -> {
            if (!(cost >= 0.0) || cost.isInfinite()) {
                throw new IllegalArgumentException("cost threshold must be a finite number >= 0, got " + cost);
            }
        });
        keepDurationAtLeast.ifPresent(duration -> {
            if (duration.isNegative()) {
                throw new IllegalArgumentException("duration threshold must not be negative, got " + duration);
            }
        });
    }

    /** Keeps every span (the default). */
    public static SamplingPolicy keepAll() {
        return new SamplingPolicy(1.0, Optional.empty(), Optional.empty());
    }

    /** Keeps {@code fraction} of ordinary traces, plus errors and unpriced calls. */
    public static SamplingPolicy fraction(double fraction) {
        return new SamplingPolicy(fraction, Optional.empty(), Optional.empty());
    }

    public SamplingPolicy withKeepCostAtLeastUsd(double usd) {
        return new SamplingPolicy(fraction, Optional.of(usd), keepDurationAtLeast);
    }

    public SamplingPolicy withKeepDurationAtLeast(Duration duration) {
        return new SamplingPolicy(fraction, keepCostAtLeastUsd, Optional.of(duration));
    }

    /** True when no span can be dropped. */
    public boolean keepsEverything() {
        return fraction >= 1.0;
    }
}
