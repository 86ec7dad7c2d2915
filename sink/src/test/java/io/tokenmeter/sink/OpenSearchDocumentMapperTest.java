package io.tokenmeter.sink;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.ArrayValue;
import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.common.v1.KeyValueList;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.TracesData;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class OpenSearchDocumentMapperTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final SpanDocuments documents = new SpanDocuments(SinkSettings.of(SinkFormat.OPENSEARCH));

    @Test
    void shouldWriteTheDataPrepperTraceAnalyticsLayoutForRootAndChild() throws Exception {
        // Given a server root span with one priced LLM call under it, made by the OTel SDK
        TracesData batch;
        try (SdkSpans sdk = SdkSpans.forService("support-bot")) {
            sdk.nextTraceId("4bf92f3577b34da6a3ce929d0e0e4736");
            Span root = sdk.startRoot("POST /answer", SpanKind.SERVER, Duration.ZERO);
            sdk.record(root, LlmCall.chat("openai", "gpt-4o", 812, 120, 0.00203, 0.0012)
                    .startingAt(Duration.ofMillis(100)).lasting(Duration.ofMillis(1500)));
            SdkSpans.end(root, Duration.ofMillis(2000));
            batch = sdk.tracesData();
        }

        // When the batch becomes documents
        List<SpanDocument> docs = documents.fromBatch(batch);

        // Then there is one document per span, keyed traceId/spanId
        assertThat(docs).hasSize(2);
        JsonNode call = parse(docs.get(0));
        JsonNode root = parse(docs.get(1));
        assertThat(docs.get(0).id()).isEqualTo("4bf92f3577b34da6a3ce929d0e0e4736/" + call.get("spanId").asText());
        assertThat(call.get("traceId").asText()).isEqualTo("4bf92f3577b34da6a3ce929d0e0e4736");

        // And the root has the Trace Analytics fields
        assertThat(root.get("parentSpanId").asText()).isEmpty();
        assertThat(root.get("traceGroup").asText()).isEqualTo("POST /answer");
        assertThat(root.get("kind").asText()).isEqualTo("SPAN_KIND_SERVER");
        assertThat(root.get("startTime").asText()).isEqualTo("2025-09-15T10:00:00Z");
        assertThat(root.get("endTime").asText()).isEqualTo("2025-09-15T10:00:02Z");
        assertThat(root.get("durationInNanos").asLong()).isEqualTo(2_000_000_000L);
        assertThat(root.get("traceGroupFields").get("durationInNanos").asLong()).isEqualTo(2_000_000_000L);
        assertThat(root.get("traceGroupFields").get("endTime").asText()).isEqualTo("2025-09-15T10:00:02Z");
        assertThat(root.get("traceGroupFields").get("statusCode").asInt()).isZero();
        assertThat(root.get("serviceName").asText()).isEqualTo("support-bot");
        assertThat(root.get("status.code").isInt()).isTrue();

        // And the child carries its root's trace group, found in the same batch
        assertThat(call.get("parentSpanId").asText()).isEqualTo(root.get("spanId").asText());
        assertThat(call.get("traceGroup").asText()).isEqualTo("POST /answer");
        assertThat(call.get("kind").asText()).isEqualTo("SPAN_KIND_CLIENT");
        assertThat(call.get("startTime").asText()).isEqualTo("2025-09-15T10:00:00.100Z");
        assertThat(call.get("durationInNanos").asLong()).isEqualTo(1_500_000_000L);
    }

    @Test
    void shouldFlattenAttributesWithAtSeparatorsAndKeepTheirTypes() throws Exception {
        // Given an enriched call
        TracesData batch;
        try (SdkSpans sdk = SdkSpans.forService("support-bot")) {
            sdk.record(null, LlmCall.chat("openai", "gpt-4o", 812, 120, 0.00203, 0.0012)
                    .with(a -> a.put("llm.streaming", true)));
            batch = sdk.tracesData();
        }

        // When it is mapped
        JsonNode doc = parse(documents.fromBatch(batch).get(0));

        // Then span attributes are flat keys with '.' replaced by '@', typed as on the span
        assertThat(doc.get("span.attributes.gen_ai@usage@input_tokens").isIntegralNumber()).isTrue();
        assertThat(doc.get("span.attributes.gen_ai@usage@input_tokens").asLong()).isEqualTo(812);
        assertThat(doc.get("span.attributes.gen_ai@cost@total_usd").isDouble()).isTrue();
        assertThat(doc.get("span.attributes.gen_ai@cost@total_usd").asDouble()).isEqualTo(0.00203 + 0.0012);
        assertThat(doc.get("span.attributes.gen_ai@request@model").asText()).isEqualTo("gpt-4o");
        assertThat(doc.get("span.attributes.llm@streaming").isBoolean()).isTrue();
        // And arrays become a JSON string, as Data Prepper stores them
        assertThat(doc.get("span.attributes.gen_ai@response@finish_reasons").asText()).isEqualTo("[\"stop\"]");
        // And resource and scope fields are there
        assertThat(doc.get("resource.attributes.service@name").asText()).isEqualTo("support-bot");
        assertThat(doc.get("instrumentationScope.name").asText()).isEqualTo("io.tokenmeter.test");
        assertThat(doc.get("instrumentationScope.version").asText()).isEqualTo("1.2.3");
        // And a child-less root is its own trace group
        assertThat(doc.get("traceGroup").asText()).isEqualTo("chat gpt-4o");
    }

    @Test
    void shouldWriteZeroCostAsADoubleEvenWhenTheSdkSentIt() throws Exception {
        // Given a call whose cost is exactly zero (a free model)
        TracesData batch;
        try (SdkSpans sdk = SdkSpans.forService("support-bot")) {
            sdk.record(null, LlmCall.chat("ollama", "llama3", 10, 5, 0.0, 0.0));
            batch = sdk.tracesData();
        }

        // When it is mapped
        String json = documents.fromBatch(batch).get(0).jsonString();

        // Then the zero is a JSON double (0.0), which even dynamic mapping maps as a floating type
        assertThat(json).contains("\"span.attributes.gen_ai@cost@total_usd\":0.0");
        assertThat(json).contains("\"span.attributes.gen_ai@cost@cache_read_usd\":0.0");
    }

    @Test
    void shouldWriteIntegerCostAttributesAsDoubles() throws Exception {
        // Given a span whose cost arrived as an OTLP int (a hand-rolled producer)
        io.opentelemetry.proto.trace.v1.Span span = protoSpan("00000000000000000000000000000001", "")
                .addAttributes(kv("gen_ai.cost.total_usd", AnyValue.newBuilder().setIntValue(2).build()))
                .addAttributes(kv("gen_ai.usage.input_tokens", AnyValue.newBuilder().setIntValue(2).build()))
                .build();

        // When it is mapped
        JsonNode doc = parse(new OpenSearchDocumentMapper().map(Resource.getDefaultInstance(),
                InstrumentationScope.getDefaultInstance(), span));

        // Then the cost is a double and the token count stays an integer
        assertThat(doc.get("span.attributes.gen_ai@cost@total_usd").isDouble()).isTrue();
        assertThat(doc.get("span.attributes.gen_ai@usage@input_tokens").isInt()).isTrue();
        // And a span without service.name has a null serviceName, as Data Prepper writes it
        assertThat(doc.get("serviceName").isNull()).isTrue();
    }

    @Test
    void shouldLeaveTraceGroupNullForAChildWhoseRootIsNotInTheBatch() throws Exception {
        // Given a child span alone
        io.opentelemetry.proto.trace.v1.Span child = protoSpan("0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331").build();

        // When it is mapped
        JsonNode doc = parse(new OpenSearchDocumentMapper().map(Resource.getDefaultInstance(),
                InstrumentationScope.getDefaultInstance(), child));

        // Then the trace group fields are present but null, as Data Prepper leaves them
        assertThat(doc.has("traceGroup")).isTrue();
        assertThat(doc.get("traceGroup").isNull()).isTrue();
        assertThat(doc.get("traceGroupFields").get("endTime").isNull()).isTrue();
        assertThat(doc.get("parentSpanId").asText()).isEqualTo("b7ad6b7169203331");
    }

    @Test
    void shouldWriteEventsLinksStatusAndNestedValues() throws Exception {
        // Given a failed span with an exception event, a link, a map and a nested array attribute
        io.opentelemetry.proto.trace.v1.Span span = protoSpan("0af7651916cd43dd8448eb211c80319c", "")
                .setStatus(io.opentelemetry.proto.trace.v1.Status.newBuilder()
                        .setCode(io.opentelemetry.proto.trace.v1.Status.StatusCode.STATUS_CODE_ERROR)
                        .setMessage("rate limited"))
                .addEvents(io.opentelemetry.proto.trace.v1.Span.Event.newBuilder().setName("exception")
                        .setTimeUnixNano(1_757_930_400_000_000_001L)
                        .addAttributes(kv("exception.type", str("RateLimitError"))))
                .addLinks(io.opentelemetry.proto.trace.v1.Span.Link.newBuilder()
                        .setTraceId(bytes("11111111111111111111111111111111")).setSpanId(bytes("2222222222222222"))
                        .addAttributes(kv("link.kind", str("retry-of"))))
                .addAttributes(kv("app.meta", AnyValue.newBuilder().setKvlistValue(KeyValueList.newBuilder()
                        .addValues(kv("a.b", AnyValue.newBuilder().setIntValue(1).build()))).build()))
                .addAttributes(kv("app.matrix", AnyValue.newBuilder().setArrayValue(ArrayValue.newBuilder()
                        .addValues(AnyValue.newBuilder().setArrayValue(ArrayValue.newBuilder().addValues(str("x")))))
                        .build()))
                .addAttributes(kv("app.blob", AnyValue.newBuilder().setBytesValue(bytes("cafe")).build()))
                .build();

        // When it is mapped
        JsonNode doc = parse(new OpenSearchDocumentMapper().map(Resource.getDefaultInstance(),
                InstrumentationScope.getDefaultInstance(), span));

        // Then status is an int code plus message, and the root's trace group records it
        assertThat(doc.get("status.code").asInt()).isEqualTo(2);
        assertThat(doc.get("status.message").asText()).isEqualTo("rate limited");
        assertThat(doc.get("traceGroupFields").get("statusCode").asInt()).isEqualTo(2);
        // And events and links keep '@' keys inside their own attributes
        JsonNode event = doc.get("events").get(0);
        assertThat(event.get("name").asText()).isEqualTo("exception");
        assertThat(event.get("time").asText()).isEqualTo("2025-09-15T10:00:00.000000001Z");
        assertThat(event.get("attributes").get("exception@type").asText()).isEqualTo("RateLimitError");
        JsonNode link = doc.get("links").get(0);
        assertThat(link.get("traceId").asText()).isEqualTo("11111111111111111111111111111111");
        assertThat(link.get("attributes").get("link@kind").asText()).isEqualTo("retry-of");
        // And maps and nested arrays are JSON strings (Data Prepper's conversion), bytes are hex
        assertThat(doc.get("span.attributes.app@meta").asText()).isEqualTo("{\"a@b\":1}");
        assertThat(doc.get("span.attributes.app@matrix").asText()).isEqualTo("[\"[\\\"x\\\"]\"]");
        assertThat(doc.get("span.attributes.app@blob").asText()).isEqualTo("cafe");
    }

    @Test
    void shouldDropRepeatedAndEmptyAttributeKeysSoTheJsonHasNoDuplicateFields() throws Exception {
        // Given a hostile span repeating a key, using a key that collides after '.'->'@', and an empty key
        io.opentelemetry.proto.trace.v1.Span span = protoSpan("0af7651916cd43dd8448eb211c80319c", "")
                .addAttributes(kv("gen_ai.request.model", str("first")))
                .addAttributes(kv("gen_ai.request.model", str("second")))
                .addAttributes(kv("gen_ai@request@model", str("third")))
                .addAttributes(kv("", str("nameless")))
                .build();

        // When it is mapped
        String json = new OpenSearchDocumentMapper().map(Resource.getDefaultInstance(),
                InstrumentationScope.getDefaultInstance(), span).jsonString();

        // Then the field appears once (last value wins) and the empty key is gone
        ObjectMapper strict = new ObjectMapper().enable(com.fasterxml.jackson.core.JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
        JsonNode doc = strict.readTree(json);
        assertThat(doc.get("span.attributes.gen_ai@request@model").asText()).isEqualTo("third");
        assertThat(json).doesNotContain("nameless");
    }

    static JsonNode parse(SpanDocument doc) throws Exception {
        return JSON.readTree(doc.json());
    }

    static io.opentelemetry.proto.trace.v1.Span.Builder protoSpan(String traceId, String parentId) {
        return io.opentelemetry.proto.trace.v1.Span.newBuilder()
                .setTraceId(bytes(traceId))
                .setSpanId(bytes("00f067aa0ba902b7"))
                .setParentSpanId(bytes(parentId))
                .setName("chat")
                .setKind(io.opentelemetry.proto.trace.v1.Span.SpanKind.SPAN_KIND_CLIENT)
                .setStartTimeUnixNano(1_757_930_400_000_000_000L)
                .setEndTimeUnixNano(1_757_930_401_000_000_000L);
    }

    static com.google.protobuf.ByteString bytes(String hex) {
        return com.google.protobuf.ByteString.copyFrom(java.util.HexFormat.of().parseHex(hex));
    }

    static KeyValue kv(String key, AnyValue value) {
        return KeyValue.newBuilder().setKey(key).setValue(value).build();
    }

    static AnyValue str(String value) {
        return AnyValue.newBuilder().setStringValue(value).build();
    }
}
