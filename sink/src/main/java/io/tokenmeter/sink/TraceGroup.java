package io.tokenmeter.sink;

import io.opentelemetry.proto.trace.v1.Span;

/**
 * What Data Prepper's Trace Analytics calls the trace group: the root span's name, end time,
 * duration and status code, copied onto every span of the trace ({@code traceGroup},
 * {@code traceGroupFields.*}).
 */
public record TraceGroup(String name, long endTimeUnixNano, long durationInNanos, int statusCode) {

    /** True for a span without a parent (Data Prepper's definition of a root). */
    public static boolean isRoot(Span span) {
        return span.getParentSpanId().isEmpty();
    }

    /** The trace group a root span defines. */
    public static TraceGroup ofRoot(Span root) {
        return new TraceGroup(root.getName(), root.getEndTimeUnixNano(),
                root.getEndTimeUnixNano() - root.getStartTimeUnixNano(), root.getStatus().getCodeValue());
    }
}
