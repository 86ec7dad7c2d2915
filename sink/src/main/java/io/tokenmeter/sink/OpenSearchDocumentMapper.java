package io.tokenmeter.sink;

import com.fasterxml.jackson.core.JsonGenerator;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.Span;

import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * The document Data Prepper's OpenSearch sink writes for {@code index_type: trace-analytics-raw}
 * (index alias {@code otel-v1-apm-span}), so OpenSearch Dashboards' Trace Analytics works on it:
 * <ul>
 * <li>{@code traceId}, {@code spanId}, {@code parentSpanId} as lowercase hex, {@code ""} for a root;
 * {@code traceState}, {@code name}, {@code kind} as the proto enum name ({@code SPAN_KIND_CLIENT});</li>
 * <li>{@code startTime}/{@code endTime} ISO-8601 (nanosecond precision), {@code durationInNanos};</li>
 * <li>{@code serviceName} from the {@code service.name} resource attribute (null when absent);</li>
 * <li>{@code events} ({@code name}, {@code time}, {@code attributes}, {@code droppedAttributesCount}) and
 * {@code links} ({@code traceId}, {@code spanId}, {@code traceState}, {@code attributes},
 * {@code droppedAttributesCount}) with attribute keys' dots replaced by {@code @};</li>
 * <li>{@code traceGroup} and {@code traceGroupFields.{endTime,durationInNanos,statusCode}}: the root's,
 * or null when the root is not known;</li>
 * <li>flattened keys {@code span.attributes.<key with . replaced by @>},
 * {@code resource.attributes.<key@>}, {@code instrumentationScope.name}, {@code .version},
 * {@code instrumentationScope.attributes.<key@>}, {@code status.code} (int) and {@code status.message}
 * (only when not empty).</li>
 * </ul>
 * Values as Data Prepper converts them: string, bool, int, double as themselves; arrays and maps as
 * a JSON string (map keys' dots replaced by {@code @}); an empty value as {@code ""}. Two
 * deliberate differences: bytes are written as lowercase hex (Data Prepper rejects them), and
 * cost attributes ({@code gen_ai.cost.*_usd}) are always written as doubles.
 */
public final class OpenSearchDocumentMapper implements SpanDocumentMapper {

    static final String SERVICE_NAME = "service.name";

    @Override
    public SpanDocument map(Resource resource, InstrumentationScope scope, Span span, TraceGroup traceGroup) {
        byte[] json = JsonSupport.bytes(g -> write(g, resource, scope, span, traceGroup));
        return new SpanDocument(SpanDocumentMapper.documentId(span), json);
    }

    private static void write(JsonGenerator g, Resource resource, InstrumentationScope scope, Span span,
                              TraceGroup traceGroup) throws IOException {
        g.writeStartObject();
        g.writeStringField("traceId", JsonSupport.hex(span.getTraceId()));
        g.writeStringField("spanId", JsonSupport.hex(span.getSpanId()));
        g.writeStringField("traceState", span.getTraceState());
        g.writeStringField("parentSpanId", JsonSupport.hex(span.getParentSpanId()));
        g.writeStringField("name", span.getName());
        g.writeStringField("kind", span.getKind().name());
        g.writeStringField("startTime", JsonSupport.iso(span.getStartTimeUnixNano()));
        g.writeStringField("endTime", JsonSupport.iso(span.getEndTimeUnixNano()));
        g.writeNumberField("durationInNanos", span.getEndTimeUnixNano() - span.getStartTimeUnixNano());
        String serviceName = serviceName(resource);
        if (serviceName == null) {
            g.writeNullField("serviceName");
        } else {
            g.writeStringField("serviceName", serviceName);
        }
        g.writeArrayFieldStart("events");
        for (Span.Event event : span.getEventsList()) {
            g.writeStartObject();
            g.writeStringField("name", event.getName());
            g.writeStringField("time", JsonSupport.iso(event.getTimeUnixNano()));
            writeAttributeObject(g, "attributes", event.getAttributesList());
            g.writeNumberField("droppedAttributesCount", event.getDroppedAttributesCount());
            g.writeEndObject();
        }
        g.writeEndArray();
        g.writeArrayFieldStart("links");
        for (Span.Link link : span.getLinksList()) {
            g.writeStartObject();
            g.writeStringField("traceId", JsonSupport.hex(link.getTraceId()));
            g.writeStringField("spanId", JsonSupport.hex(link.getSpanId()));
            g.writeStringField("traceState", link.getTraceState());
            writeAttributeObject(g, "attributes", link.getAttributesList());
            g.writeNumberField("droppedAttributesCount", link.getDroppedAttributesCount());
            g.writeEndObject();
        }
        g.writeEndArray();
        g.writeNumberField("droppedAttributesCount", span.getDroppedAttributesCount());
        g.writeNumberField("droppedEventsCount", span.getDroppedEventsCount());
        g.writeNumberField("droppedLinksCount", span.getDroppedLinksCount());
        g.writeObjectFieldStart("traceGroupFields");
        if (traceGroup == null) {
            g.writeNullField("endTime");
            g.writeNullField("durationInNanos");
            g.writeNullField("statusCode");
        } else {
            g.writeStringField("endTime", JsonSupport.iso(traceGroup.endTimeUnixNano()));
            g.writeNumberField("durationInNanos", traceGroup.durationInNanos());
            g.writeNumberField("statusCode", traceGroup.statusCode());
        }
        g.writeEndObject();
        if (traceGroup == null) {
            g.writeNullField("traceGroup");
        } else {
            g.writeStringField("traceGroup", traceGroup.name());
        }
        writeFlatAttributes(g, "span.attributes.", span.getAttributesList());
        writeFlatAttributes(g, "resource.attributes.", resource.getAttributesList());
        if (!scope.getName().isEmpty()) {
            g.writeStringField("instrumentationScope.name", scope.getName());
        }
        if (!scope.getVersion().isEmpty()) {
            g.writeStringField("instrumentationScope.version", scope.getVersion());
        }
        writeFlatAttributes(g, "instrumentationScope.attributes.", scope.getAttributesList());
        g.writeNumberField("status.code", span.getStatus().getCodeValue());
        if (!span.getStatus().getMessage().isEmpty()) {
            g.writeStringField("status.message", span.getStatus().getMessage());
        }
        g.writeEndObject();
    }

    static String serviceName(Resource resource) {
        for (KeyValue kv : resource.getAttributesList()) {
            if (SERVICE_NAME.equals(kv.getKey()) && !kv.getValue().getStringValue().isEmpty()) {
                return kv.getValue().getStringValue();
            }
        }
        return null;
    }

    /** The OpenSearch-friendly key: every {@code .} replaced by {@code @}. */
    public static String atKey(String key) {
        return key.replace('.', '@');
    }

    private static void writeFlatAttributes(JsonGenerator g, String prefix, List<KeyValue> attributes) throws IOException {
        for (Map.Entry<String, KeyValue> e : JsonSupport.byField(attributes, OpenSearchDocumentMapper::atKey).entrySet()) {
            g.writeFieldName(prefix + e.getKey());
            writeValue(g, e.getValue().getKey(), e.getValue().getValue());
        }
    }

    private static void writeAttributeObject(JsonGenerator g, String field, List<KeyValue> attributes) throws IOException {
        g.writeObjectFieldStart(field);
        for (Map.Entry<String, KeyValue> e : JsonSupport.byField(attributes, OpenSearchDocumentMapper::atKey).entrySet()) {
            g.writeFieldName(e.getKey());
            writeValue(g, e.getValue().getKey(), e.getValue().getValue());
        }
        g.writeEndObject();
    }

    private static void writeValue(JsonGenerator g, String key, AnyValue value) throws IOException {
        switch (value.getValueCase()) {
            case BOOL_VALUE -> g.writeBoolean(value.getBoolValue());
            case INT_VALUE, DOUBLE_VALUE, BYTES_VALUE -> JsonSupport.writeScalar(g, key, value);
            case ARRAY_VALUE, KVLIST_VALUE -> g.writeString(JsonSupport.string(inner -> writeNested(inner, value)));
            default -> g.writeString(value.getStringValue());
        }
    }

    /** Inside an array or map Data Prepper nests the converted values, so nested arrays and maps are strings again. */
    private static void writeNested(JsonGenerator g, AnyValue value) throws IOException {
        if (value.hasArrayValue()) {
            g.writeStartArray();
            for (AnyValue element : value.getArrayValue().getValuesList()) {
                writeValue(g, "", element);
            }
            g.writeEndArray();
        } else {
            g.writeStartObject();
            for (Map.Entry<String, KeyValue> e : JsonSupport.byField(value.getKvlistValue().getValuesList(),
                    OpenSearchDocumentMapper::atKey).entrySet()) {
                g.writeFieldName(e.getKey());
                writeValue(g, e.getValue().getKey(), e.getValue().getValue());
            }
            g.writeEndObject();
        }
    }
}
