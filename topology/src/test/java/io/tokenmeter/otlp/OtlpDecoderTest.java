package io.tokenmeter.otlp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.proto.trace.v1.TracesData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.tokenmeter.testing.SdkSpans;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class OtlpDecoderTest {

  @Test
  void shouldDecodeOtlpJsonWithHexIdsToTheSameMessageAsProtobuf() {
    try (SdkSpans sdk = new SdkSpans("json-test")) {
      // Given the same SDK spans encoded by the SDK as protobuf and as OTLP/JSON
      SpanData span = sdk.span("chat gpt-4o", Attributes.builder().put("gen_ai.request.model", "gpt-4o")
          .put("gen_ai.usage.input_tokens", 42).put("score", 0.5).put("ok", true).build(), Instant.parse("2025-09-01T00:00:00Z"));
      byte[] proto = SdkSpans.otlp(span);
      byte[] json = SdkSpans.otlpJson(span);
      assertThat(new String(json, StandardCharsets.UTF_8)).contains("\"traceId\":\"" + span.getTraceId() + "\"");

      // When both are decoded
      TracesData fromProto = OtlpDecoder.decode(proto, 1 << 20);
      TracesData fromJson = OtlpDecoder.decode(json, 1 << 20);

      // Then they are the same TracesData, ids included
      assertThat(fromJson).isEqualTo(fromProto);
      assertThat(OtlpIds.hex(fromJson.getResourceSpans(0).getScopeSpans(0).getSpans(0).getTraceId()))
          .isEqualTo(span.getTraceId());
    }
  }

  @Test
  void shouldRejectNestingDeeperThanTheLimit() {
    StringBuilder deep = new StringBuilder("{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"attributes\":[{\"key\":\"k\",\"value\":");
    for (int i = 0; i < 200; i++) {
      deep.append("{\"arrayValue\":{\"values\":[");
    }
    byte[] bytes = deep.toString().getBytes(StandardCharsets.UTF_8);

    assertThatThrownBy(() -> OtlpDecoder.decode(bytes, 1 << 20)).isInstanceOf(OtlpDecodeException.class);
  }

  @Test
  void shouldRejectNonHexIds() {
    byte[] json = "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"traceId\":\"not-hex\",\"name\":\"x\"}]}]}]}"
        .getBytes(StandardCharsets.UTF_8);

    assertThatThrownBy(() -> OtlpDecoder.decode(json, 1 << 20)).isInstanceOf(OtlpDecodeException.class)
        .hasMessageContaining("traceId 'not-hex' is not hex");
  }
}
