package io.tokenmeter.sink;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.proto.trace.v1.TracesData;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

class SinkSamplerTest {

    private static List<io.opentelemetry.proto.trace.v1.Span> spans(TracesData batch) {
        return batch.getResourceSpansList().stream()
                .flatMap(rs -> rs.getScopeSpansList().stream())
                .flatMap(ss -> ss.getSpansList().stream())
                .toList();
    }

    /** A trace id whose low 56 bits (the randomness) are {@code randomness}. */
    private static String traceIdWithRandomness(long randomness) {
        return String.format("%016x%016x", 0x1234L, randomness);
    }

    @Test
    void shouldKeepEverythingByDefault() {
        // Given the default policy and an ordinary call
        SinkSampler sampler = new SinkSampler(SamplingPolicy.keepAll());
        TracesData batch;
        try (SdkSpans sdk = SdkSpans.forService("svc")) {
            sdk.nextTraceId(traceIdWithRandomness(0));
            sdk.record(null, LlmCall.chat("openai", "gpt-4o", 1, 1, 0.0, 0.0));
            batch = sdk.tracesData();
        }

        // Then it is kept, even with the least randomness
        assertThat(sampler.decide(spans(batch).get(0))).isEqualTo(SinkSampler.Decision.KEEP_ALL);
    }

    @Test
    void shouldAlwaysKeepErrorsUnpricedCostlyAndSlowCallsAtFractionZero() {
        // Given a policy that samples nothing else, keeping cost >= $0.50 and duration >= 10s
        SinkSampler sampler = new SinkSampler(SamplingPolicy.fraction(0.0)
                .withKeepCostAtLeastUsd(0.5).withKeepDurationAtLeast(Duration.ofSeconds(10)));
        TracesData batch;
        try (SdkSpans sdk = SdkSpans.forService("svc")) {
            sdk.record(null, LlmCall.chat("openai", "gpt-4o", 10, 10, 0.01, 0.01).failing("429"));
            sdk.record(null, LlmCall.unpriced("acme", "house-model", 10, 10));
            sdk.record(null, LlmCall.chat("openai", "o1", 100000, 50000, 0.25, 0.25));
            sdk.record(null, LlmCall.chat("openai", "gpt-4o", 10, 10, 0.01, 0.01).lasting(Duration.ofSeconds(10)));
            sdk.record(null, LlmCall.chat("openai", "gpt-4o", 10, 10, 0.01, 0.01).lasting(Duration.ofMillis(9999)));
            sdk.record(null, LlmCall.chat("openai", "o1", 10, 10, 0.2499, 0.25));
            batch = sdk.tracesData();
        }

        // When each is decided
        List<SinkSampler.Decision> decisions = spans(batch).stream().map(sampler::decide).toList();

        // Then errors, unpriced, cost at the threshold and duration at the threshold are kept; the rest dropped
        assertThat(decisions).containsExactly(
                SinkSampler.Decision.KEEP_ERROR,
                SinkSampler.Decision.KEEP_UNPRICED,
                SinkSampler.Decision.KEEP_COST,
                SinkSampler.Decision.KEEP_DURATION,
                SinkSampler.Decision.DROP,
                SinkSampler.Decision.DROP);
    }

    @Test
    void shouldDecideOnTheLow56BitsOfTheTraceIdAgainstTheThreshold() {
        // Given a keep fraction of 1/4: threshold T = 0.75 * 2^56
        SinkSampler sampler = new SinkSampler(SamplingPolicy.fraction(0.25));
        long threshold = 3L << 54;
        assertThat(SinkSampler.threshold(0.25)).isEqualTo(threshold);
        TracesData batch;
        try (SdkSpans sdk = SdkSpans.forService("svc")) {
            for (long r : new long[] {threshold - 1, threshold, (1L << 56) - 1}) {
                sdk.nextTraceId(traceIdWithRandomness(r | 0xAB00000000000000L)); // the top byte is not randomness
                sdk.record(null, LlmCall.chat("openai", "gpt-4o", 1, 1, 0.001, 0.001));
            }
            batch = sdk.tracesData();
        }

        // Then R < T is dropped and R >= T kept
        assertThat(spans(batch).stream().map(sampler::decide).toList()).containsExactly(
                SinkSampler.Decision.DROP, SinkSampler.Decision.KEEP_SAMPLED, SinkSampler.Decision.KEEP_SAMPLED);
        assertThat(SinkSampler.threshold(0.0)).isEqualTo(1L << 56);
        assertThat(SinkSampler.threshold(1.0)).isZero();
    }

    @Test
    void shouldGiveEverySpanOfATraceTheSameDecisionAndKeepAboutTheFraction() {
        // Given 400 traces of 3 spans each with SDK-random trace ids, sampled at 30%
        SpanDocuments docs = new SpanDocuments(SinkSettings.defaults().withSampling(SamplingPolicy.fraction(0.3)));
        TracesData batch;
        try (SdkSpans sdk = SdkSpans.forService("svc")) {
            for (int t = 0; t < 400; t++) {
                Span root = sdk.startRoot("workflow", SpanKind.INTERNAL, Duration.ZERO);
                sdk.record(root, LlmCall.chat("openai", "gpt-4o-mini", 10, 10, 0.0001, 0.0001));
                sdk.record(root, LlmCall.chat("openai", "gpt-4o-mini", 10, 10, 0.0001, 0.0001));
                SdkSpans.end(root, Duration.ofSeconds(1));
            }
            batch = sdk.tracesData();
        }

        // When the batch becomes documents
        List<SpanDocument> kept = docs.fromBatch(batch);

        // Then each trace is kept whole or not at all
        Map<String, Integer> perTrace = new HashMap<>();
        kept.forEach(d -> perTrace.merge(d.id().substring(0, 32), 1, Integer::sum));
        assertThat(perTrace.values()).allMatch(n -> n == 3);
        // And about 30% of traces are kept (binomial sd ~9 traces; the bound is > 5 sd)
        assertThat(perTrace.size()).isBetween(120 - 48, 120 + 48);
    }

    @Test
    void shouldKeepAtAHigherFractionEveryTraceKeptAtALowerOne() {
        // Given random trace ids and two fractions
        SinkSampler low = new SinkSampler(SamplingPolicy.fraction(0.1));
        SinkSampler high = new SinkSampler(SamplingPolicy.fraction(0.5));
        Random random = new Random(7);
        io.opentelemetry.proto.trace.v1.Span.Builder span = OpenSearchDocumentMapperTest.protoSpan(
                "00000000000000000000000000000001", "");
        int keptLow = 0;
        for (int i = 0; i < 2000; i++) {
            byte[] id = new byte[16];
            random.nextBytes(id);
            io.opentelemetry.proto.trace.v1.Span s = span.setTraceId(com.google.protobuf.ByteString.copyFrom(id)).build();

            // When both decide
            boolean lowKeeps = low.decide(s).kept();

            // Then low implies high
            if (lowKeeps) {
                keptLow++;
                assertThat(high.decide(s).kept()).isTrue();
            }
        }
        assertThat(keptLow).isBetween(140, 260);
    }

    @Test
    void shouldRejectFractionsOutsideZeroToOne() {
        // Then invalid policies fail at construction
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> SamplingPolicy.fraction(1.5))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("[0, 1]");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> SamplingPolicy.fraction(Double.NaN))
                .isInstanceOf(IllegalArgumentException.class);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> SamplingPolicy.keepAll().withKeepCostAtLeastUsd(-1))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
