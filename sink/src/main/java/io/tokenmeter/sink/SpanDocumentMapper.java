package io.tokenmeter.sink;

import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.Span;

/**
 * Turns one span, with its resource and instrumentation scope, into one JSON document. Attribute
 * values keep their OTLP types (int and double as JSON numbers, bool, string; arrays and maps as
 * each backend's layout wants them). Content redaction and sampling happen before, in
 * {@link SpanDocuments}.
 */
public sealed interface SpanDocumentMapper permits OpenSearchDocumentMapper, ElasticDocumentMapper {

    /**
     * @param traceGroup the trace's root span facts when known (always known for a root span;
     *                   for a child, when its root travelled in the same batch), else null
     */
    SpanDocument map(Resource resource, InstrumentationScope scope, Span span, TraceGroup traceGroup);

    /** Maps a span on its own: a root carries its trace group, a child has none. */
    default SpanDocument map(Resource resource, InstrumentationScope scope, Span span) {
        return map(resource, scope, span, TraceGroup.isRoot(span) ? TraceGroup.ofRoot(span) : null);
    }

    /** The mapper for a layout. */
    static SpanDocumentMapper of(SinkSettings settings) {
        return switch (settings.format()) {
            case OPENSEARCH -> new OpenSearchDocumentMapper();
            case ELASTIC -> new ElasticDocumentMapper(settings.elasticDataset(), settings.elasticNamespace());
        };
    }

    /** {@code <traceIdHex>/<spanIdHex>}, lowercase. */
    static String documentId(Span span) {
        return JsonSupport.documentId(span.getTraceId(), span.getSpanId());
    }
}
