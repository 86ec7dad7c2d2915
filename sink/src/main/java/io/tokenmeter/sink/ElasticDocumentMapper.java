package io.tokenmeter.sink;

import com.fasterxml.jackson.core.JsonGenerator;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.Status;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * The OTel-native span document of Elastic's {@code traces-*.otel-*} data streams, as the
 * Collector's Elasticsearch exporter writes it in {@code mapping.mode: otel}:
 * {@code @timestamp} (span start), {@code data_stream.{type,dataset,namespace}}, {@code trace_id},
 * {@code span_id}, {@code trace_state}, {@code parent_span_id}, {@code name}, {@code kind}
 * ({@code Client}, {@code Server}, ...), {@code duration} (ns), {@code attributes.*} with the
 * original keys (the template maps {@code attributes} as {@code passthrough}),
 * {@code dropped_*_count}, {@code links}, {@code status.{code,message}} ({@code Unset}, {@code Ok},
 * {@code Error}), {@code resource.attributes.*} and {@code scope.{name,version,attributes}}.
 * Empty strings and zero counts are left out, as the exporter does. Values keep their types;
 * arrays stay arrays, maps stay objects (the template maps them {@code flattened}), bytes are hex.
 * Span events are not part of the span document (the exporter writes them as separate log
 * documents); tokenmeter does not produce those.
 * Two deliberate differences: {@code @timestamp} is ISO-8601 with nanoseconds rather than the
 * exporter's {@code millis.nanos} string, and cost attributes are always doubles.
 */
public final class ElasticDocumentMapper implements SpanDocumentMapper {

    /** Attributes the exporter moves out of {@code attributes} (data stream routing). */
    private static final Set<String> DATA_STREAM_KEYS = Set.of(
            "data_stream.type", "data_stream.dataset", "data_stream.namespace");

    private final String dataset;
    private final String namespace;

    /**
     * @param dataset   the dataset without the {@code .otel} suffix, which is appended
     * @param namespace the data stream namespace
     */
    public ElasticDocumentMapper(String dataset, String namespace) {
        this.dataset = dataset + ".otel";
        this.namespace = namespace;
    }

    @Override
    public SpanDocument map(Resource resource, InstrumentationScope scope, Span span, TraceGroup traceGroup) {
        byte[] json = JsonSupport.bytes(g -> write(g, resource, scope, span));
        return new SpanDocument(SpanDocumentMapper.documentId(span), json);
    }

    private void write(JsonGenerator g, Resource resource, InstrumentationScope scope, Span span) throws IOException {
        g.writeStartObject();
        g.writeStringField("@timestamp", JsonSupport.iso(span.getStartTimeUnixNano()));
        g.writeObjectFieldStart("data_stream");
        g.writeStringField("type", "traces");
        g.writeStringField("dataset", dataset);
        g.writeStringField("namespace", namespace);
        g.writeEndObject();
        writeNonEmpty(g, "trace_id", JsonSupport.hex(span.getTraceId()));
        writeNonEmpty(g, "span_id", JsonSupport.hex(span.getSpanId()));
        writeNonEmpty(g, "trace_state", span.getTraceState());
        writeNonEmpty(g, "parent_span_id", JsonSupport.hex(span.getParentSpanId()));
        writeNonEmpty(g, "name", span.getName());
        writeNonEmpty(g, "kind", kind(span.getKind()));
        g.writeNumberField("duration", Math.max(0L, span.getEndTimeUnixNano() - span.getStartTimeUnixNano()));
        writeAttributes(g, span.getAttributesList());
        writeNonZero(g, "dropped_attributes_count", span.getDroppedAttributesCount());
        writeNonZero(g, "dropped_events_count", span.getDroppedEventsCount());
        g.writeArrayFieldStart("links");
        for (Span.Link link : span.getLinksList()) {
            g.writeStartObject();
            writeNonEmpty(g, "trace_id", JsonSupport.hex(link.getTraceId()));
            writeNonEmpty(g, "span_id", JsonSupport.hex(link.getSpanId()));
            writeNonEmpty(g, "trace_state", link.getTraceState());
            writeAttributes(g, link.getAttributesList());
            writeNonZero(g, "dropped_attributes_count", link.getDroppedAttributesCount());
            g.writeEndObject();
        }
        g.writeEndArray();
        writeNonZero(g, "dropped_links_count", span.getDroppedLinksCount());
        g.writeObjectFieldStart("status");
        writeNonEmpty(g, "message", span.getStatus().getMessage());
        writeNonEmpty(g, "code", statusCode(span.getStatus().getCode()));
        g.writeEndObject();
        g.writeObjectFieldStart("resource");
        writeAttributes(g, resource.getAttributesList());
        writeNonZero(g, "dropped_attributes_count", resource.getDroppedAttributesCount());
        g.writeEndObject();
        g.writeObjectFieldStart("scope");
        writeNonEmpty(g, "name", scope.getName());
        writeNonEmpty(g, "version", scope.getVersion());
        writeAttributes(g, scope.getAttributesList());
        writeNonZero(g, "dropped_attributes_count", scope.getDroppedAttributesCount());
        g.writeEndObject();
        g.writeEndObject();
    }

