package io.tokenmeter.testing;

import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.tokenmeter.demo.KafkaSpanExporter;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * Telemetry fixtures made by the official OpenTelemetry SDK: spans are started and ended through
 * the SDK's tracer and encoded by its OTLP marshaler, never typed in as bytes.
 */
public final class SdkSpans implements AutoCloseable {
  private final List<SpanData> finished = new ArrayList<>();
  private final SdkTracerProvider provider;
  private final Tracer tracer;

  public SdkSpans(String serviceName) {
    provider = SdkTracerProvider.builder()
        .setResource(Resource.getDefault().merge(Resource.create(Attributes.builder().put("service.name", serviceName).build())))
        .addSpanProcessor(SimpleSpanProcessor.create(new SpanExporter() {
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
        }))
        .build();
    tracer = provider.get("tokenmeter-tests");
  }

  /** The SDK's tracer, for traffic generators such as the demo's {@code SampleTraffic}. */
  public Tracer tracer() {
    return tracer;
  }

  /** The spans finished since the last call, in the order they ended. */
  public List<SpanData> takeFinished() {
    synchronized (finished) {
      List<SpanData> out = List.copyOf(finished);
      finished.clear();
      return out;
    }
  }

  /** A finished client span with these attributes, ending at {@code end}. */
  public SpanData span(String name, Attributes attributes, Instant end) {
    return span(name, attributes, end, null, Context.root());
  }

  public SpanData errorSpan(String name, Attributes attributes, Instant end) {
    return span(name, attributes, end, StatusCode.ERROR, Context.root());
  }

  /** A span whose parent carries a W3C tracestate, e.g. {@code ot=th:e6666666666666}. */
  public SpanData sampledSpan(String name, Attributes attributes, Instant end, String otValue) {
    SpanContext parent = SpanContext.create(
        randomHex(32), randomHex(16), TraceFlags.getSampled(), TraceState.builder().put("ot", otValue).build());
    return span(name, attributes, end, null, Context.root().with(Span.wrap(parent)));
  }

  /** A parent span and children in one trace (for example Vercel AI's generateText and its steps). */
  public List<SpanData> trace(String parentName, Attributes parentAttributes, Instant end, List<Attributes> children) {
    Span parent = tracer.spanBuilder(parentName).setStartTimestamp(end.minusSeconds(2))
        .setAllAttributes(parentAttributes).startSpan();
    int before = finishedCount();
    Context ctx = Context.root().with(parent);
    for (Attributes child : children) {
      tracer.spanBuilder(parentName + ".doGenerate").setParent(ctx).setSpanKind(SpanKind.CLIENT)
          .setStartTimestamp(end.minusSeconds(1)).setAllAttributes(child).startSpan().end(end.minusMillis(100));
    }
    parent.end(end);
    synchronized (finished) {
      return List.copyOf(finished.subList(before, finished.size()));
    }
  }

  private SpanData span(String name, Attributes attributes, Instant end, StatusCode status, Context parent) {
    Span s = tracer.spanBuilder(name).setParent(parent).setSpanKind(SpanKind.CLIENT)
        .setStartTimestamp(end.minusMillis(750)).setAllAttributes(attributes).startSpan();
    if (status != null) {
      s.setStatus(status, "failed");
    }
    s.end(end);
    synchronized (finished) {
      return finished.get(finished.size() - 1);
    }
  }

  private int finishedCount() {
    synchronized (finished) {
      return finished.size();
    }
  }

  /** OTLP protobuf bytes of these spans, as the SDK's OTLP exporter (and the Collector) writes them. */
  public static byte[] otlp(SpanData... spans) {
    return KafkaSpanExporter.encode(List.of(spans), KafkaSpanExporter.Encoding.PROTOBUF);
  }

  public static byte[] otlp(List<SpanData> spans) {
    return KafkaSpanExporter.encode(spans, KafkaSpanExporter.Encoding.PROTOBUF);
  }

  /** OTLP/JSON bytes of these spans (hex ids), as the SDK's OTLP/HTTP JSON exporter writes them. */
  public static byte[] otlpJson(SpanData... spans) {
    return KafkaSpanExporter.encode(List.of(spans), KafkaSpanExporter.Encoding.JSON);
  }

  private static String randomHex(int len) {
    StringBuilder sb = new StringBuilder();
    java.util.concurrent.ThreadLocalRandom r = java.util.concurrent.ThreadLocalRandom.current();
    while (sb.length() < len) {
      sb.append(Integer.toHexString(r.nextInt(16)));
    }
    return sb.toString();
  }

  @Override
  public void close() {
    provider.close();
  }
}
