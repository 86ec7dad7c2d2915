package io.tokenmeter.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.sdk.trace.data.DelegatingSpanData;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.tokenmeter.app.TokenmeterConfig;
import io.tokenmeter.testing.SdkSpans;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.Test;

/**
 * Scenario 7: sentinel secrets in every prompt and completion attribute (and content event) the
 * common instrumentations write appear zero times in the sink topics (enriched spans and
 * documents), llm-metrics, llm-unpriced-models, the application's internal topics, its
 * {@code /metrics} and its log. The dead-letter topic keeps raw payloads by default (asserted
 * here, documented in README.md); a metadata-only mode awaits the topology.
 */
class RedactionIT {
  /** The sentinel's prefix is what is searched for: a truncated leak counts too. */
  static final String NEEDLE = "TMSECRET";

  /** Content attributes as the instrumentations name them (BRIEF sections 6 and 8). */
  static final List<String> CONTENT_ATTRIBUTES = List.of(
      // OpenTelemetry GenAI semantic conventions
      "gen_ai.input.messages", "gen_ai.output.messages", "gen_ai.system_instructions",
      "gen_ai.tool.call.arguments", "gen_ai.tool.call.result",
      // OpenLLMetry / Traceloop, OpenLIT
      "gen_ai.prompt.0.content", "gen_ai.completion.0.content", "gen_ai.prompt", "gen_ai.completion",
      "traceloop.entity.input", "traceloop.entity.output",
      // OpenInference
      "llm.input_messages.0.message.content", "llm.output_messages.0.message.content", "input.value", "output.value",
      "llm.prompts",
      // Vercel AI SDK
      "ai.prompt", "ai.prompt.messages", "ai.response.text", "ai.response.object", "ai.response.toolCalls",
      "ai.toolCall.args", "ai.toolCall.result");

  /** Content events: OTel GenAI (older conventions) and OpenLIT, name to attribute. */
  static final Map<String, String> CONTENT_EVENTS = Map.of(
      "gen_ai.content.prompt", "gen_ai.prompt",
      "gen_ai.content.completion", "gen_ai.completion",
      "gen_ai.user.message", "content",
      "gen_ai.choice", "message");

  static String sentinel() {
    return NEEDLE + "-" + UUID.randomUUID();
  }

  @Test
  void shouldKeepPromptsAndCompletionsOutOfSinksMetricsAndLogs() throws Exception {
    // Given the application with span documents on (every sink output), and LLM spans whose every
    // content attribute and content event holds a sentinel
    Scenario s = Scenario.create("redaction", Broker.shared(), 2).set(TokenmeterConfig.SINK_DOCS_ENABLED, "true");
    Run.with(s, 7, (w, v, app) -> {
      int sentinels = 0;
      for (int i = 0; i < 20; i++) {
        w.sendValid(3);
        List<SpanData> spans = contentTrace(w, i % 3 == 2 ? "rel-unknown" : "rel-large");
        sentinels += CONTENT_ATTRIBUTES.size() + CONTENT_EVENTS.size();
        w.sendTraces("content", spans);
      }
      // and one dead-lettered record holding content: a truncated copy of such a trace
      w.sendPoison("truncated protobuf holding content", "invalid_protobuf",
          Hostile.truncated(SdkSpans.otlp(contentTrace(w, "rel-large"))).value());
      Runs.awaitAllSpans(v, w, Runs.DRAIN);
      PoisonPillIT.awaitDeadLetters(v, s, 1, Duration.ofSeconds(30));
      Runs.closeWindows(v, w, Duration.ofSeconds(60));
      String metrics = app.scrape().text;
      app.stop();

      // When every output is searched for the sentinel
      Map<String, Integer> found = new LinkedHashMap<>();
      found.put("input topic (sanity: the test did inject)", occurrences(v.readAll(s.input)));
      for (String topic : List.of(s.enriched, s.docs, s.metrics, s.unpriced)) {
        found.put(topic, occurrences(v.readAll(topic)));
      }
      for (String internal : internalTopics(s)) {
        found.put(internal, occurrences(Verifier.readAll(s.broker, internal, "read_uncommitted")));
      }
      found.put("/metrics", count(metrics));
      found.put("application log", count(app.logText()));
      List<ConsumerRecord<byte[], byte[]>> dead = v.readAll(s.deadLetters);
      int deadLetterPayloads = dead.stream().mapToInt(r -> count(r.value())).sum();
      found.put(s.deadLetters + " (keys and headers)", occurrences(dead) - deadLetterPayloads);
      System.out.printf("  sentinels injected in %d attributes and events; occurrences found: %s; in dead-letter payloads"
          + " (documented exposure): %d%n", sentinels, found, deadLetterPayloads);

      // Then the sentinel is in the input and nowhere else; the dead letter holds the raw record (documented)
      assertThat(found.remove("input topic (sanity: the test did inject)")).isGreaterThanOrEqualTo(sentinels);
      assertThat(found).allSatisfy((where, n) -> assertThat(n).as("sentinel occurrences in %s", where).isZero());
      assertThat(deadLetterPayloads).as("raw payload in the dead letter (full mode, the default)").isPositive();
      v.verify("7 (redaction: " + sentinels + " sentinel attributes and events)", w).assertExact();
    });
  }

