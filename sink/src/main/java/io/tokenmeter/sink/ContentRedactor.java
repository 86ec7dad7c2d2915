package io.tokenmeter.sink;

import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.Span;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Drops prompt and completion content from spans before they become documents. Covers the
 * dialects tokenmeter normalises (OTel GenAI, OpenLLMetry, OpenInference, Vercel AI, Traceloop):
 * content attributes on the span and on its events, and every attribute of the GenAI content
 * events ({@code gen_ai.content.prompt}, {@code gen_ai.content.completion}, {@code gen_ai.*.message},
 * {@code gen_ai.choice}). An allow-list of glob patterns ({@code *} = any run of characters)
 * matched against attribute keys, or against event names for content events, turns content back on.
 */
public final class ContentRedactor {

    /** Attribute keys (glob patterns) that carry prompt or completion content. */
    public static final List<String> CONTENT_ATTRIBUTES = List.of(
            "gen_ai.input.messages",
            "gen_ai.output.messages",
            "gen_ai.system_instructions",
            "gen_ai.tool.call.arguments",
            "gen_ai.tool.call.result",
            "gen_ai.prompt",
            "gen_ai.prompt.*",
            "gen_ai.completion",
            "gen_ai.completion.*",
            "llm.input_messages.*",
            "llm.output_messages.*",
            "llm.prompts*",
            "input.value",
            "output.value",
            "ai.prompt",
            "ai.prompt.*",
            "ai.response.text",
            "ai.response.object",
            "ai.response.toolCalls",
            "ai.toolCall.args",
            "ai.toolCall.result",
            "traceloop.entity.input",
            "traceloop.entity.output");

    /** Span event names (glob patterns) whose attributes are all content. */
    public static final List<String> CONTENT_EVENTS = List.of(
            "gen_ai.content.prompt",
            "gen_ai.content.completion",
            "gen_ai.*.message",
            "gen_ai.choice");

    private static final ContentRedactor DROP_ALL = new ContentRedactor(List.of());

    private final Pattern contentAttributes = globs(CONTENT_ATTRIBUTES);
    private final Pattern contentEvents = globs(CONTENT_EVENTS);
    private final Pattern allowed;
    private static final int MAX_CACHED_DECISIONS = 10_000;
    private final java.util.concurrent.ConcurrentHashMap<String, Boolean> decisions =
            new java.util.concurrent.ConcurrentHashMap<>();

    private ContentRedactor(List<String> allowList) {
        this.allowed = allowList.isEmpty() ? null : globs(allowList);
    }

    /** Drops all content. */
    public static ContentRedactor dropAll() {
        return DROP_ALL;
    }

    /** Drops content except what matches one of the glob patterns. */
    public static ContentRedactor allowing(List<String> allowList) {
        return allowList.isEmpty() ? DROP_ALL : new ContentRedactor(List.copyOf(allowList));
    }

    /** True when an attribute with this key is content that this redactor drops. */
    public boolean dropsAttribute(String key) {
        // Attribute keys repeat across spans: decide each key once (bounded, for hostile input).
        Boolean cached = decisions.get(key);
        if (cached == null) {
            cached = contentAttributes.matcher(key).matches() && !isAllowed(key);
            if (decisions.size() < MAX_CACHED_DECISIONS) {
                decisions.put(key, cached);
            }
        }
        return cached;
    }

    /** True when an event of this name is a content event whose attributes this redactor drops. */
    public boolean dropsEventAttributes(String eventName, String key) {
        if (contentEvents.matcher(eventName).matches()) {
            return !isAllowed(eventName) && !isAllowed(key);
        }
        return dropsAttribute(key);
    }

    /** The span without its content attributes (span and event level); the same instance when nothing is dropped. */
    public Span redact(Span span) {
        if (!needsRedaction(span)) {
            return span; // the common case: no allocation
        }
        boolean changed = false;
        List<KeyValue> attributes = span.getAttributesList();
        List<KeyValue> keptAttributes = new ArrayList<>(attributes.size());
        for (KeyValue kv : attributes) {
            if (dropsAttribute(kv.getKey())) {
                changed = true;
            } else {
                keptAttributes.add(kv);
            }
        }
        List<Span.Event> events = span.getEventsList();
        List<Span.Event> keptEvents = new ArrayList<>(events.size());
        for (Span.Event event : events) {
            List<KeyValue> eventAttributes = event.getAttributesList();
            List<KeyValue> keptEventAttributes = new ArrayList<>(eventAttributes.size());
            for (KeyValue kv : eventAttributes) {
                if (!dropsEventAttributes(event.getName(), kv.getKey())) {
                    keptEventAttributes.add(kv);
                }
            }
            if (keptEventAttributes.size() == eventAttributes.size()) {
                keptEvents.add(event);
            } else {
                changed = true;
                keptEvents.add(event.toBuilder().clearAttributes().addAllAttributes(keptEventAttributes).build());
            }
        }
        if (!changed) {
            return span;
        }
        return span.toBuilder()
                .clearAttributes().addAllAttributes(keptAttributes)
                .clearEvents().addAllEvents(keptEvents)
                .build();
    }

    private boolean needsRedaction(Span span) {
        for (KeyValue kv : span.getAttributesList()) {
            if (dropsAttribute(kv.getKey())) {
                return true;
            }
        }
        for (Span.Event event : span.getEventsList()) {
            for (KeyValue kv : event.getAttributesList()) {
                if (dropsEventAttributes(event.getName(), kv.getKey())) {
                    return true;
                }
            }
        }
        return false;
    }

    private boolean isAllowed(String name) {
        return allowed != null && allowed.matcher(name).matches();
    }

    static Pattern globs(List<String> globs) {
        StringBuilder regex = new StringBuilder();
        for (String glob : globs) {
            if (regex.length() > 0) {
                regex.append('|');
            }
            regex.append("(?:");
            int start = 0;
            for (int star = glob.indexOf('*'); star >= 0; star = glob.indexOf('*', start)) {
                regex.append(Pattern.quote(glob.substring(start, star))).append(".*");
                start = star + 1;
            }
            regex.append(Pattern.quote(glob.substring(start))).append(')');
        }
        return Pattern.compile(regex.toString(), Pattern.DOTALL);
    }
}
