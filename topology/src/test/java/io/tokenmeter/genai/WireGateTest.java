package io.tokenmeter.genai;

import static org.assertj.core.api.Assertions.assertThat;

import io.tokenmeter.otlp.OtlpBatch;
import org.junit.jupiter.api.Test;

/** Spans the wire-level gate passes through as bytes are never normalised: the gate must cover every LLM key. */
class WireGateTest {
  @Test
  void shouldDecodeEverySpanTheNormaliserCouldRecognise() {
    // Given the key prefixes without which the normaliser sees no LLM call
    for (String prefix : DialectNormalizer.LLM_KEY_PREFIXES) {
      // Then every key with such a prefix also starts with a gate prefix, so its span is decoded
      assertThat(OtlpBatch.GATE_PREFIXES).as(prefix).anyMatch(prefix::startsWith);
    }
  }
}
