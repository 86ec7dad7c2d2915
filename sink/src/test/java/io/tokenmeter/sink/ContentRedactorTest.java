package io.tokenmeter.sink;

import com.fasterxml.jackson.databind.JsonNode;
import io.opentelemetry.proto.trace.v1.TracesData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class ContentRedactorTest {

    static final String SENTINEL = "SENTINEL-7f3a-do-not-index";

    /** Every content attribute of every dialect the topology knows, each holding the sentinel. */
    static LlmCall callFullOfContent() {
        return LlmCall.chat("openai", "gpt-4o", 812, 120, 0.002, 0.001).withContentEverywhere(SENTINEL);
    }

    static TracesData batchFullOfContent() {
        try (SdkSpans sdk = SdkSpans.forService("support-bot")) {
            sdk.record(null, callFullOfContent());
            return sdk.tracesData();
        }
    }

    @ParameterizedTest
    @EnumSource(SinkFormat.class)
    void shouldDropEveryPromptAndCompletionByDefault(SinkFormat format) {
        // Given a span carrying the sentinel in every content attribute and content event
        TracesData batch = batchFullOfContent();

        // When it becomes a document with default settings
        String json = new SpanDocuments(SinkSettings.of(format)).fromBatch(batch).get(0).jsonString();

        // Then the sentinel appears nowhere, while usage and cost survive
        assertThat(json).doesNotContain("SENTINEL");
        assertThat(json).contains("812").contains("gpt-4o");
        if (format == SinkFormat.OPENSEARCH) {
            // And so does the exception event (the elastic span document has no events, as the exporter's)
            assertThat(json).contains("TimeoutError");
        }
        assertThat(json).contains(format == SinkFormat.OPENSEARCH ? "gen_ai@cost@total_usd" : "gen_ai.cost.total_usd");
    }

    @Test
    void shouldKeepOnlyWhatTheAllowListNames() throws Exception {
        // Given an allow-list for OpenLLMetry prompt attributes and the prompt event
        SinkSettings settings = SinkSettings.of(SinkFormat.OPENSEARCH)
                .withContentAllowList(List.of("gen_ai.prompt.*", "gen_ai.content.prompt"));

        // When the content-laden span is mapped
        SpanDocument doc = new SpanDocuments(settings).fromBatch(batchFullOfContent()).get(0);
        String json = doc.jsonString();
        JsonNode tree = OpenSearchDocumentMapperTest.parse(doc);

        // Then the allowed span attributes are back, the rest is still gone
        assertThat(tree.get("span.attributes.gen_ai@prompt@0@content").asText()).isEqualTo(SENTINEL);
        assertThat(tree.has("span.attributes.gen_ai@prompt")).isFalse();
        assertThat(tree.has("span.attributes.gen_ai@completion@0@content")).isFalse();
        assertThat(json).doesNotContain("input@messages").doesNotContain("llm@output_messages");
        // And only the allowed content event kept its attributes
        Map<String, JsonNode> events = new HashMap<>();
        tree.get("events").forEach(e -> events.put(e.get("name").asText(), e.get("attributes")));
        assertThat(events.get("gen_ai.content.prompt").get("gen_ai@prompt").asText()).isEqualTo(SENTINEL);
        assertThat(events.get("gen_ai.content.completion").size()).isZero();
        assertThat(events.get("gen_ai.choice").size()).isZero();
        assertThat(events.get("gen_ai.client.inference.operation.details").has("gen_ai@request@model")).isTrue();
        assertThat(events.get("gen_ai.client.inference.operation.details").has("gen_ai@input@messages")).isFalse();
    }

    @Test
    void shouldTellContentFromMetadata() {
        // Given the default redactor
        ContentRedactor redactor = ContentRedactor.dropAll();

        // Then content keys are dropped and look-alike metadata keys are kept
        assertThat(redactor.dropsAttribute("gen_ai.prompt.3.content")).isTrue();
        assertThat(redactor.dropsAttribute("llm.prompts")).isTrue();
        assertThat(redactor.dropsAttribute("llm.prompt_template.template")).isFalse();
        assertThat(redactor.dropsAttribute("gen_ai.usage.input_tokens")).isFalse();
        assertThat(redactor.dropsAttribute("gen_ai.request.model")).isFalse();
        assertThat(redactor.dropsAttribute("input.mime_type")).isFalse();
        assertThat(redactor.dropsAttribute("ai.prompt.format")).isTrue();
        assertThat(redactor.dropsEventAttributes("gen_ai.assistant.message", "tool_calls")).isTrue();
        assertThat(redactor.dropsEventAttributes("exception", "exception.message")).isFalse();
    }

    @Test
    void shouldReturnTheSameSpanWhenThereIsNothingToDrop() {
        // Given a span without content
        io.opentelemetry.proto.trace.v1.Span span = OpenSearchDocumentMapperTest.protoSpan("0af7651916cd43dd8448eb211c80319c", "")
                .addAttributes(OpenSearchDocumentMapperTest.kv("gen_ai.request.model", OpenSearchDocumentMapperTest.str("gpt-4o")))
                .build();

        // When it is redacted
        io.opentelemetry.proto.trace.v1.Span redacted = ContentRedactor.dropAll().redact(span);

        // Then no copy is made
        assertThat(redacted).isSameAs(span);
    }
}
