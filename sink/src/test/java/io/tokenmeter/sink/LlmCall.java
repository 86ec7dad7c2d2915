package io.tokenmeter.sink;

import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Test fixture: an LLM call as the tokenmeter topology leaves it on {@code llm-spans-enriched}
 * (BRIEF section 7): the instrumentation's GenAI attributes plus the enrichment
 * ({@code gen_ai.cost.*} as doubles, canonical {@code gen_ai.usage.*} as ints).
 * Immutable; each {@code with...} returns a copy.
 */
public record LlmCall(
        String spanName,
        Duration startOffset,
        Duration duration,
        String error,
        Consumer<AttributesBuilder> attributes,
        List<Event> events) {

    public record Event(String name, Attributes attributes) {
    }

    /** A priced chat call. */
    public static LlmCall chat(String provider, String model, long inputTokens, long outputTokens,
                               double inputUsd, double outputUsd) {
        return new LlmCall("chat " + model, Duration.ZERO, Duration.ofMillis(800), null, a -> a
                .put("gen_ai.operation.name", "chat")
                .put("gen_ai.provider.name", provider)
                .put("gen_ai.request.model", model)
                .put("gen_ai.response.model", model)
                .put("gen_ai.usage.input_tokens", inputTokens)
                .put("gen_ai.usage.output_tokens", outputTokens)
                .put("gen_ai.cost.input_usd", inputUsd)
                .put("gen_ai.cost.output_usd", outputUsd)
                .put("gen_ai.cost.cache_read_usd", 0.0)
                .put("gen_ai.cost.cache_write_usd", 0.0)
                .put("gen_ai.cost.total_usd", inputUsd + outputUsd)
                .put("gen_ai.cost.provider", provider)
                .put("gen_ai.cost.model_resolved", model)
                .put("gen_ai.cost.match", "exact")
                .put("gen_ai.cost.price_effective_from", "2025-09-01T00:00:00Z")
                .put("gen_ai.cost.status", "priced")
                .put("gen_ai.response.finish_reasons", new String[] {"stop"}), List.of());
    }

    /** A call of a model tokenmeter has no price for: no cost attributes, status unpriced. */
    public static LlmCall unpriced(String provider, String model, long inputTokens, long outputTokens) {
        return new LlmCall("chat " + model, Duration.ZERO, Duration.ofMillis(500), null, a -> a
                .put("gen_ai.operation.name", "chat")
                .put("gen_ai.provider.name", provider)
                .put("gen_ai.request.model", model)
                .put("gen_ai.usage.input_tokens", inputTokens)
                .put("gen_ai.usage.output_tokens", outputTokens)
                .put("gen_ai.cost.status", "unpriced"), List.of());
    }

    public LlmCall startingAt(Duration offset) {
        return new LlmCall(spanName, offset, duration, error, attributes, events);
    }

    public LlmCall lasting(Duration newDuration) {
        return new LlmCall(spanName, startOffset, newDuration, error, attributes, events);
    }

    public LlmCall failing(String message) {
        return new LlmCall(spanName, startOffset, duration, message, attributes, events);
    }

    /** More attributes, set after (so overriding) the ones already there. */
    public LlmCall with(Consumer<AttributesBuilder> more) {
        return new LlmCall(spanName, startOffset, duration, error, attributes.andThen(more), events);
    }

    /**
     * The call with {@code sentinel} in every prompt/completion attribute and content event of every
     * dialect tokenmeter knows, plus an ordinary exception event that redaction must keep.
     */
    public LlmCall withContentEverywhere(String sentinel) {
        return with(a -> a
                .put("gen_ai.input.messages", "[{\"role\":\"user\",\"content\":\"" + sentinel + "\"}]")
                .put("gen_ai.output.messages", sentinel)
                .put("gen_ai.system_instructions", sentinel)
                .put("gen_ai.tool.call.arguments", sentinel)
                .put("gen_ai.tool.call.result", sentinel)
                .put("gen_ai.prompt", sentinel)
                .put("gen_ai.prompt.0.content", sentinel)
                .put("gen_ai.prompt.0.role", "user " + sentinel)
                .put("gen_ai.completion", sentinel)
                .put("gen_ai.completion.0.content", sentinel)
                .put("llm.input_messages.0.message.content", sentinel)
                .put("llm.output_messages.0.message.content", sentinel)
                .put("llm.prompts", sentinel)
                .put("llm.prompts.0", sentinel)
                .put("input.value", sentinel)
                .put("output.value", sentinel)
                .put("ai.prompt", sentinel)
                .put("ai.prompt.messages", sentinel)
                .put("ai.response.text", sentinel)
                .put("ai.response.object", sentinel)
                .put("ai.response.toolCalls", sentinel)
                .put("ai.toolCall.args", sentinel)
                .put("ai.toolCall.result", sentinel)
                .put("traceloop.entity.input", sentinel)
                .put("traceloop.entity.output", sentinel))
                .withEvent("gen_ai.content.prompt", Attributes.builder().put("gen_ai.prompt", sentinel).build())
                .withEvent("gen_ai.content.completion", Attributes.builder().put("gen_ai.completion", sentinel).build())
                .withEvent("gen_ai.user.message", Attributes.builder().put("content", sentinel).build())
                .withEvent("gen_ai.choice", Attributes.builder().put("message", sentinel).put("index", 0L).build())
                .withEvent("gen_ai.client.inference.operation.details", Attributes.builder()
                        .put("gen_ai.input.messages", sentinel).put("gen_ai.request.model", "gpt-4o").build())
                .withEvent("exception", Attributes.builder().put("exception.type", "TimeoutError").build());
    }

    public LlmCall withEvent(String name, Attributes eventAttributes) {
        List<Event> all = new ArrayList<>(events);
        all.add(new Event(name, eventAttributes));
        return new LlmCall(spanName, startOffset, duration, error, attributes, List.copyOf(all));
    }
}
