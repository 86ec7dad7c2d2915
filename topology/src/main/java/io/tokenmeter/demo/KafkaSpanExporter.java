package io.tokenmeter.demo;

import io.opentelemetry.exporter.internal.otlp.traces.TraceRequestMarshaler;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * An OpenTelemetry SDK span exporter that writes OTLP {@code TracesData} bytes, made by the SDK's
 * own OTLP marshaler, one record per trace keyed by trace id: what the Collector's kafka exporter
 * writes with {@code partition_traces_by_id}. The sink is any (key, bytes) consumer, so tests can
 * collect records and the demo can produce them to Kafka.
 */
public final class KafkaSpanExporter implements SpanExporter {
  /** Encoding of the records. */
  public enum Encoding { PROTOBUF, JSON }

  private final BiConsumer<String, byte[]> sink;
  private final Encoding encoding;

  public KafkaSpanExporter(BiConsumer<String, byte[]> sink, Encoding encoding) {
    this.sink = sink;
    this.encoding = encoding;
  }

  /** OTLP bytes for some spans, as the SDK's OTLP exporters would send them. */
  public static byte[] encode(Collection<SpanData> spans, Encoding encoding) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      TraceRequestMarshaler m = TraceRequestMarshaler.create(spans);
      if (encoding == Encoding.JSON) {
        m.writeJsonTo(out);
      } else {
        m.writeBinaryTo(out);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  @Override
  public CompletableResultCode export(Collection<SpanData> spans) {
    Map<String, List<SpanData>> byTrace = new LinkedHashMap<>();
    for (SpanData s : spans) {
      byTrace.computeIfAbsent(s.getTraceId(), t -> new ArrayList<>()).add(s);
    }
    try {
      byTrace.forEach((trace, group) -> sink.accept(trace, encode(group, encoding)));
      return CompletableResultCode.ofSuccess();
    } catch (RuntimeException e) {
      return CompletableResultCode.ofFailure();
    }
  }

  @Override
  public CompletableResultCode flush() {
    return CompletableResultCode.ofSuccess();
  }

  @Override
  public CompletableResultCode shutdown() {
    return CompletableResultCode.ofSuccess();
  }
}
