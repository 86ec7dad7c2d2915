package io.tokenmeter.loader;

import io.tokenmeter.pricing.PriceCard;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.NavigableSet;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What a run writes: the difference between the cards on the topic and the {@link PriceSchedule}.
 *
 * <p>Per model, the loader checks the price at a few points in time and writes a card wherever the
 * card the topic has in force there does not bill the same ({@link PriceCard#samePricesAs}):
 * <ul>
 *   <li>a model without cards: from the beginning of time (or {@code --effective-from}), then at
 *       every later date of its overrides;
 *   <li>a model with cards: at the run time (or {@code --effective-from}), or at the date of a
 *       dated override that came into force since its current card when that override is the whole
 *       difference; then at every later date of its overrides and of its cards already on the topic
 *       (so a price scheduled ahead is kept consistent with a catalog change made before it).
 * </ul>
 * A second run with the same input writes nothing, because after the first one the topic bills
 * exactly like the schedule at every one of those points.
 */
final class PricingPlan {
  enum Change { ADDED, CHANGED, RETRACTED }

  /** One record: a card, or a tombstone ({@code card == null}); {@code previous} is what it replaces. */
  record Write(Change change, String key, PriceCard card, PriceCard previous) {}

  private final List<Write> writes;
  private final int added;
  private final int changed;
  private final int unchanged;
  private final int retracted;
  private final List<String> missing;

  private PricingPlan(List<Write> writes, int added, int changed, int unchanged, int retracted, List<String> missing) {
    this.writes = List.copyOf(writes);
    this.added = added;
    this.changed = changed;
    this.unchanged = unchanged;
    this.retracted = retracted;
    this.missing = List.copyOf(missing);
  }

  /**
   * @param runTime the run's time, truncated to seconds
   * @param effectiveFrom {@code --effective-from}, truncated to seconds, or null
   * @param retractMissing whether models on the topic but no longer in the schedule are retracted
   * @param keep models absent from the schedule that must not count as missing (invalid source entries
   *     skipped with {@code --skip-invalid}: their last good price stays)
   */
  static PricingPlan compute(TopicState topic, PriceSchedule schedule, Instant runTime, Instant effectiveFrom,
      boolean retractMissing, Set<String> keep) {
    List<Write> writes = new ArrayList<>();
    int added = 0;
    int changed = 0;
    int unchanged = 0;
    Instant asOf = effectiveFrom != null ? effectiveFrom : runTime;
    Set<String> wanted = schedule.models();
    for (String model : wanted) {
      NavigableMap<Instant, TopicState.Stored> onTopic = topic.cards(model);
      TreeMap<Instant, PriceCard> projected = new TreeMap<>();
      onTopic.forEach((from, stored) -> projected.put(from, stored.card()));
      NavigableSet<Instant> dates = schedule.changeDates(model);
      TreeSet<Instant> points = new TreeSet<>();
      if (onTopic.isEmpty()) {
        Instant start = effectiveFrom != null ? effectiveFrom : PriceCard.BEGINNING_OF_TIME;
        points.add(start);
        points.addAll(dates.tailSet(start, false));
      } else {
        points.add(nowPoint(model, schedule, projected, asOf, dates));
        points.addAll(dates.tailSet(asOf, false));
        points.addAll(projected.tailMap(asOf, false).keySet());
      }
      Change change = onTopic.isEmpty() ? Change.ADDED : Change.CHANGED;
      int before = writes.size();
      for (Instant point : points) {
        PriceCard expected = schedule.cardAt(model, point);
        Map.Entry<Instant, PriceCard> actual = projected.floorEntry(point);
        PriceCard previous = actual == null ? null : actual.getValue();
        if (expected != null && !expected.samePricesAs(previous)) {
          PriceCard card = expected.withEffectiveFrom(point);
          writes.add(new Write(change, card.key(), card, previous));
          projected.put(point, card);
        }
      }
      if (writes.size() == before) {
        unchanged++;
      } else if (change == Change.ADDED) {
        added++;
      } else {
        changed++;
      }
    }

    List<String> missing = new ArrayList<>();
    int retracted = 0;
    for (String model : topic.models()) {
      if (wanted.contains(model) || keep.contains(model)) {
        continue;
      }
      if (retractMissing) {
        retracted++;
        topic.cards(model).values().forEach(s -> writes.add(new Write(Change.RETRACTED, s.key(), null, s.card())));
      } else {
        missing.add(model);
      }
    }
    return new PricingPlan(writes, added, changed, unchanged, retracted, missing);
  }

  /**
   * Where a changed price of a model with cards takes effect: at the run (or
   * {@code --effective-from}), unless an override dated since the current card explains the whole
   * change, in which case at that override's date.
   */
  private static Instant nowPoint(String model, PriceSchedule schedule, NavigableMap<Instant, PriceCard> projected,
      Instant asOf, NavigableSet<Instant> dates) {
    Map.Entry<Instant, PriceCard> current = projected.floorEntry(asOf);
    Instant dated = dates.floor(asOf);
    if (current != null && dated != null && dated.isAfter(current.getKey())
        && current.getValue().samePricesAs(schedule.cardAt(model, dated.minusSeconds(1)))) {
      return dated;
    }
    return asOf;
  }

  List<Write> writes() {
    return writes;
  }

  int added() {
    return added;
  }

  int changed() {
    return changed;
  }

  int unchanged() {
    return unchanged;
  }

  int retracted() {
    return retracted;
  }

  /** Models on the topic that the source no longer has, kept because retraction was not asked for. */
  List<String> missing() {
    return Collections.unmodifiableList(missing);
  }
}
