package io.tokenmeter.sink;

import com.google.protobuf.ByteString;
import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.TracesData;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The sink side in one place, for the topology to call per enriched batch: sample (errors,
 * unpriced, costly and slow calls always kept), drop prompt/completion content, then map each
 * kept span to its document. Stateless and thread-safe.
 *
 * <pre>{@code
 * SpanDocuments docs = new SpanDocuments(SinkSettings.fromEnvironment(System.getenv()));
 * for (SpanDocument d : docs.fromBatch(enrichedTracesData)) {
 *     // produce to llm-span-docs: key d.id(), value d.json()
 * }
 * }</pre>
 */
public final class SpanDocuments {

    private final SinkSettings settings;
    private final SinkSampler sampler;
    private final ContentRedactor redactor;
    private final SpanDocumentMapper mapper;

    public SpanDocuments(SinkSettings settings) {
        this.settings = settings;
        this.sampler = new SinkSampler(settings.sampling());
        this.redactor = ContentRedactor.allowing(settings.contentAllowList());
        this.mapper = SpanDocumentMapper.of(settings);
    }

    public SinkSettings settings() {
        return settings;
    }

    /** Whether (and why) a span becomes a document. */
    public SinkSampler.Decision decide(Span span) {
        return sampler.decide(span);
    }

    /**
     * The documents for every kept span of a batch, in batch order. A child span whose root
     * travels in the same batch carries the root's trace group (Trace Analytics groups by it);
     * Collector batches keyed by trace id ({@code partition_traces_by_id}) usually hold whole traces.
     */
    public List<SpanDocument> fromBatch(TracesData batch) {
        Map<ByteString, TraceGroup> roots = new HashMap<>();
        int spans = 0;
        for (ResourceSpans rs : batch.getResourceSpansList()) {
            for (ScopeSpans ss : rs.getScopeSpansList()) {
                for (Span span : ss.getSpansList()) {
                    spans++;
                    if (TraceGroup.isRoot(span)) {
                        roots.put(span.getTraceId(), TraceGroup.ofRoot(span));
                    }
                }
            }
        }
        List<SpanDocument> documents = new ArrayList<>(spans);
        for (ResourceSpans rs : batch.getResourceSpansList()) {
            for (ScopeSpans ss : rs.getScopeSpansList()) {
                for (Span span : ss.getSpansList()) {
                    if (sampler.decide(span).kept()) {
                        TraceGroup group = TraceGroup.isRoot(span) ? TraceGroup.ofRoot(span) : roots.get(span.getTraceId());
                        documents.add(mapper.map(rs.getResource(), ss.getScope(), redactor.redact(span), group));
                    }
                }
            }
        }
        return documents;
    }

    /** The document for one span, or empty when sampling drops it. */
    public Optional<SpanDocument> fromSpan(Resource resource, InstrumentationScope scope, Span span) {
        if (!sampler.decide(span).kept()) {
            return Optional.empty();
        }
        return Optional.of(mapper.map(resource, scope, redactor.redact(span)));
    }
}