  /**
   * Proposed interface: {@code TOKENMETER_DEAD_LETTERS_PAYLOAD=metadata} writes dead letters
   * without the record's value and without Kafka Streams' exception message and stack trace headers
   * (they may quote the payload), keeping the reason, topic, partition, offset and exception class;
   * the log names the reason and the offset only.
   */
  @Test
  void shouldWriteMetadataOnlyDeadLettersWhenConfigured() throws Exception {
    Scenario s = Scenario.create("dlq-metadata", Broker.shared(), 2).env("TOKENMETER_DEAD_LETTERS_PAYLOAD", "metadata");
    Run.with(s, 9, (w, v, app) -> {
      String secret = sentinel();
      w.sendValid(5);
      w.sendPoison("truncated protobuf holding content", "invalid_protobuf",
          Hostile.truncated(SdkSpans.otlp(contentTrace(w, "rel-large"))).value());
      w.sendPoison("OTLP/JSON, prompt attribute as boolValue", "invalid_otlp_json", Hostile.jsonPromptWrongType(secret).value());
      Runs.awaitAllSpans(v, w, Runs.DRAIN);
      PoisonPillIT.awaitDeadLetters(v, s, 2, Duration.ofSeconds(30));
      app.stop();

      List<ConsumerRecord<byte[], byte[]>> dead = v.readAll(s.deadLetters);
      assertThat(dead).hasSize(2);
      assertThat(dead).allSatisfy(r -> {
        assertThat(r.value()).as("metadata-only dead letter value").isNull();
        assertThat(Verifier.header(r, Verifier.DLQ_REASON)).isNotBlank();
        assertThat(Verifier.header(r, Verifier.DLQ_TOPIC)).isEqualTo(s.input);
        assertThat(Verifier.header(r, Verifier.DLQ_PARTITION)).isNotBlank();
        assertThat(Verifier.header(r, Verifier.DLQ_OFFSET)).isNotBlank();
      });
      assertThat(occurrences(dead)).as("sentinel in metadata-only dead letters, headers included").isZero();
      assertThat(count(app.logText())).as("sentinel in the log").isZero();
    });
  }

  /**
   * A malformed OTLP/JSON record whose prompt attribute has the wrong type: today the decoder's
   * message quotes the value ({@code Invalid bool value: "<prompt>"}) and Kafka Streams' handler
   * logs it, so prompt content reaches the log. Awaits decode errors that name the field, not the value.
   */
  @Test
  void shouldKeepTheContentOfMalformedRecordsOutOfTheLog() throws Exception {
    Scenario s = Scenario.create("log-content", Broker.shared(), 2);
    Run.with(s, 10, (w, v, app) -> {
      w.sendPoison("OTLP/JSON, prompt attribute as boolValue", "invalid_otlp_json", Hostile.jsonPromptWrongType(sentinel()).value());
      w.flush();
      PoisonPillIT.awaitDeadLetters(v, s, 1, Duration.ofSeconds(30));
      app.stop();
      assertThat(count(app.logText())).as("sentinel occurrences in the log; log " + app.log).isZero();
    });
  }

  /** A trace whose LLM span carries a sentinel in every content attribute and content event. */
  static List<SpanData> contentTrace(Workload w, String model) {
    AttributesBuilder a = w.llmAttributes(model, "assistant").toBuilder();
    for (String key : CONTENT_ATTRIBUTES) {
      a.put(key, "[{\"role\":\"user\",\"content\":\"" + sentinel() + "\"}]");
    }
    List<SpanData> trace = w.sdk().trace("POST /assistant", Attributes.empty(), w.advance(Duration.ofMillis(50)),
        List.of(a.build()));
    List<SpanData> out = new ArrayList<>();
    for (SpanData sd : trace) {
      if (sd.getAttributes().get(AttributeKey.stringKey("gen_ai.request.model")) == null) {
        out.add(sd);
        continue;
      }
      List<EventData> events = new ArrayList<>();
      CONTENT_EVENTS.forEach((name, attribute) -> events.add(EventData.create(sd.getEndEpochNanos(), name,
          Attributes.of(AttributeKey.stringKey(attribute), sentinel()))));
      out.add(new DelegatingSpanData(sd) {
        @Override
        public List<EventData> getEvents() {
          return events;
        }

        @Override
        public int getTotalRecordedEvents() {
          return events.size();
        }
      });
    }
    return out;
  }

  static List<String> internalTopics(Scenario s) throws Exception {
    try (Admin admin = s.broker.admin()) {
      return admin.listTopics().names().get().stream().filter(t -> t.startsWith(s.applicationId + "-")).sorted().toList();
    }
  }

  /** Occurrences of the sentinel in the records' keys, values and headers. */
  static int occurrences(List<ConsumerRecord<byte[], byte[]>> records) {
    int n = 0;
    for (ConsumerRecord<byte[], byte[]> r : records) {
      n += count(r.key()) + count(r.value());
      for (Header h : r.headers()) {
        n += count(h.value());
      }
    }
    return n;
  }

  static int count(byte[] bytes) {
    return bytes == null ? 0 : count(new String(bytes, StandardCharsets.ISO_8859_1));
  }

  static int count(String text) {
    int n = 0;
    for (int i = text.indexOf(NEEDLE); i >= 0; i = text.indexOf(NEEDLE, i + 1)) {
      n++;
    }
    return n;
  }
}
