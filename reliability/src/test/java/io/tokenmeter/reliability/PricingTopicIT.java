package io.tokenmeter.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import io.tokenmeter.pricing.PriceCard;
import io.tokenmeter.pricing.PriceCardCodec;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

/**
 * Scenario 6: faults on the pricing topic while the application runs. Bad versions of a card in
 * force (malformed JSON, negative prices, a body that contradicts its key, an oversized card), a
 * card with an empty key and a tombstone with a malformed key are rejected and counted, and the last
 * good version stays in force; a tombstone retracts a card; a burst of updates while spans flow
 * neither stops the application nor changes the price of a span it should not change.
 */
class PricingTopicIT {
  private static final Instant BEFORE_ALL_SPANS = Workload.T0.minus(Duration.ofDays(1));
  private static final Instant FUTURE = Instant.parse("2030-01-01T00:00:00Z");
  private static final BigDecimal[] SMALL_NOW = {new BigDecimal("0.0000002"), new BigDecimal("0.0000007")};

  @Test
  void shouldRejectBadCardsKeepTheLastGoodOneAndSurviveABurst() throws Exception {
    // Given the application running with the suite's cards, and a newer good card of rel-small in force for every span
    Scenario s = Scenario.create("pricing", Broker.shared(), 2);
    PriceCard good = card("rel-small", BEFORE_ALL_SPANS, SMALL_NOW[0], SMALL_NOW[1]);
    Map<String, BigDecimal[]> prices = new HashMap<>(Workload.PRICES);
    prices.put("rel-small", SMALL_NOW);
    Run.with(s, 6, prices, (w, v, app) -> {
      s.publishCards(good);
      awaitMetric(app, "tokenmeter_price_cards_loaded", 3);

      // When bad versions of that same card and other malformed records arrive on the pricing topic
      String key = good.key();
      s.publishPricingRaw(key, "{\"model\": \"rel-small\", \"prices\": {".getBytes(StandardCharsets.UTF_8));
      s.publishPricingRaw(key, PriceCardCodec.toBytes(card("rel-small", BEFORE_ALL_SPANS, new BigDecimal("-0.000001"),
          new BigDecimal("0.000002"))));
      s.publishPricingRaw(key, PriceCardCodec.toBytes(card("rel-large", BEFORE_ALL_SPANS, BigDecimal.ONE.movePointLeft(9),
          BigDecimal.ONE.movePointLeft(9))));
      s.publishPricingRaw(key, ("{\"model\":\"rel-small\",\"source\":\"" + "x".repeat(300 * 1024) + "\"}")
          .getBytes(StandardCharsets.UTF_8));
      // (a record without a key cannot reach a compacted topic: the broker refuses it; an empty key can)
      s.publishPricingRaw("", PriceCardCodec.toBytes(card("rel-small", BEFORE_ALL_SPANS, BigDecimal.ZERO, BigDecimal.ZERO)));
      s.publishPricingRaw("no-effective-date", null);
      int rejectsInjected = 6;
      awaitMetric(app, "tokenmeter_price_cards_rejected_total", rejectsInjected);

      // and spans flow while a burst of 300 new future-dated cards and 100 rewrites of one key arrive,
      // after which one of the new cards is retracted by a tombstone
      int burst = 300;
      try (Runs.Traffic traffic = new Runs.Traffic(w, 4); KafkaProducer<String, byte[]> producer = s.producer()) {
        for (int i = 0; i < burst; i++) {
          PriceCard c = card("rel-burst", FUTURE.plus(Duration.ofMinutes(i)), new BigDecimal("0.000001"),
              new BigDecimal("0.000002"));
          producer.send(new ProducerRecord<>(s.pricing, c.key(), PriceCardCodec.toBytes(c)));
          if (i < 100) {
            PriceCard again = card("rel-small", FUTURE, new BigDecimal(i + 1).movePointLeft(8), new BigDecimal("0.000001"));
            producer.send(new ProducerRecord<>(s.pricing, again.key(), PriceCardCodec.toBytes(again)));
          }
          if (i % 50 == 0) {
            producer.flush();
            Thread.sleep(200);
          }
        }
        producer.send(new ProducerRecord<>(s.pricing, card("rel-burst", FUTURE, null, null).key(), null)).get();
        Runs.awaitProgress(s, app, 40, Duration.ofSeconds(60));
      }
      int loaded = 2 + 1 + burst + 1 - 1;
      awaitMetric(app, "tokenmeter_price_cards_loaded", loaded);
      Runs.awaitAllSpans(v, w, Runs.DRAIN);
      Runs.closeWindows(v, w, Duration.ofSeconds(60));

      // Then the application kept running, counted exactly the rejects, holds the right cards,
      Prometheus m = app.scrape();
      System.out.printf("  pricing: rejects injected %d, counted %.0f; cards loaded %.0f (expected %d)%n", rejectsInjected,
          m.sum("tokenmeter_price_cards_rejected_total"), m.sum("tokenmeter_price_cards_loaded"), loaded);
      assertThat(app.httpStatus("/health/ready")).isEqualTo(200);
      assertThat(m.sum("tokenmeter_price_cards_rejected_total")).isEqualTo(rejectsInjected);
      assertThat(m.sum("tokenmeter_price_cards_loaded")).isEqualTo(loaded);
      app.stop();
      // and every span was priced with the last good card (the verifier's cost recomputation uses it)
      v.verify("6 (pricing topic: 6 bad records, 1 tombstone, burst of " + (burst + 100) + " updates)", w).assertExact();
    });
  }

  static PriceCard card(String model, Instant from, BigDecimal input, BigDecimal output) {
    Map<String, BigDecimal> p = new HashMap<>();
    if (input != null) {
      p.put("input", input);
      p.put("output", output);
    }
    return new PriceCard(model, Workload.PROVIDER, "chat", "USD", from, "reliability", p, null, null, null);
  }

  /** Waits until the scraped metric (summed over its labels) equals {@code want}. */
  static void awaitMetric(AppProcess app, String name, double want) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    double have;
    while ((have = app.scrape().sum(name)) != want) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError(name + " is " + have + ", expected " + want + "; log " + app.log);
      }
      Thread.sleep(200);
    }
  }
}