    /** The pdata names the exporter writes: {@code Unspecified}, {@code Internal}, {@code Server}, {@code Client}, {@code Producer}, {@code Consumer}. */
    static String kind(Span.SpanKind kind) {
        return switch (kind) {
            case SPAN_KIND_UNSPECIFIED -> "Unspecified";
            case SPAN_KIND_INTERNAL -> "Internal";
            case SPAN_KIND_SERVER -> "Server";
            case SPAN_KIND_CLIENT -> "Client";
            case SPAN_KIND_PRODUCER -> "Producer";
            case SPAN_KIND_CONSUMER -> "Consumer";
            default -> "";
        };
    }

    /** The pdata names: {@code Unset}, {@code Ok}, {@code Error}. */
    static String statusCode(Status.StatusCode code) {
        return switch (code) {
            case STATUS_CODE_UNSET -> "Unset";
            case STATUS_CODE_OK -> "Ok";
            case STATUS_CODE_ERROR -> "Error";
            default -> "";
        };
    }

    private static void writeAttributes(JsonGenerator g, List<KeyValue> attributes) throws IOException {
        Map<String, KeyValue> fields = JsonSupport.byField(attributes, UnaryOperator.identity());
        fields.keySet().removeAll(DATA_STREAM_KEYS);
        if (fields.isEmpty()) {
            return;
        }
        g.writeObjectFieldStart("attributes");
        for (Map.Entry<String, KeyValue> e : fields.entrySet()) {
            g.writeFieldName(e.getKey());
            writeValue(g, e.getKey(), e.getValue().getValue());
        }
        g.writeEndObject();
    }

    private static void writeValue(JsonGenerator g, String key, AnyValue value) throws IOException {
        switch (value.getValueCase()) {
            case STRING_VALUE -> g.writeString(value.getStringValue());
            case BOOL_VALUE -> g.writeBoolean(value.getBoolValue());
            case INT_VALUE, DOUBLE_VALUE, BYTES_VALUE -> JsonSupport.writeScalar(g, key, value);
            case ARRAY_VALUE -> {
                g.writeStartArray();
                for (AnyValue element : value.getArrayValue().getValuesList()) {
                    writeValue(g, "", element);
                }
                g.writeEndArray();
            }
            case KVLIST_VALUE -> {
                g.writeStartObject();
                for (Map.Entry<String, KeyValue> e : JsonSupport.byField(value.getKvlistValue().getValuesList(),
                        UnaryOperator.identity()).entrySet()) {
                    g.writeFieldName(e.getKey());
                    writeValue(g, e.getKey(), e.getValue().getValue());
                }
                g.writeEndObject();
            }
            default -> g.writeNull();
        }
    }

    private static void writeNonEmpty(JsonGenerator g, String field, String value) throws IOException {
        if (!value.isEmpty()) {
            g.writeStringField(field, value);
        }
    }

    private static void writeNonZero(JsonGenerator g, String field, long value) throws IOException {
        if (value != 0) {
            g.writeNumberField(field, value);
        }
    }
}
