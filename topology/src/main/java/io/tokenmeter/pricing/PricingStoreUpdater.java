package io.tokenmeter.pricing;

import io.tokenmeter.metrics.HealthMetrics;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.TimestampedKeyValueStore;
import org.apache.kafka.streams.state.ValueAndTimestamp;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies {@code llm-pricing} to the global store and the in-memory {@link PriceBook}. A card that
 * fails validation is rejected and counted, and the last good version stays in force: a bad
 * update never unprices a model. A null value retracts the card with that key.
 */
public final class PricingStoreUpdater implements Processor<String, byte[], Void, Void> {
  private static final Logger LOG = LoggerFactory.getLogger(PricingStoreUpdater.class);

  private final String storeName;
  private final PriceBook book;
  private final HealthMetrics health;
  private TimestampedKeyValueStore<String, byte[]> store;

  public PricingStoreUpdater(String storeName, PriceBook book, HealthMetrics health) {
    this.storeName = storeName;
    this.book = book;
    this.health = health;
  }

  @Override
  public void init(ProcessorContext<Void, Void> context) {
    store = context.getStateStore(storeName);
    // The store was restored from the topic before init; rebuild the in-memory view from it.
    int loaded = 0;
    try (KeyValueIterator<String, ValueAndTimestamp<byte[]>> it = store.all()) {
      while (it.hasNext()) {
        var kv = it.next();
        if (kv.value == null || kv.value.value() == null) {
          continue;
        }
        if (apply(kv.key, kv.value.value(), kv.value.timestamp())) {
          loaded++;
        }
      }
    }
    LOG.info("Price book restored: {} cards for {} models", loaded, book.models());
    health.priceCardsLoaded(book);
  }

  @Override
  public void process(Record<String, byte[]> record) {
    String key = record.key();
    if (key == null) {
      health.priceCardRejected();
      LOG.warn("Rejected a price card without a key");
      return;
    }
    if (record.value() == null) {
      try {
        book.remove(PriceCardKey.model(key), PriceCardKey.effectiveFrom(key));
        store.delete(key);
        LOG.info("Retracted price card {}", key);
      } catch (IllegalArgumentException e) {
        health.priceCardRejected();
        LOG.warn("Rejected a retraction: {}", e.getMessage());
      }
    } else if (apply(key, record.value(), record.timestamp())) {
      store.put(key, ValueAndTimestamp.make(record.value(), record.timestamp()));
    }
    health.priceCardsLoaded(book);
  }

  private boolean apply(String key, byte[] value, long timestamp) {
    try {
      PriceCard card = PriceCardCodec.parse(key, value);
      book.put(card, timestamp);
      return true;
    } catch (InvalidPriceCardException e) {
      health.priceCardRejected();
      LOG.warn("Rejected price card (the previous version stays in force): {}", e.getMessage());
      return false;
    }
  }

}
