package io.tokenmeter.otlp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.ArrayValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.TracesData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.tokenmeter.demo.SampleTraffic;
import io.tokenmeter.sink.ContentRedactor;
import io.tokenmeter.testing.SdkSpans;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The wire-level batch must accept and reject exactly what protobuf's parser (the previous decoder)
 * accepts and rejects, and must write batches that parse to what the object path would have built.
 */
class OtlpBatchTest {
  private static final int MAX = 16 << 20;
  /** SDK-made records of the demo's traffic: every dialect, plain spans and LLM spans. */
  private static final List<byte[]> RECORDS = new ArrayList<>();

  @BeforeAll
  static void makeTraffic() {
    try (SdkSpans sdk = new SdkSpans("batch-test")) {
      SampleTraffic traffic = new SampleTraffic(sdk.tracer(), 7);
      for (int r = 0; r < 40; r++) {
        for (int t = 0; t < 1 + r % 5; t++) {
          traffic.emitOne();
        }
        RECORDS.add(SdkSpans.otlp(sdk.takeFinished()));
      }
    }
  }

  @Test
  void shouldDecodeExactlyTheSpansThatCarryGateKeysOrEvents() {
    int plain = 0;
    int decoded = 0;
    for (byte[] record : RECORDS) {
      // Given a real record
      // When it is decoded at the wire level
      OtlpBatch batch = OtlpBatch.decode(record, MAX);

      // Then a span is plain exactly when no attribute key starts with a gate prefix and it has no events
      List<Span> spans = allSpans(OtlpDecoder.decode(record, MAX));
      assertThat(batch.spanCount()).isEqualTo(spans.size());
      for (int i = 0; i < spans.size(); i++) {
        Span span = spans.get(i);
        boolean gated = span.getEventsCount() > 0 || span.getAttributesList().stream()
            .anyMatch(kv -> OtlpBatch.GATE_PREFIXES.stream().anyMatch(kv.getKey()::startsWith));
        assertThat(batch.isPlain(i)).as("span %s", span.getName()).isEqualTo(!gated);
        assertThat(batch.span(i)).isEqualTo(span);
        assertThat(Arrays.copyOfRange(batch.ids(), batch.traceIdOffset(i), batch.traceIdOffset(i) + 16))
            .isEqualTo(span.getTraceId().toByteArray());
        assertThat(Arrays.copyOfRange(batch.ids(), batch.spanIdOffset(i), batch.spanIdOffset(i) + 8))
            .isEqualTo(span.getSpanId().toByteArray());
        if (batch.isPlain(i)) {
          plain++;
        } else {
          decoded++;
        }
      }
    }
    // and the traffic had both kinds, so the assertions above covered both
    assertThat(plain).isPositive();
    assertThat(decoded).isPositive();
  }

  @Test
  void shouldGateEveryContentAttributeTheRedactorDrops() {
    // Given the content attributes the redactor drops (glob patterns)
    for (String pattern : ContentRedactor.CONTENT_ATTRIBUTES) {
      String literal = pattern.contains("*") ? pattern.substring(0, pattern.indexOf('*')) : pattern;
      // Then every key a pattern matches starts with a gate prefix, so a plain span has no content
      assertThat(OtlpBatch.GATE_PREFIXES).as(pattern).anyMatch(literal::startsWith);
    }
  }

  @Test
  void shouldWriteTheInputBackWhenEverySpanIsKept() {
    for (byte[] record : RECORDS) {
      // Given a batch
      OtlpBatch batch = OtlpBatch.decode(record, MAX);
      byte[][] keep = new byte[batch.spanCount()][];
      Arrays.fill(keep, OtlpBatch.KEEP);

      // When every span is kept as its bytes
      byte[] out = batch.write(keep);

      // Then the output is the input, byte for byte (the SDK writes no top-level unknown fields)
      assertThat(out).isEqualTo(record);
    }
  }

