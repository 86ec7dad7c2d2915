package io.tokenmeter.loader;

import static io.tokenmeter.loader.Fixtures.schedule;
import static io.tokenmeter.loader.Fixtures.catalog;
import static org.assertj.core.api.Assertions.assertThat;

import io.tokenmeter.pricing.PriceCardCodec;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PricingPlanTest {
  private static final String AUGUST = """
      {"gpt-4o": {"input_cost_per_token": 2.5e-06, "output_cost_per_token": 1e-05, "litellm_provider": "openai"},
       "llama-2-70b": {"input_cost_per_token": 7e-07, "output_cost_per_token": 9e-07, "litellm_provider": "deepinfra"}}""";
  private static final String SEPTEMBER = """
      {"gpt-4o": {"input_cost_per_token": 2.5e-06, "output_cost_per_token": 1e-05, "litellm_provider": "openai"},
       "llama-2-70b": {"input_cost_per_token": 6.4e-07, "output_cost_per_token": 8e-07, "litellm_provider": "deepinfra"},
       "gpt-5": {"input_cost_per_token": 1.25e-06, "output_cost_per_token": 1e-05, "litellm_provider": "openai"}}""";

  private static final Instant AUG_RUN = Instant.parse("2025-08-07T06:00:00Z");
  private static final Instant SEP_RUN = Instant.parse("2025-09-01T06:00:00Z");

  /** Everything written so far, in order: the topic. */
  private final List<PricingPlan.Write> log = new ArrayList<>();

  private PricingPlan run(PriceSchedule schedule, Instant runTime, Instant effectiveFrom, boolean retract) {
    TopicState topic = new TopicState();
    for (PricingPlan.Write w : log) {
      topic.apply(w.key().getBytes(StandardCharsets.UTF_8), w.card() == null ? null : PriceCardCodec.toBytes(w.card()));
    }
    PricingPlan plan = PricingPlan.compute(topic, schedule, runTime, effectiveFrom, retract, Set.of());
    log.addAll(plan.writes());
    return plan;
  }

  private PricingPlan run(PriceSchedule schedule, Instant runTime) {
    return run(schedule, runTime, null, false);
  }

  private static List<String> keys(PricingPlan plan) {
    return plan.writes().stream().map(PricingPlan.Write::key).toList();
  }

  @Test
  void shouldWriteFirstCardsFromTheBeginningOfTimeThenOnlyChangesAtTheRunTime() throws Exception {
    // Given an empty topic loaded with August
    PricingPlan first = run(schedule(catalog(AUGUST), ""), AUG_RUN);

    // When September is loaded
    PricingPlan second = run(schedule(catalog(SEPTEMBER), ""), SEP_RUN);

    // Then August's cards start at the beginning of time, September adds gpt-5 (first card: also
    // from the beginning of time) and changes llama from the run on
    assertThat(keys(first)).containsExactly("gpt-4o@1970-01-01T00:00:00Z", "llama-2-70b@1970-01-01T00:00:00Z");
    assertThat(first.added()).isEqualTo(2);
    assertThat(keys(second)).containsExactly("gpt-5@1970-01-01T00:00:00Z", "llama-2-70b@2025-09-01T06:00:00Z");
    assertThat(second.added()).isEqualTo(1);
    assertThat(second.changed()).isEqualTo(1);
    assertThat(second.unchanged()).isEqualTo(1);
    PricingPlan.Write llama = second.writes().get(1);
    assertThat(llama.change()).isEqualTo(PricingPlan.Change.CHANGED);
    assertThat(llama.previous().price("input")).isEqualByComparingTo("0.0000007");
    assertThat(llama.card().price("input")).isEqualByComparingTo("0.00000064");
    assertThat(CardDiff.changes(llama.previous(), llama.card()))
        .isEqualTo("input 0.0000007 -> 0.00000064, output 0.0000009 -> 0.0000008");
  }

  @Test
  void shouldWriteNothingWhenRunTwiceWithTheSameInput() throws Exception {
    // Given a topic loaded with September, with overrides that carry dates
    String yaml = """
        discounts:
          - {provider: openai, percent: 20, effective_from: 2025-08-15}
        models:
          my-llama: {prices: {input: "0.0000001"}, effective_from: 2025-12-01}
        aliases:
          gpt-4o: [prod]
        """;
    run(schedule(catalog(SEPTEMBER), yaml), SEP_RUN);

    // When the same input is loaded again a day later
    PricingPlan again = run(schedule(catalog(SEPTEMBER), yaml), SEP_RUN.plusSeconds(86_400));

    // Then nothing is written
    assertThat(again.writes()).isEmpty();
    assertThat(again.unchanged()).isEqualTo(4);
  }

  @Test
  void shouldGiveADatedDiscountItsOwnCardSoEarlierSpansKeepTheListPrice() throws Exception {
    // Given an empty topic and 20% off OpenAI from August 15th
    PriceSchedule schedule = schedule(catalog(SEPTEMBER), "discounts: [{provider: openai, percent: 20, effective_from: 2025-08-15}]");

    // When it is loaded
    PricingPlan plan = run(schedule, SEP_RUN);

    // Then gpt-4o gets its list price from the beginning of time and the discount from its date
    assertThat(keys(plan)).contains("gpt-4o@1970-01-01T00:00:00Z", "gpt-4o@2025-08-15T00:00:00Z");
    assertThat(plan.writes().get(1).card().price("input")).isEqualByComparingTo("0.000002");
    assertThat(plan.added()).isEqualTo(3);
  }

  @Test
  void shouldDateADiscountAddedLaterAtItsOwnDateWhenItIsTheWholeChange() throws Exception {
    // Given September on the topic at list price
    run(schedule(catalog(SEPTEMBER), ""), SEP_RUN);

    // When a discount from September 10th is added on the 12th, and one from October is scheduled
    PricingPlan plan = run(schedule(catalog(SEPTEMBER), """
        discounts:
          - {model: gpt-4o, percent: 10, effective_from: 2025-09-10}
          - {model: gpt-4o, percent: 25, effective_from: 2025-10-01}
        """), Instant.parse("2025-09-12T08:00:00Z"));

    // Then the discount takes effect at its own date (not the run's), the scheduled one is written ahead
    assertThat(keys(plan)).containsExactly("gpt-4o@2025-09-10T00:00:00Z", "gpt-4o@2025-10-01T00:00:00Z");
    assertThat(plan.writes().get(0).card().price("input")).isEqualByComparingTo("0.00000225");
    assertThat(plan.writes().get(1).card().price("input")).isEqualByComparingTo("0.000001875");
    assertThat(plan.changed()).isEqualTo(1);
  }

  @Test
  void shouldRepriceAScheduledCardWhenTheCatalogChangesBeforeItsDate() throws Exception {
    // Given gpt-4o on the topic with a 50% discount scheduled for December
    String yaml = "discounts: [{model: gpt-4o, percent: 50, effective_from: 2025-12-01}]";
    run(schedule(catalog(SEPTEMBER), yaml), SEP_RUN);

    // When the catalog halves gpt-4o's list price in November
    PricingPlan plan = run(schedule(catalog(SEPTEMBER.replace("2.5e-06", "1.25e-06")), yaml),
        Instant.parse("2025-11-03T00:00:00Z"));

    // Then the new list price applies from the run and December's card is re-priced on the new list price
    assertThat(keys(plan)).containsExactly("gpt-4o@2025-11-03T00:00:00Z", "gpt-4o@2025-12-01T00:00:00Z");
    assertThat(plan.writes().get(0).card().price("input")).isEqualByComparingTo("0.00000125");
    assertThat(plan.writes().get(1).card().price("input")).isEqualByComparingTo("0.000000625");
  }

  @Test
  void shouldUseAnExplicitEffectiveDateForFirstAndChangedCards() throws Exception {
    // Given August loaded as of August 1st
    Instant aug1 = Instant.parse("2025-08-01T00:00:00Z");
    PricingPlan first = run(schedule(catalog(AUGUST), ""), AUG_RUN, aug1, false);

    // When September is loaded as of September 1st
    Instant sep1 = Instant.parse("2025-09-01T00:00:00Z");
    PricingPlan second = run(schedule(catalog(SEPTEMBER), ""), SEP_RUN, sep1, false);

    // Then every card carries the given date
    assertThat(keys(first)).containsExactly("gpt-4o@2025-08-01T00:00:00Z", "llama-2-70b@2025-08-01T00:00:00Z");
    assertThat(keys(second)).containsExactly("gpt-5@2025-09-01T00:00:00Z", "llama-2-70b@2025-09-01T00:00:00Z");
  }

  @Test
  void shouldRetractModelsMissingFromTheSourceOnlyWhenAsked() throws Exception {
    // Given September on the topic and llama changed once
    run(schedule(catalog(AUGUST), ""), AUG_RUN);
    run(schedule(catalog(SEPTEMBER), ""), SEP_RUN);
    String withoutLlama = """
        {"gpt-4o": {"input_cost_per_token": 2.5e-06, "output_cost_per_token": 1e-05, "litellm_provider": "openai"},
         "gpt-5": {"input_cost_per_token": 1.25e-06, "output_cost_per_token": 1e-05, "litellm_provider": "openai"}}""";

    // When llama disappears from the source: once without, once with --retract-missing
    PricingPlan kept = run(schedule(catalog(withoutLlama), ""), SEP_RUN.plusSeconds(60));
    PricingPlan retracted = run(schedule(catalog(withoutLlama), ""), SEP_RUN.plusSeconds(120), null, true);

    // Then it is only reported first, then every one of its cards is tombstoned
    assertThat(kept.writes()).isEmpty();
    assertThat(kept.missing()).containsExactly("llama-2-70b");
    assertThat(retracted.retracted()).isEqualTo(1);
    assertThat(retracted.writes()).extracting(PricingPlan.Write::key, w -> w.card())
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("llama-2-70b@1970-01-01T00:00:00Z", null),
            org.assertj.core.groups.Tuple.tuple("llama-2-70b@2025-09-01T06:00:00Z", null));
    assertThat(run(schedule(catalog(withoutLlama), ""), SEP_RUN.plusSeconds(180), null, true).writes()).isEmpty();
  }

  @Test
  void shouldKeepInvalidEntriesOutOfTheMissing() throws Exception {
    // Given September on the topic
    run(schedule(catalog(SEPTEMBER), ""), SEP_RUN);
    TopicState topic = new TopicState();
    log.forEach(w -> topic.apply(w.key().getBytes(StandardCharsets.UTF_8), PriceCardCodec.toBytes(w.card())));

    // When llama is skipped as invalid and kept
    PricingPlan plan = PricingPlan.compute(topic, schedule(catalog(SEPTEMBER.replace("6.4e-07", "\"n/a\"")), ""),
        SEP_RUN.plusSeconds(60), null, true, Set.of("llama-2-70b"));

    // Then it is neither retracted nor missing, and nothing else changed
    assertThat(plan.retracted()).isZero();
    assertThat(plan.missing()).isEmpty();
    assertThat(plan.writes()).isEmpty();
    assertThat(plan.unchanged()).isEqualTo(2);
  }
}
