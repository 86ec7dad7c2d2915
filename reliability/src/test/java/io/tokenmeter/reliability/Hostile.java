package io.tokenmeter.reliability;

import com.google.protobuf.ByteString;
import com.google.protobuf.Struct;
import com.google.protobuf.Timestamp;
import com.google.protobuf.Value;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.logs.v1.LogsData;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.ScopeLogs;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.MetricsData;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.TracesData;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;

/**
 * Hostile input records, each with the dead-letter reason the topology documents for it
 * ({@code io.tokenmeter.otlp.OtlpDecoder}: {@code empty}, {@code too_large}, {@code invalid_protobuf},
 * {@code not_otlp}, {@code invalid_json}, {@code invalid_otlp_json}).
 */
final class Hostile {
  /** A hostile record: what it is, its bytes, the dead-letter reason it must get. */
  record Pill(String label, byte[] value, String reason) {}

  private static final String TRACE = "0123456789abcdef0123456789abcdef";
  private static final String SPAN = "0123456789abcdef";

  private Hostile() {}

  static Pill garbage(long seed) {
    byte[] b = new byte[200];
    new Random(seed).nextBytes(b);
    return new Pill("garbage bytes (200 random)", b, "invalid_protobuf");
  }

  static Pill garbageText() {
    return new Pill("garbage bytes (text and NUL)", "garbage\u0000not protobuf\u00ff".getBytes(StandardCharsets.ISO_8859_1),
        "invalid_protobuf");
  }

  /** A real OTLP record cut in half. */
  static Pill truncated(byte[] validOtlp) {
    return new Pill("truncated protobuf", Arrays.copyOf(validOtlp, validOtlp.length / 2), "invalid_protobuf");
  }

  /** Valid protobuf of another message: none of its fields is resource_spans. */
  static Pill timestamp() {
    return new Pill("valid protobuf, not OTLP (google.protobuf.Timestamp)",
        Timestamp.newBuilder().setSeconds(1_757_505_600L).setNanos(5).build().toByteArray(), "not_otlp");
  }

  /**
   * Valid protobuf of another message whose bytes also parse as a TracesData: a
   * {@code google.protobuf.Struct} {model: "gpt-4o"} reads as one resource_spans with a resource of
   * unknown fields and one scope_spans whose schema_url is "gpt-4o", and no span.
   */
  static Pill struct() {
    return new Pill("valid protobuf, not OTLP (google.protobuf.Struct)", Struct.newBuilder()
        .putFields("model", Value.newBuilder().setStringValue("gpt-4o").build()).build().toByteArray(), "not_otlp");
  }

  /** OTLP metrics sent to the spans topic (a Collector pipeline wired to the wrong topic). */
  static Pill otlpMetrics() {
    return new Pill("valid protobuf, OTLP metrics instead of traces", MetricsData.newBuilder()
        .addResourceMetrics(ResourceMetrics.newBuilder().addScopeMetrics(ScopeMetrics.newBuilder()
            .addMetrics(Metric.newBuilder().setName("http.server.request.duration").setUnit("s"))))
        .build().toByteArray(), "not_otlp");
  }

  /** OTLP logs sent to the spans topic. */
  static Pill otlpLogs() {
    return new Pill("valid protobuf, OTLP logs instead of traces", LogsData.newBuilder()
        .addResourceLogs(ResourceLogs.newBuilder().addScopeLogs(ScopeLogs.newBuilder()
            .addLogRecords(LogRecord.newBuilder().setTimeUnixNano(1).setBody(AnyValue.newBuilder().setStringValue("hello")))))
        .build().toByteArray(), "not_otlp");
  }

  private static String jsonSpan(String fields) {
    return "{\"resourceSpans\":[{\"resource\":{\"attributes\":[{\"key\":\"service.name\",\"value\":{\"stringValue\":\"hostile\"}}]},"
        + "\"scopeSpans\":[{\"spans\":[{\"traceId\":\"" + TRACE + "\",\"spanId\":\"" + SPAN + "\",\"name\":\"chat\"," + fields
        + "}]}]}]}";
  }

  static Pill jsonWrongTime() {
    return new Pill("OTLP/JSON, startTimeUnixNano a word", jsonSpan("\"startTimeUnixNano\":\"not-a-number\"")
        .getBytes(StandardCharsets.UTF_8), "invalid_otlp_json");
  }