  @Test
  void shouldDropSpansScopesAndResourcesLeftEmptyAndReplaceChangedSpans() throws Exception {
    try (SdkSpans a = new SdkSpans("svc-a"); SdkSpans b = new SdkSpans("svc-b")) {
      // Given a batch of two resources
      Instant end = Instant.parse("2025-09-01T00:00:00Z");
      TracesData two = TracesData.newBuilder()
          .addAllResourceSpans(TracesData.parseFrom(SdkSpans.otlp(a.span("a1", Attributes.empty(), end),
              a.span("a2", Attributes.empty(), end))).getResourceSpansList())
          .addAllResourceSpans(TracesData.parseFrom(SdkSpans.otlp(b.span("b1", Attributes.empty(), end)))
              .getResourceSpansList())
          .build();
      OtlpBatch batch = OtlpBatch.decode(two.toByteArray(), MAX);
      assertThat(batch.resourceCount()).isEqualTo(2);
      Span renamed = batch.span(0).toBuilder().setName("a1-changed").build();

      // When a1 is replaced, a2 kept and b1 (alone in its resource) dropped
      byte[] out = batch.write(new byte[][] {renamed.toByteArray(), OtlpBatch.KEEP, null});

      // Then the second resource is gone and the first holds the changed and the kept span
      TracesData written = TracesData.parseFrom(out);
      assertThat(written.getResourceSpansCount()).isEqualTo(1);
      assertThat(written.getResourceSpans(0).getResource()).isEqualTo(two.getResourceSpans(0).getResource());
      assertThat(written.getResourceSpans(0).getScopeSpans(0).getScope())
          .isEqualTo(two.getResourceSpans(0).getScopeSpans(0).getScope());
      assertThat(written.getResourceSpans(0).getScopeSpans(0).getSpansList())
          .containsExactly(renamed, two.getResourceSpans(0).getScopeSpans(0).getSpans(1));
      // and nothing at all is written when every span is dropped
      assertThat(batch.write(new byte[3][])).isNull();
    }
  }

  @Test
  void shouldAcceptAndRejectExactlyWhatTheParserDoesOnMutatedRecords() {
    Random random = new Random(20261123);
    int accepted = 0;
    int rejected = 0;
    for (int n = 0; n < 6_000; n++) {
      // Given a real record with random damage: flipped bytes, a cut, or inserted bytes
      byte[] record = mutate(RECORDS.get(random.nextInt(RECORDS.size())), random);

      // When both decoders read it
      TracesData expected = null;
      String expectedReason = null;
      try {
        expected = OtlpDecoder.decode(record, MAX);
      } catch (OtlpDecodeException e) {
        expectedReason = e.reason();
      }
      OtlpBatch batch = null;
      String reason = null;
      try {
        batch = OtlpBatch.decode(record, MAX);
      } catch (OtlpDecodeException e) {
        reason = e.reason();
      }

      // Then they agree on the verdict and the reason, and a kept batch writes what the object path built
      assertThat(reason).as("record %d", n).isEqualTo(expectedReason);
      if (expected != null) {
        accepted++;
        byte[][] keep = new byte[batch.spanCount()][];
        Arrays.fill(keep, OtlpBatch.KEEP);
        assertThat(parse(batch.write(keep))).isEqualTo(withoutTopLevelUnknowns(expected));
        assertThat(batch.traces()).isEqualTo(expected);
      } else {
        rejected++;
      }
    }
    assertThat(accepted).isGreaterThan(500);
    assertThat(rejected).isGreaterThan(500);
  }

  @Test
  void shouldRejectInvalidUtf8InAPlainSpanAsTheParserDoes() {
    // Given a plain span whose attribute value is not UTF-8
    Span span = span("plain").addAttributes(KeyValue.newBuilder().setKey("http.route")
        .setValue(AnyValue.newBuilder().setStringValue("\u00e9XYZ"))).build();
    byte[] record = record(span).toByteArray();
    // (the builders refuse invalid UTF-8, so the bytes of "é" (C3 A9) become C3 28 on the wire)
    int at = indexOf(record, "\u00e9XYZ".getBytes(StandardCharsets.UTF_8));
    record[at + 1] = 0x28;

    // Then both decoders reject it as invalid protobuf
    assertThatThrownBy(() -> OtlpDecoder.decode(record, MAX)).isInstanceOf(OtlpDecodeException.class)
        .extracting(e -> ((OtlpDecodeException) e).reason()).isEqualTo("invalid_protobuf");
    assertThatThrownBy(() -> OtlpBatch.decode(record, MAX)).isInstanceOf(OtlpDecodeException.class)
        .extracting(e -> ((OtlpDecodeException) e).reason()).isEqualTo("invalid_protobuf");
  }

  @Test
  void shouldAgreeWithTheParserOnNestingAroundTheLimit() {
    for (int depth = 40; depth <= 70; depth++) {
      // Given a plain span with an attribute value nested `depth` arrays deep
      AnyValue value = AnyValue.newBuilder().setIntValue(1).build();
      for (int d = 0; d < depth; d++) {
        value = AnyValue.newBuilder().setArrayValue(ArrayValue.newBuilder().addValues(value)).build();
      }
      byte[] record = record(span("deep").addAttributes(KeyValue.newBuilder().setKey("nested").setValue(value)).build())
          .toByteArray();

      // Then both accept it, or both reject it for the same reason
      String expected = reasonOf(() -> OtlpDecoder.decode(record, MAX));
      String actual = reasonOf(() -> OtlpBatch.decode(record, MAX));
      assertThat(actual).as("depth %d", depth).isEqualTo(expected);
    }
    // and the range covered both verdicts
    AnyValue value = AnyValue.newBuilder().setIntValue(1).build();
    for (int d = 0; d < 70; d++) {
      value = AnyValue.newBuilder().setArrayValue(ArrayValue.newBuilder().addValues(value)).build();
    }
    byte[] tooDeep = record(span("deep").addAttributes(KeyValue.newBuilder().setKey("n").setValue(value)).build()).toByteArray();
    assertThat(reasonOf(() -> OtlpBatch.decode(tooDeep, MAX))).isEqualTo("invalid_protobuf");
  }

