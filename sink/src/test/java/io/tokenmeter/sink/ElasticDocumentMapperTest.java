package io.tokenmeter.sink;

import com.fasterxml.jackson.databind.JsonNode;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.ArrayValue;
import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.common.v1.KeyValueList;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.Status;
import io.opentelemetry.proto.trace.v1.TracesData;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static io.tokenmeter.sink.OpenSearchDocumentMapperTest.bytes;
import static io.tokenmeter.sink.OpenSearchDocumentMapperTest.kv;
import static io.tokenmeter.sink.OpenSearchDocumentMapperTest.parse;
import static io.tokenmeter.sink.OpenSearchDocumentMapperTest.protoSpan;
import static io.tokenmeter.sink.OpenSearchDocumentMapperTest.str;
import static org.assertj.core.api.Assertions.assertThat;

class ElasticDocumentMapperTest {

    private final SpanDocuments documents = new SpanDocuments(SinkSettings.of(SinkFormat.ELASTIC));

    @Test
    void shouldWriteTheOtelNativeLayoutOfTracesOtelDataStreams() throws Exception {
        // Given a root with a priced call under it, made by the OTel SDK
        TracesData batch;
        try (SdkSpans sdk = SdkSpans.forService("support-bot")) {
            sdk.nextTraceId("4bf92f3577b34da6a3ce929d0e0e4736");
            Span root = sdk.startRoot("POST /answer", SpanKind.SERVER, Duration.ZERO);
            sdk.record(root, LlmCall.chat("anthropic", "claude-sonnet-4-5", 1000, 200, 0.003, 0.003)
                    .startingAt(Duration.ofMillis(10)).lasting(Duration.ofMillis(1200)));
            SdkSpans.end(root, Duration.ofMillis(1500));
            batch = sdk.tracesData();
        }

        // When the batch becomes elastic documents
        List<SpanDocument> docs = documents.fromBatch(batch);
        JsonNode call = parse(docs.get(0));
        JsonNode root = parse(docs.get(1));

        // Then the ids, kinds, times and durations use the exporter's otel-mode names
        assertThat(docs.get(0).id()).isEqualTo("4bf92f3577b34da6a3ce929d0e0e4736/" + call.get("span_id").asText());
        assertThat(call.get("trace_id").asText()).isEqualTo("4bf92f3577b34da6a3ce929d0e0e4736");
        assertThat(call.get("parent_span_id").asText()).isEqualTo(root.get("span_id").asText());
        assertThat(root.has("parent_span_id")).isFalse();
        assertThat(call.get("kind").asText()).isEqualTo("Client");
        assertThat(root.get("kind").asText()).isEqualTo("Server");
        assertThat(call.get("@timestamp").asText()).isEqualTo("2025-09-15T10:00:00.010Z");
        assertThat(call.get("duration").asLong()).isEqualTo(1_200_000_000L);
        assertThat(call.get("status").get("code").asText()).isEqualTo("Unset");
        // And the data stream fields name traces-tokenmeter.otel-default
        assertThat(call.get("data_stream").get("type").asText()).isEqualTo("traces");
        assertThat(call.get("data_stream").get("dataset").asText()).isEqualTo("tokenmeter.otel");
        assertThat(call.get("data_stream").get("namespace").asText()).isEqualTo("default");
        // And attributes keep their original dotted keys and types
        JsonNode attributes = call.get("attributes");
        assertThat(attributes.get("gen_ai.usage.input_tokens").isIntegralNumber()).isTrue();
        assertThat(attributes.get("gen_ai.cost.total_usd").isDouble()).isTrue();
        assertThat(attributes.get("gen_ai.cost.total_usd").asDouble()).isEqualTo(0.006);
        assertThat(attributes.get("gen_ai.response.finish_reasons").isArray()).isTrue();
        assertThat(attributes.get("gen_ai.response.finish_reasons").get(0).asText()).isEqualTo("stop");
        // And resource and scope are nested objects
        assertThat(call.get("resource").get("attributes").get("service.name").asText()).isEqualTo("support-bot");
        assertThat(call.get("scope").get("name").asText()).isEqualTo("io.tokenmeter.test");
        assertThat(call.get("scope").get("version").asText()).isEqualTo("1.2.3");
        // And there are no Data Prepper fields
        assertThat(call.has("traceGroup")).isFalse();
        assertThat(call.has("span.attributes.gen_ai@cost@total_usd")).isFalse();
    }

    @Test
    void shouldWriteStatusLinksMapsBytesAndLeaveOutDataStreamAttributes() throws Exception {
        // Given a failed span with a link, a map, bytes, a nested array and a routing attribute
        io.opentelemetry.proto.trace.v1.Span span = protoSpan("0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331")
                .setStatus(Status.newBuilder().setCode(Status.StatusCode.STATUS_CODE_ERROR).setMessage("boom"))
                .setKind(io.opentelemetry.proto.trace.v1.Span.SpanKind.SPAN_KIND_PRODUCER)
                .addLinks(io.opentelemetry.proto.trace.v1.Span.Link.newBuilder()
                        .setTraceId(bytes("11111111111111111111111111111111")).setSpanId(bytes("2222222222222222")))
                .addAttributes(kv("app.meta", AnyValue.newBuilder().setKvlistValue(KeyValueList.newBuilder()
                        .addValues(kv("a.b", AnyValue.newBuilder().setIntValue(1).build()))).build()))
                .addAttributes(kv("app.matrix", AnyValue.newBuilder().setArrayValue(ArrayValue.newBuilder()
                        .addValues(AnyValue.newBuilder().setArrayValue(ArrayValue.newBuilder().addValues(str("x")))))
                        .build()))
                .addAttributes(kv("app.blob", AnyValue.newBuilder().setBytesValue(bytes("cafe")).build()))
                .addAttributes(kv("app.nan", AnyValue.newBuilder().setDoubleValue(Double.NaN).build()))
                .addAttributes(kv("data_stream.dataset", str("hijack")))
                .build();

        // When it is mapped
        JsonNode doc = parse(new ElasticDocumentMapper("tokenmeter", "prod").map(Resource.getDefaultInstance(),
                InstrumentationScope.getDefaultInstance(), span));

        // Then status is the pdata name with its message
        assertThat(doc.get("status").get("code").asText()).isEqualTo("Error");
        assertThat(doc.get("status").get("message").asText()).isEqualTo("boom");
        assertThat(doc.get("kind").asText()).isEqualTo("Producer");
        // And maps stay objects, nested arrays stay arrays, bytes are hex, NaN has no JSON form so is null
        assertThat(doc.get("attributes").get("app.meta").get("a.b").asInt()).isEqualTo(1);
        assertThat(doc.get("attributes").get("app.matrix").get(0).get(0).asText()).isEqualTo("x");
        assertThat(doc.get("attributes").get("app.blob").asText()).isEqualTo("cafe");
        assertThat(doc.get("attributes").get("app.nan").isNull()).isTrue();
        // And routing attributes do not override the data stream
        assertThat(doc.get("attributes").has("data_stream.dataset")).isFalse();
        assertThat(doc.get("data_stream").get("namespace").asText()).isEqualTo("prod");
        assertThat(doc.get("links").get(0).get("span_id").asText()).isEqualTo("2222222222222222");
    }
}
