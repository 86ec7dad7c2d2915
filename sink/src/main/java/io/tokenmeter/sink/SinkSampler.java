package io.tokenmeter.sink;

import com.google.protobuf.ByteString;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.Status;

/**
 * Decides which spans become documents (sink sampling). The metrics are computed upstream from
 * every span and never see this decision.
 *
 * <p>The fraction is trace-consistent in the manner of OpenTelemetry's consistent probability
 * sampling: the randomness R is the low 56 bits of the trace id (the part W3C trace context
 * level 2 declares random), the rejection threshold is T = round((1 - fraction) * 2^56), and a
 * trace is kept when R &gt;= T. Every span of a trace, on every tokenmeter instance, gets the
 * same answer; and a trace kept at fraction f is also kept at any larger fraction.
 */
public final class SinkSampler {

    /** Why a span was kept, or that it was not. */
    public enum Decision {
        KEEP_ALL,
        KEEP_ERROR,
        KEEP_UNPRICED,
        KEEP_COST,
        KEEP_DURATION,
        KEEP_SAMPLED,
        DROP;

        public boolean kept() {
            return this != DROP;
        }
    }

    static final String COST_TOTAL = "gen_ai.cost.total_usd";
    static final String COST_STATUS = "gen_ai.cost.status";
    static final long MAX_RANDOMNESS = 1L << 56;
    private static final long RANDOMNESS_MASK = MAX_RANDOMNESS - 1;

    private final SamplingPolicy policy;
    private final long threshold;
    private final double costThreshold;
    private final long durationThresholdNanos;

    public SinkSampler(SamplingPolicy policy) {
        this.policy = policy;
        this.threshold = threshold(policy.fraction());
        this.costThreshold = policy.keepCostAtLeastUsd().orElse(Double.NaN);
        this.durationThresholdNanos = policy.keepDurationAtLeast().map(d -> {
            try {
                return d.toNanos();
            } catch (ArithmeticException e) {
                return Long.MAX_VALUE;
            }
        }).orElse(-1L);
    }

    /** The rejection threshold for a keep fraction: 0 keeps all, 2^56 keeps none. */
    static long threshold(double fraction) {
        if (fraction >= 1.0) {
            return 0L;
        }
        if (fraction <= 0.0) {
            return MAX_RANDOMNESS;
        }
        return Math.round((1.0 - fraction) * MAX_RANDOMNESS);
    }

    public SamplingPolicy policy() {
        return policy;
    }

    public Decision decide(Span span) {
        if (policy.keepsEverything()) {
            return Decision.KEEP_ALL;
        }
        if (span.getStatus().getCode() == Status.StatusCode.STATUS_CODE_ERROR) {
            return Decision.KEEP_ERROR;
        }
        double cost = Double.NaN;
        for (KeyValue kv : span.getAttributesList()) {
            if (COST_STATUS.equals(kv.getKey()) && "unpriced".equals(kv.getValue().getStringValue())) {
                return Decision.KEEP_UNPRICED;
            }
            if (COST_TOTAL.equals(kv.getKey())) {
                cost = asDouble(kv.getValue());
            }
        }
        if (!Double.isNaN(costThreshold) && cost >= costThreshold) {
            return Decision.KEEP_COST;
        }
        if (durationThresholdNanos >= 0) {
            long duration = span.getEndTimeUnixNano() - span.getStartTimeUnixNano();
            if (duration >= durationThresholdNanos) {
                return Decision.KEEP_DURATION;
            }
        }
        return randomness(span.getTraceId()) >= threshold ? Decision.KEEP_SAMPLED : Decision.DROP;
    }

    /** The low 56 bits of a 16-byte trace id; 0 for a malformed id (such spans are kept only at fraction 1). */
    static long randomness(ByteString traceId) {
        if (traceId.size() != 16) {
            return 0L;
        }
        long value = 0L;
        for (int i = 8; i < 16; i++) {
            value = (value << 8) | (traceId.byteAt(i) & 0xFF);
        }
        return value & RANDOMNESS_MASK;
    }

    private static double asDouble(AnyValue value) {
        switch (value.getValueCase()) {
            case DOUBLE_VALUE:
                return value.getDoubleValue();
            case INT_VALUE:
                return value.getIntValue();
            case STRING_VALUE:
                try {
                    return Double.parseDouble(value.getStringValue().trim());
                } catch (NumberFormatException e) {
                    return Double.NaN;
                }
            default:
                return Double.NaN;
        }
    }
}
