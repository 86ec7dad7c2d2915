package io.tokenmeter.connectors;

import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.TracesData;
import io.tokenmeter.app.TokenmeterConfig;
import io.tokenmeter.pricing.PriceCard;
import io.tokenmeter.testing.TopologyHarness;
import java.math.BigDecimal;
import io.tokenmeter.sink.LlmCall;
import io.tokenmeter.sink.SdkSpans;
import io.tokenmeter.sink.SinkFormat;
import io.tokenmeter.sink.SpanDocument;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The documents the connector tests index, and the exact figures the dashboards must show for them.
 *
 * <p>{@link #documents(SinkFormat)} is the one place documents come from: SDK-made spans go
 * through the production topology in a {@code TopologyTestDriver}, which prices them and writes
 * {@code llm-span-docs}; the expectations below are what it must compute.
 *
 * <p>Costs are multiples of 2^-10 USD so every sum is exact in binary floating point.
 */
final class SinkDocumentsSource {

    static final String SENTINEL = "SENTINEL-7f3a-do-not-index";

    // Per call: provider, model, input/output tokens, input/output USD, duration.
    static final double LLAMA_INPUT = 0.0, LLAMA_OUTPUT = 0.0;
    static final double GPT4O_A_INPUT = 0.00390625, GPT4O_A_OUTPUT = 0.001953125;
    static final double CLAUDE_INPUT = 0.01171875, CLAUDE_OUTPUT = 0.0078125;
    static final double GPT4O_B_INPUT = 0.0078125, GPT4O_B_OUTPUT = 0.00390625;
    static final double MINI_INPUT = 0.0009765625, MINI_OUTPUT = 0.0;

    /** Sum of every gen_ai.cost.total_usd: 39/1024 USD. */
    static final double TOTAL_COST = LLAMA_INPUT + LLAMA_OUTPUT + GPT4O_A_INPUT + GPT4O_A_OUTPUT + CLAUDE_INPUT
            + CLAUDE_OUTPUT + GPT4O_B_INPUT + GPT4O_B_OUTPUT + MINI_INPUT + MINI_OUTPUT;
    /** Spans with gen_ai.request.model: six calls. */
    static final long LLM_CALLS = 6;
    /** All spans: six calls plus two server roots. */
    static final long ALL_SPANS = 8;

    static final Map<String, Double> COST_BY_MODEL = Map.of(
            "claude-sonnet-4-5", CLAUDE_INPUT + CLAUDE_OUTPUT,
            "gpt-4o", GPT4O_A_INPUT + GPT4O_A_OUTPUT + GPT4O_B_INPUT + GPT4O_B_OUTPUT,
            "gpt-4o-mini", MINI_INPUT + MINI_OUTPUT,
            "llama3", 0.0);
    static final Map<String, Double> COST_BY_PROVIDER = Map.of(
            "anthropic", CLAUDE_INPUT + CLAUDE_OUTPUT,
            "openai", GPT4O_A_INPUT + GPT4O_A_OUTPUT + GPT4O_B_INPUT + GPT4O_B_OUTPUT + MINI_INPUT + MINI_OUTPUT,
            "ollama", 0.0,
            // the unpriced call carries gen_ai.cost.provider too (and no cost, so its sum is 0)
            "acme", 0.0);
    /** Request model -> {sum input, sum output} tokens. */
    static final Map<String, long[]> TOKENS_BY_MODEL = Map.of(
            "gpt-4o", new long[] {3000, 600},
            "claude-sonnet-4-5", new long[] {3000, 500},
            "house-model", new long[] {100, 20},
            "llama3", new long[] {50, 10},
            "gpt-4o-mini", new long[] {10, 0});
    /** Request model -> {average input, average output} tokens per call. */
    static final Map<String, double[]> AVG_TOKENS_BY_MODEL = Map.of(
            "gpt-4o", new double[] {1500, 300},
            "claude-sonnet-4-5", new double[] {3000, 500},
            "house-model", new double[] {100, 20},
            "llama3", new double[] {50, 10},
            "gpt-4o-mini", new double[] {10, 0});
    /** Request model -> average duration in ns. */
    static final Map<String, Double> AVG_DURATION_BY_MODEL = Map.of(
            "gpt-4o", 1.5e9, "claude-sonnet-4-5", 3e9, "house-model", 5e8, "llama3", 4e8, "gpt-4o-mini", 1e8);
    /** The most expensive calls, in order: claude, gpt-4o (2nd call), gpt-4o (1st call). */
    static final List<Double> TOP_COSTS = List.of(
            CLAUDE_INPUT + CLAUDE_OUTPUT, GPT4O_B_INPUT + GPT4O_B_OUTPUT, GPT4O_A_INPUT + GPT4O_A_OUTPUT);

    private SinkDocumentsSource() {
    }

    /** The enriched spans as one OTLP batch: what the topology writes to llm-spans-enriched for this traffic. */
    static TracesData spans() {
        try (SdkSpans sdk = SdkSpans.forService("support-bot")) {
            // Trace 1: a self-hosted model at zero cost. Its call is the first document of the batch,
            // so the first cost value an index ever sees is 0.
            io.opentelemetry.api.trace.Span summarize = sdk.startRoot("POST /summarize", SpanKind.SERVER, Duration.ZERO);
            sdk.record(summarize, LlmCall.chat("ollama", "llama3", 50, 10, LLAMA_INPUT, LLAMA_OUTPUT)
                    .startingAt(Duration.ofMillis(10)).lasting(Duration.ofMillis(400)));
            SdkSpans.end(summarize, Duration.ofMillis(500));
            // Trace 2: two calls under one request, both carrying prompt/completion content.
            io.opentelemetry.api.trace.Span answer = sdk.startRoot("POST /answer", SpanKind.SERVER, Duration.ofMinutes(1));
            sdk.record(answer, LlmCall.chat("openai", "gpt-4o", 1000, 200, GPT4O_A_INPUT, GPT4O_A_OUTPUT)
                    .startingAt(Duration.ofMinutes(1).plusMillis(10)).lasting(Duration.ofMillis(1000))
                    .withContentEverywhere(SENTINEL));
            sdk.record(answer, LlmCall.chat("anthropic", "claude-sonnet-4-5", 3000, 500, CLAUDE_INPUT, CLAUDE_OUTPUT)
                    .startingAt(Duration.ofMinutes(1).plusMillis(1100)).lasting(Duration.ofMillis(3000))
                    .withContentEverywhere(SENTINEL));
            SdkSpans.end(answer, Duration.ofMinutes(1).plusMillis(4200));
            // Traces 3-5: calls that are their own roots: another gpt-4o, an unpriced model, a failed call.
            sdk.record(null, LlmCall.chat("openai", "gpt-4o", 2000, 400, GPT4O_B_INPUT, GPT4O_B_OUTPUT)
                    .startingAt(Duration.ofMinutes(2)).lasting(Duration.ofMillis(2000)));
            sdk.record(null, LlmCall.unpriced("acme", "house-model", 100, 20)
                    .startingAt(Duration.ofMinutes(3)).lasting(Duration.ofMillis(500)));
            sdk.record(null, LlmCall.chat("openai", "gpt-4o-mini", 10, 0, MINI_INPUT, MINI_OUTPUT)
                    .startingAt(Duration.ofMinutes(4)).lasting(Duration.ofMillis(100))
                    .failing("429 Too Many Requests"));
            return sdk.tracesData();
        }
    }

    /**
     * The documents for {@code llm-span-docs} in the given layout, as the production topology
     * writes them: the SDK-made spans, without the cost attributes the fixture pre-computes, go
     * through the real topology (TopologyTestDriver, production configuration) with price cards
     * whose per-token prices give the figures above; the documents are read from its docs topic.
     */
    static List<SpanDocument> documents(SinkFormat format) {
        TracesData raw = withoutCostAttributes(spans());
        Map<String, String> settings = Map.of(
                TokenmeterConfig.SINK_DOCS_ENABLED, "true",
                TokenmeterConfig.SINK_FORMAT, format == SinkFormat.ELASTIC ? "elastic" : "opensearch");
        try (TopologyHarness topology = new TopologyHarness(settings)) {
            // input, output USD per token: the call's USD divided by its tokens (exact decimals)
            topology.publish(card("llama3", "ollama", "0", "0"));
            topology.publish(card("gpt-4o", "openai", "0.00000390625", "0.000009765625"));
            topology.publish(card("claude-sonnet-4-5", "anthropic", "0.00000390625", "0.000015625"));
            topology.publish(card("gpt-4o-mini", "openai", "0.00009765625", "0"));
            topology.otlp.pipeInput(null, raw.toByteArray());
            return topology.docs.readKeyValuesToList().stream()
                    .map(kv -> new SpanDocument(kv.key, kv.value)).toList();
        }
    }

    private static PriceCard card(String model, String provider, String input, String output) {
        return new PriceCard(model, provider, "chat", "USD", null, "connectors-it",
                Map.of("input", new BigDecimal(input), "output", new BigDecimal(output)), null, null, null);
    }

    /** What an application's instrumentation emits: the fixture's spans minus tokenmeter's attributes. */
    private static TracesData withoutCostAttributes(TracesData enriched) {
        TracesData.Builder b = enriched.toBuilder();
        for (ResourceSpans.Builder rs : b.getResourceSpansBuilderList()) {
            for (ScopeSpans.Builder ss : rs.getScopeSpansBuilderList()) {
                for (Span.Builder span : ss.getSpansBuilderList()) {
                    List<KeyValue> kept = span.getAttributesList().stream()
                            .filter(kv -> !kv.getKey().startsWith("gen_ai.cost.")).toList();
                    span.clearAttributes().addAllAttributes(kept);
                }
            }
        }
        return b.build();
    }
}