  @Test
  void shouldDecodeOtlpJsonToTheSameBatchAsProtobuf() {
    try (SdkSpans sdk = new SdkSpans("json")) {
      // Given the same spans as OTLP/JSON and as protobuf
      SpanData span = sdk.span("chat", Attributes.builder().put("gen_ai.request.model", "gpt-4o").build(),
          Instant.parse("2025-09-01T00:00:00Z"));

      // When both are decoded
      OtlpBatch fromJson = OtlpBatch.decode(SdkSpans.otlpJson(span), MAX);
      OtlpBatch fromProto = OtlpBatch.decode(SdkSpans.otlp(span), MAX);

      // Then they hold the same spans and ids
      assertThat(fromJson.traces()).isEqualTo(fromProto.traces());
      assertThat(fromJson.traceIdHex(0)).isEqualTo(span.getTraceId());
      assertThat(fromJson.isPlain(0)).isFalse();
    }
  }

  @Test
  void shouldRejectWrongIdLengthsAndEmptyBatchesWithTheDecodersReasons() {
    // Given a plain span with a 4-byte trace id, and a batch without spans
    byte[] shortId = record(span("x").setTraceId(ByteString.copyFrom(new byte[4])).build()).toByteArray();
    byte[] noSpans = TracesData.newBuilder().addResourceSpans(ResourceSpans.newBuilder()
        .addScopeSpans(ScopeSpans.getDefaultInstance())).build().toByteArray();

    // Then both are not OTLP, as the object decoder says
    for (byte[] record : List.of(shortId, noSpans, "garbage that is no protobuf".getBytes(StandardCharsets.UTF_8))) {
      assertThat(reasonOf(() -> OtlpBatch.decode(record, MAX))).isEqualTo(reasonOf(() -> OtlpDecoder.decode(record, MAX)))
          .isNotNull();
    }
  }

  private static Span.Builder span(String name) {
    byte[] trace = new byte[16];
    byte[] id = new byte[8];
    trace[0] = 1;
    id[0] = 2;
    return Span.newBuilder().setName(name).setTraceId(ByteString.copyFrom(trace)).setSpanId(ByteString.copyFrom(id))
        .setStartTimeUnixNano(1).setEndTimeUnixNano(2);
  }

  private static TracesData record(Span span) {
    return TracesData.newBuilder().addResourceSpans(ResourceSpans.newBuilder()
        .addScopeSpans(ScopeSpans.newBuilder().addSpans(span))).build();
  }

  private static int indexOf(byte[] haystack, byte[] needle) {
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      if (Arrays.equals(haystack, i, i + needle.length, needle, 0, needle.length)) {
        return i;
      }
    }
    throw new AssertionError("not found");
  }

  private static String reasonOf(Runnable decode) {
    try {
      decode.run();
      return null;
    } catch (OtlpDecodeException e) {
      return e.reason();
    }
  }

  private static byte[] mutate(byte[] in, Random random) {
    byte[] out;
    switch (random.nextInt(4)) {
      case 0 -> { // flip a few bytes
        out = in.clone();
        for (int k = 0; k < 1 + random.nextInt(3); k++) {
          out[random.nextInt(out.length)] = (byte) random.nextInt(256);
        }
      }
      case 1 -> out = Arrays.copyOf(in, 1 + random.nextInt(in.length)); // cut
      case 2 -> { // insert random bytes
        int at = random.nextInt(in.length);
        byte[] ins = new byte[1 + random.nextInt(4)];
        random.nextBytes(ins);
        out = new byte[in.length + ins.length];
        System.arraycopy(in, 0, out, 0, at);
        System.arraycopy(ins, 0, out, at, ins.length);
        System.arraycopy(in, at, out, at + ins.length, in.length - at);
      }
      default -> { // flip one bit
        out = in.clone();
        int at = random.nextInt(out.length);
        out[at] ^= (byte) (1 << random.nextInt(8));
      }
    }
    return out;
  }

  private static TracesData withoutTopLevelUnknowns(TracesData data) {
    return data.toBuilder().setUnknownFields(com.google.protobuf.UnknownFieldSet.getDefaultInstance()).build();
  }

  private static TracesData parse(byte[] bytes) {
    try {
      return TracesData.parseFrom(bytes);
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw new AssertionError(e);
    }
  }

  private static List<Span> allSpans(TracesData data) {
    List<Span> spans = new ArrayList<>();
    data.getResourceSpansList().forEach(rs -> rs.getScopeSpansList().forEach(ss -> spans.addAll(ss.getSpansList())));
    return spans;
  }
}
