package io.tokenmeter.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.common.Attributes;
import io.tokenmeter.pricing.PriceCard;
import io.tokenmeter.testing.SdkSpans;
import io.tokenmeter.testing.TopologyHarness;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Records that are not OTLP go to the dead-letter topic with a reason, and the stream goes on. */
class DeadLetterTest {
  private TopologyHarness harness;
  private SdkSpans sdk;

  @BeforeEach
  void setUp() {
    harness = new TopologyHarness();
    harness.loadSnapshot("litellm-2025-09-01.json", PriceCard.BEGINNING_OF_TIME);
    sdk = new SdkSpans("dlq-test");
  }

  @AfterEach
  void tearDown() {
    sdk.close();
    harness.close();
  }

  private byte[] goodRecord() {
    return SdkSpans.otlp(sdk.span("chat", Attributes.builder().put("gen_ai.provider.name", "openai")
        .put("gen_ai.request.model", "gpt-4o").put("gen_ai.usage.input_tokens", 10).build(),
        Instant.parse("2025-09-10T00:00:00Z")));
  }

  @Test
  void shouldDeadLetterEachKindOfPoisonPillWithItsReasonAndKeepGoing() {
    byte[] good = goodRecord();
    byte[] truncated = Arrays.copyOf(good, good.length / 2);
    // a valid protobuf message of another schema: field 7 (varint) = 150, field 9 (string) = "hi"
    byte[] otherProtobuf = {0x38, (byte) 0x96, 0x01, 0x4a, 0x02, 'h', 'i'};
    byte[] garbage = "\u0000\u0001garbage\u00ff".getBytes(StandardCharsets.ISO_8859_1);
    byte[] wrongTypes = "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"traceId\":\"5b8efff798038103d269b633813fc60c\",\"name\":{\"not\":\"a string\"}}]}]}]}"
        .getBytes(StandardCharsets.UTF_8);
    byte[] notJson = "{\"resourceSpans\": [".getBytes(StandardCharsets.UTF_8);

    // When poison pills arrive between good records
    harness.otlp.pipeInput("k1", good);
    harness.otlp.pipeInput("k2", truncated);
    harness.otlp.pipeInput("k3", otherProtobuf);
    harness.otlp.pipeInput("k4", garbage);
    harness.otlp.pipeInput("k5", wrongTypes);
    harness.otlp.pipeInput("k6", notJson);
    harness.otlp.pipeInput("k7", new byte[0]);
    harness.otlp.pipeInput("k8", goodRecord());

    // Then both good records are enriched and every bad one is counted under its reason.
    // (TopologyTestDriver does not capture the records Kafka Streams' DLQ support sends from the
    // deserializer; DeadLetterIT checks the dead-letter records and their headers on a real broker.)
    assertThat(harness.enrichedSpans()).hasSize(2);
    assertThat(harness.health.deadLetterTotal()).isEqualTo(6.0);
    for (String reason : List.of("invalid_protobuf", "not_otlp", "invalid_otlp_json", "invalid_json", "empty")) {
      assertThat(harness.health.deadLetterCount(reason)).as(reason).isGreaterThanOrEqualTo(1.0);
    }
    assertThat(harness.health.deadLetterCount("invalid_protobuf")).isEqualTo(2.0);
  }

  @Test
  void shouldDeadLetterRecordsOverTheSizeLimitWithoutDecodingThem() {
    try (TopologyHarness small = new TopologyHarness(java.util.Map.of(TokenmeterConfig.MAX_RECORD_BYTES, "2048"))) {
      byte[] big = new byte[4096];
      big[0] = 0x0a;

      small.otlp.pipeInput("big", big);

      assertThat(small.health.deadLetterCount("too_large")).isEqualTo(1.0);
      assertThat(small.enrichedSpans()).isEmpty();
    }
  }
}
