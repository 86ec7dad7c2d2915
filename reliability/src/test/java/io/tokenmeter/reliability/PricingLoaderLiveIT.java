package io.tokenmeter.reliability;

import static io.tokenmeter.testing.TopologyHarness.dbl;
import static io.tokenmeter.testing.TopologyHarness.str;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.tokenmeter.loader.PricingLoader;
import io.tokenmeter.otlp.OtlpIds;
import io.tokenmeter.pricing.PriceCard;
import io.tokenmeter.pricing.PriceCardKey;
import io.tokenmeter.testing.SdkSpans;
import io.tokenmeter.testing.SharedData;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * Issue 3's end-to-end check: pricing-loader loads the August LiteLLM snapshot, then the September
 * one, into the pricing topic while the packaged topology runs. For models whose price changed
 * between the snapshots, a span ending after the new card's {@code effective_from} is priced with
 * the new card, and one ending before it with the old card; the expected costs are computed from
 * the snapshot files themselves.
 */
class PricingLoaderLiveIT {
  private static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);
  private static final Path AUGUST = SharedData.pricing("litellm-2025-08-07.json");
  private static final Path SEPTEMBER = SharedData.pricing("litellm-2025-09-01.json");
  /** deepinfra models whose per-token prices changed between the snapshots (input and output; output only). */
  private static final List<String> CHANGED = List.of("meta-llama/Llama-2-70b-chat-hf", "mistralai/Mixtral-8x7B-Instruct-v0.1");

  @Test
  void shouldPriceSpansWithTheCardInForceAtTheirEndAcrossALiveLoaderUpdate() throws Exception {
    // Given the topology running, and pricing-loader loading the August snapshot
    Scenario s = Scenario.create("loader-live", Broker.shared(), 2);
    Verifier v = new Verifier(s);
    try (AppProcess app = AppProcess.start(s, "loader-live", s.newStateDir()).awaitReady(Runs.READY);
         SdkSpans sdk = new SdkSpans("rel-loader")) {
      long august = load(s, AUGUST);
      PricingTopicIT.awaitMetric(app, "tokenmeter_price_cards_loaded", august);

      // When it loads the September snapshot while the topology runs
      long september = load(s, SEPTEMBER);
      PricingTopicIT.awaitMetric(app, "tokenmeter_price_cards_loaded", august + september);
      Map<String, Instant> newCard = new HashMap<>();
      for (ConsumerRecord<byte[], byte[]> r : v.readAll(s.pricing)) {
        String key = new String(r.key(), StandardCharsets.UTF_8);
        Instant from = PriceCardKey.effectiveFrom(key);
        String model = PriceCardKey.model(key);
        if (!from.equals(PriceCard.BEGINNING_OF_TIME) && model.startsWith("deepinfra/")) {
          newCard.put(model.substring("deepinfra/".length()), from);
        }
      }
      System.out.printf("  loader: August wrote %d cards, September %d; new deepinfra cards %s%n", august, september, newCard);

      // and spans of those models end one minute before and one minute after the new card's effective_from
      Map<String, SpanData> before = new HashMap<>();
      Map<String, SpanData> after = new HashMap<>();
      List<ProducerRecord<String, byte[]>> records = new ArrayList<>();
      for (String model : CHANGED) {
        Instant from = newCard.get(model);
        assertThat(from).as("September card of deepinfra/%s", model).isNotNull();
        Attributes a = Attributes.builder().put("gen_ai.provider.name", "deepinfra").put("gen_ai.operation.name", "chat")
            .put("gen_ai.request.model", model).put("gen_ai.usage.input_tokens", 1000).put("gen_ai.usage.output_tokens", 500)
            .build();
        before.put(model, sdk.span("chat " + model, a, from.minus(Duration.ofMinutes(1))));
        after.put(model, sdk.span("chat " + model, a, from.plus(Duration.ofMinutes(1))));
        for (SpanData sd : List.of(before.get(model), after.get(model))) {
          records.add(new ProducerRecord<>(s.input, sd.getTraceId(), SdkSpans.otlp(sd)));
        }
      }
      try (KafkaProducer<String, byte[]> producer = s.producer()) {
        for (ProducerRecord<String, byte[]> r : records) {
          producer.send(r).get();
        }
      }
      Map<String, Span> out = awaitSpans(v, records.size());

      // Then each is priced with the card in force at its end, to the snapshot's own prices
      for (String model : CHANGED) {
        Span old = out.get(before.get(model).getSpanId());
        Span now = out.get(after.get(model).getSpanId());
        BigDecimal oldCost = cost(AUGUST, model);
        BigDecimal newCost = cost(SEPTEMBER, model);
        System.out.printf("  deepinfra/%s: before %s (USD %s, expected %s), after %s (USD %s, expected %s)%n", model,
            str(old, "gen_ai.cost.price_effective_from"), dbl(old, "gen_ai.cost.total_usd"), oldCost.toPlainString(),
            str(now, "gen_ai.cost.price_effective_from"), dbl(now, "gen_ai.cost.total_usd"), newCost.toPlainString());
        assertThat(oldCost).isNotEqualByComparingTo(newCost);
        assertThat(str(old, "gen_ai.cost.model_resolved")).isEqualTo("deepinfra/" + model);
        assertThat(str(old, "gen_ai.cost.price_effective_from")).isEqualTo("1970-01-01T00:00:00Z");
        assertThat(dbl(old, "gen_ai.cost.total_usd")).isCloseTo(oldCost.doubleValue(), within(1e-15));
        assertThat(str(now, "gen_ai.cost.price_effective_from")).isEqualTo(newCard.get(model).toString());
        assertThat(dbl(now, "gen_ai.cost.total_usd")).isCloseTo(newCost.doubleValue(), within(1e-15));
      }
    }
  }

  /** Runs pricing-loader in this JVM against the scenario's pricing topic; the number of records it wrote. */
  private static long load(Scenario s, Path snapshot) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli = new CommandLine(new PricingLoader());
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    int code = cli.execute("--source", snapshot.toString(), "--bootstrap-servers", s.broker.bootstrapServers(),
        "--topic", s.pricing, "--transactional-id", "loader-" + s.id, "--timeout", "30");
    assertThat(code).as("pricing-loader exit code; stderr:\n%s", err).isZero();
    return out.toString().lines().map(String::trim).filter(l -> l.startsWith("written "))
        .map(l -> Long.parseLong(l.substring("written".length()).trim().split("\\s+")[0])).findFirst()
        .orElseThrow(() -> new AssertionError("no 'written' line in the summary:\n" + out));
  }

  /** 1000 input and 500 output tokens at the snapshot's deepinfra prices. */
  private static BigDecimal cost(Path snapshot, String model) throws Exception {
    JsonNode entry = JSON.readTree(snapshot.toFile()).get("deepinfra/" + model);
    return entry.get("input_cost_per_token").decimalValue().multiply(BigDecimal.valueOf(1000))
        .add(entry.get("output_cost_per_token").decimalValue().multiply(BigDecimal.valueOf(500)));
  }

  private static Map<String, Span> awaitSpans(Verifier v, int n) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    Map<String, Span> bySpanId = new HashMap<>();
    while (bySpanId.size() < n && System.nanoTime() < deadline) {
      for (ConsumerRecord<byte[], byte[]> r : v.readAll(v.scenario().enriched)) {
        for (Span sp : Verifier.spans(r)) {
          bySpanId.put(OtlpIds.hex(sp.getSpanId()), sp);
        }
      }
      Thread.sleep(500);
    }
    assertThat(bySpanId).as("enriched spans").hasSize(n);
    return bySpanId;
  }
}