  static Pill jsonSpansNotArray() {
    return new Pill("OTLP/JSON, spans an object", ("{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":{\"name\":\"x\"}}]}]}")
        .getBytes(StandardCharsets.UTF_8), "invalid_otlp_json");
  }

  static Pill jsonTraceIdNumber() {
    return new Pill("OTLP/JSON, traceId a number", ("{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"traceId\":12345,"
        + "\"spanId\":\"" + SPAN + "\",\"name\":\"x\"}]}]}]}").getBytes(StandardCharsets.UTF_8), "invalid_otlp_json");
  }

  static Pill jsonIntValueText(String text) {
    return new Pill("OTLP/JSON, intValue a word", jsonSpan("\"attributes\":[{\"key\":\"gen_ai.usage.input_tokens\","
        + "\"value\":{\"intValue\":\"" + text + "\"}}]").getBytes(StandardCharsets.UTF_8), "invalid_otlp_json");
  }

  /** OTLP/JSON whose prompt attribute has the wrong type: the value is content. */
  static Pill jsonPromptWrongType(String content) {
    return new Pill("OTLP/JSON, prompt attribute as boolValue", jsonSpan("\"attributes\":[{\"key\":\"gen_ai.prompt.0.content\","
        + "\"value\":{\"boolValue\":\"" + content + "\"}}]").getBytes(StandardCharsets.UTF_8), "invalid_otlp_json");
  }

  static Pill notJson() {
    return new Pill("invalid JSON", "{\"resourceSpans\": [ {oops".getBytes(StandardCharsets.UTF_8), "invalid_json");
  }

  static Pill empty() {
    return new Pill("empty value", new byte[0], "empty");
  }

  /**
   * AnyValue kvlists nested {@code depth} deep in a span attribute, deeper than the decoder's
   * recursion limit (64). Encoded by hand, inside out: protobuf-java's own serializer recurses and
   * would overflow the test's stack long before a hostile client's encoder does.
   */
  static Pill deepProtobuf(int depth) {
    byte[] value = concat(new byte[] {0x0A, 4}, "leaf".getBytes(StandardCharsets.UTF_8)); // AnyValue{string_value}
    for (int i = 0; i < depth; i++) {
      byte[] kv = concat(new byte[] {0x0A, 1, 'k'}, field(2, value)); // KeyValue{key, value}
      value = field(6, field(1, kv)); // AnyValue{kvlist_value: KeyValueList{values}}
    }
    byte[] attribute = concat(field(1, "deep".getBytes(StandardCharsets.UTF_8)), field(2, value));
    byte[] span = concat(oneSpan(Span.newBuilder().setName("deep")).getResourceSpans(0).getScopeSpans(0).getSpans(0)
        .toByteArray(), field(9, attribute)); // Span.attributes
    return new Pill("protobuf nested " + depth + " deep", field(1, field(2, field(2, span))), "invalid_protobuf");
  }

  /** A length-delimited protobuf field. */
  private static byte[] field(int number, byte[] payload) {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(payload.length + 8);
    out.write(number << 3 | 2);
    for (long n = payload.length; ; n >>>= 7) {
      if ((n & ~0x7FL) == 0) {
        out.write((int) n);
        break;
      }
      out.write((int) (n & 0x7F) | 0x80);
    }
    out.writeBytes(payload);
    return out.toByteArray();
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  /** JSON arrays nested deeper than the decoder's limit (128). */
  static Pill deepJson(int depth) {
    StringBuilder sb = new StringBuilder("{\"resourceSpans\":");
    sb.append("[".repeat(depth)).append("]".repeat(depth)).append('}');
    return new Pill("OTLP/JSON nested " + depth + " deep", sb.toString().getBytes(StandardCharsets.UTF_8), "invalid_json");
  }

  /** A span whose name holds bytes that are not UTF-8 (protobuf strings must be). */
  static Pill invalidUtf8() {
    String marker = "UTF8MARKER";
    byte[] b = oneSpan(Span.newBuilder().setName(marker)).toByteArray();
    int at = new String(b, StandardCharsets.ISO_8859_1).indexOf(marker);
    b[at] = (byte) 0xC3;
    b[at + 1] = (byte) 0x28;
    b[at + 2] = (byte) 0xFF;
    return new Pill("invalid UTF-8 in a span name", b, "invalid_protobuf");
  }

  /**
   * A hand-built OTLP record (what a buggy or hostile client sends; the SDK would cap attributes at
   * 128) of one LLM span of {@code service} ending at {@code endNanos}, lasting one second, with
   * the GenAI attributes and then {@code extra}.
   */
  static TracesData llmSpan(String service, String model, long endNanos, java.util.List<KeyValue> extra) {
    Span.Builder span = Span.newBuilder().setName("chat " + model).setKind(Span.SpanKind.SPAN_KIND_CLIENT)
        .setStartTimeUnixNano(endNanos - 1_000_000_000L).setEndTimeUnixNano(endNanos)
        .addAttributes(kv("gen_ai.provider.name", str(Workload.PROVIDER)))
        .addAttributes(kv("gen_ai.operation.name", str(Workload.OPERATION)))
        .addAttributes(kv("gen_ai.request.model", str(model)))
        .addAllAttributes(extra);
    TracesData d = oneSpan(span);
    return d.toBuilder().setResourceSpans(0, d.getResourceSpans(0).toBuilder().setResource(
        io.opentelemetry.proto.resource.v1.Resource.newBuilder().addAttributes(kv("service.name", str(service))))).build();
  }

  static KeyValue kv(String key, AnyValue value) {
    return KeyValue.newBuilder().setKey(key).setValue(value).build();
  }

  static AnyValue str(String v) {
    return AnyValue.newBuilder().setStringValue(v).build();
  }

  static AnyValue integer(long v) {
    return AnyValue.newBuilder().setIntValue(v).build();
  }

  static AnyValue dbl(double v) {
    return AnyValue.newBuilder().setDoubleValue(v).build();
  }

  /** {@code <trace id hex>/<span id hex>} of every span of the record, as the Workload names spans. */
  static java.util.List<String> ids(TracesData d) {
    java.util.List<String> out = new java.util.ArrayList<>();
    d.getResourceSpansList().forEach(rs -> rs.getScopeSpansList().forEach(ss -> ss.getSpansList().forEach(sp ->
        out.add(io.tokenmeter.otlp.OtlpIds.hex(sp.getTraceId()) + "/" + io.tokenmeter.otlp.OtlpIds.hex(sp.getSpanId())))));
    return out;
  }

  static TracesData oneSpan(Span.Builder span) {
    byte[] trace = new byte[16];
    byte[] id = new byte[8];
    new Random().nextBytes(trace);
    new Random().nextBytes(id);
    return TracesData.newBuilder().addResourceSpans(ResourceSpans.newBuilder()
        .addScopeSpans(ScopeSpans.newBuilder().addSpans(span.setTraceId(ByteString.copyFrom(trace))
            .setSpanId(ByteString.copyFrom(id))))).build();
  }
}
