package io.tokenmeter.sink;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.exporter.internal.otlp.traces.TraceRequestMarshaler;
import io.opentelemetry.proto.trace.v1.TracesData;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.IdGenerator;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * Test fixture: spans made by the official OpenTelemetry Java SDK, turned into the OTLP
 * {@code TracesData} protobuf exactly as an SDK's OTLP exporter would send them
 * ({@code ExportTraceServiceRequest} and {@code TracesData} share the wire format).
 *
 * <p>Ids are deterministic: trace ids come from {@link #nextTraceId(String)} when queued, else from
 * a seeded generator; span ids count up. Times are explicit, relative to {@link #T0}.
 */
public final class SdkSpans implements AutoCloseable {

    /** The base time of every span made here. */
    public static final Instant T0 = Instant.parse("2025-09-15T10:00:00Z");

    private final List<SpanData> finished = new ArrayList<>();
    private final Deque<String> queuedTraceIds = new ArrayDeque<>();
    private final Random random = new Random(42);
    private long spanCounter = 0x1000;
    private final SdkTracerProvider provider;
    private final Tracer tracer;

    private SdkSpans(Resource resource, String scopeName, String scopeVersion) {
        SpanExporter collecting = new SpanExporter() {
            @Override
            public CompletableResultCode export(Collection<SpanData> spans) {
                synchronized (finished) {
                    finished.addAll(spans);
                }
                return CompletableResultCode.ofSuccess();
            }

            @Override
            public CompletableResultCode flush() {
                return CompletableResultCode.ofSuccess();
            }

            @Override
            public CompletableResultCode shutdown() {
                return CompletableResultCode.ofSuccess();
            }
        };
        IdGenerator ids = new IdGenerator() {
            @Override
            public String generateSpanId() {
                return String.format(Locale.ROOT, "%016x", ++spanCounter);
            }

            @Override
            public String generateTraceId() {
                String queued = queuedTraceIds.poll();
                if (queued != null) {
                    return queued;
                }
                return String.format(Locale.ROOT, "%016x%016x", random.nextLong() | 1L, random.nextLong() | 1L);
            }
        };
        this.provider = SdkTracerProvider.builder()
                .setResource(resource)
                .setIdGenerator(ids)
                .addSpanProcessor(SimpleSpanProcessor.create(collecting))
                .build();
        this.tracer = provider.tracerBuilder(scopeName).setInstrumentationVersion(scopeVersion).build();
    }

    /** A fixture whose spans come from service {@code serviceName} (plus a deployment attribute). */
    public static SdkSpans forService(String serviceName) {
        Resource resource = Resource.create(Attributes.builder()
                .put("service.name", serviceName)
                .put("deployment.environment.name", "test")
                .build());
        return new SdkSpans(resource, "io.tokenmeter.test", "1.2.3");
    }

    /** The SDK tracer, for spans the helpers do not cover. */
    public Tracer tracer() {
        return tracer;
    }

    /** The next root span gets this trace id (32 lowercase hex digits). */
    public SdkSpans nextTraceId(String traceIdHex) {
        queuedTraceIds.add(traceIdHex);
        return this;
    }

    /** Starts a root span at {@code T0 + startOffset}. */
    public Span startRoot(String name, SpanKind kind, Duration startOffset) {
        return tracer.spanBuilder(name).setNoParent().setSpanKind(kind)
                .setStartTimestamp(T0.plus(startOffset)).startSpan();
    }

    /** Records one LLM call as a finished span, child of {@code parent} (or a root when null). */
    public Span record(Span parent, LlmCall call) {
        SpanBuilder builder = tracer.spanBuilder(call.spanName()).setSpanKind(SpanKind.CLIENT)
                .setStartTimestamp(T0.plus(call.startOffset()));
        if (parent == null) {
            builder.setNoParent();
        } else {
            builder.setParent(Context.root().with(parent));
        }
        AttributesBuilder attributes = Attributes.builder();
        call.attributes().accept(attributes);
        builder.setAllAttributes(attributes.build());
        Span span = builder.startSpan();
        for (LlmCall.Event event : call.events()) {
            span.addEvent(event.name(), event.attributes(), T0.plus(call.startOffset()).plusMillis(1));
        }
        if (call.error() != null) {
            span.setStatus(StatusCode.ERROR, call.error());
        }
        span.end(T0.plus(call.startOffset()).plus(call.duration()));
        return span;
    }

    /** Ends a span at {@code T0 + endOffset}. */
    public static void end(Span span, Duration endOffset) {
        span.end(T0.plus(endOffset));
    }

    /** Every span finished so far, as the SDK exported it. */
    public List<SpanData> finished() {
        synchronized (finished) {
            return List.copyOf(finished);
        }
    }

    /** Every span finished so far, as one OTLP {@code TracesData} batch. */
    public TracesData tracesData() {
        return toTracesData(finished());
    }

    /** Encodes SDK spans with the SDK's own OTLP marshaler and parses the bytes as {@code TracesData}. */
    public static TracesData toTracesData(Collection<SpanData> spans) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            TraceRequestMarshaler.create(spans).writeBinaryTo(out);
            return TracesData.parseFrom(out.toByteArray());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        provider.shutdown().join(10, TimeUnit.SECONDS);
    }

    /** Convenience for attribute keys in tests. */
    public static AttributeKey<String> key(String name) {
        return AttributeKey.stringKey(name);
    }
}
