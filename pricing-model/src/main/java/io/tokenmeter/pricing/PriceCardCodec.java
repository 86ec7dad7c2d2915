package io.tokenmeter.pricing;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.std.ToStringSerializer;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * JSON form of price cards on the {@code llm-pricing} topic. Reading is strict: every card is
 * validated ({@link #validate}) so a malformed or negative card is rejected with a message that
 * names it, never half-applied.
 */
public final class PriceCardCodec {
  /** Currencies a card may declare. Only USD is billed; anything else is rejected, not guessed. */
  public static final Set<String> CURRENCIES = Set.of(PriceCard.USD);

  /** Cards are small; anything larger than this is hostile input, not a card. */
  public static final int MAX_CARD_BYTES = 256 * 1024;

  private static final ObjectMapper MAPPER = newMapper();

  private PriceCardCodec() {}

  /** A mapper configured for the card contract: decimals as strings, instants as ISO text. */
  public static ObjectMapper newMapper() {
    SimpleModule decimals = new SimpleModule("tokenmeter-decimals");
    decimals.addSerializer(BigDecimal.class, new PlainDecimalSerializer());
    decimals.addSerializer(Instant.class, ToStringSerializer.instance);
    decimals.addDeserializer(Instant.class, new InstantDeserializer());
    JsonMapper mapper =
        JsonMapper.builder()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .addModule(decimals)
            .build();
    mapper.getFactory().setStreamReadConstraints(
        StreamReadConstraints.builder().maxNestingDepth(32).maxNumberLength(64).build());
    return mapper;
  }

  public static ObjectMapper mapper() {
    return MAPPER;
  }

  public static byte[] toBytes(PriceCard card) {
    try {
      return MAPPER.writeValueAsBytes(card);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialise price card " + card.key(), e);
    }
  }

  public static String toJson(PriceCard card) {
    return new String(toBytes(card), StandardCharsets.UTF_8);
  }

  /**
   * Parses and validates one card. {@code key}, when given, must agree with the card's model and
   * effective date.
   */
  public static PriceCard parse(String key, byte[] json) {
    String name = key == null ? "price card" : "price card '" + key + "'";
    if (json.length > MAX_CARD_BYTES) {
      throw new InvalidPriceCardException(List.of(name + ": " + json.length + " bytes, over " + MAX_CARD_BYTES));
    }
    PriceCard card;
    try {
      card = MAPPER.readValue(json, PriceCard.class);
    } catch (IOException | RuntimeException e) {
      throw new InvalidPriceCardException(name + ": not a valid card: " + firstLine(e.getMessage()), e);
    }
    if (card == null) {
      throw new InvalidPriceCardException(List.of(name + ": empty document"));
    }
    List<String> problems = validate(card);
    if (key != null && problems.isEmpty()) {
      try {
        String keyModel = PriceCardKey.model(key);
        Instant keyFrom = PriceCardKey.effectiveFrom(key);
        if (!keyModel.equals(card.model()) || !keyFrom.equals(card.effectiveFrom())) {
          problems.add(name + ": key does not match model '" + card.model() + "' and effective_from "
              + card.effectiveFrom());
        }
      } catch (IllegalArgumentException e) {
        problems.add(e.getMessage());
      }
    }
    if (!problems.isEmpty()) {
      throw new InvalidPriceCardException(problems);
    }
    return card;
  }

  /** Every problem with a card, each naming the card; empty when the card is valid. */
  public static List<String> validate(PriceCard card) {
    List<String> problems = new ArrayList<>();
    String name = "price card '" + (card.model() == null ? "?" : card.model()) + "'";
    if (card.model() == null || card.model().isBlank()) {
      problems.add(name + ": model is missing");
    }
    if (!CURRENCIES.contains(card.currency())) {
      problems.add(name + ": unknown currency '" + card.currency() + "' (supported: " + CURRENCIES + ")");
    }
    if (card.prices().isEmpty() && card.tiers().isEmpty() && card.serviceTiers().isEmpty()) {
      problems.add(name + ": has no prices");
    }
    checkPrices(name, "prices", card.prices(), problems);
    for (PriceTier tier : card.tiers()) {
      if (tier.aboveInputTokens() <= 0) {
        problems.add(name + ": tier above_input_tokens must be positive, got " + tier.aboveInputTokens());
      }
      checkPrices(name, "tiers[above " + tier.aboveInputTokens() + "]", tier.prices(), problems);
    }
    card.serviceTiers().forEach((tier, prices) -> checkPrices(name, "service_tiers." + tier, prices, problems));
    return problems;
  }

  private static void checkPrices(String name, String where, Map<String, BigDecimal> prices, List<String> problems) {
    prices.forEach((kind, price) -> {
      if (kind == null || kind.isBlank()) {
        problems.add(name + ": " + where + " has a price without a kind");
      } else if (price == null) {
        problems.add(name + ": " + where + "." + kind + " is null");
      } else if (price.signum() < 0) {
        problems.add(name + ": " + where + "." + kind + " is negative (" + price.toPlainString() + ")");
      } else if (price.compareTo(BigDecimal.ONE) > 0) {
        // No model costs more than a dollar per token; this is a per-million price typed by mistake.
        problems.add(name + ": " + where + "." + kind + " is " + price.toPlainString()
            + " USD per token, more than 1 (prices are per token, not per million)");
      }
    });
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "unreadable";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }

  private static final class PlainDecimalSerializer
      extends com.fasterxml.jackson.databind.ser.std.StdSerializer<BigDecimal> {
    PlainDecimalSerializer() {
      super(BigDecimal.class);
    }

    @Override
    public void serialize(BigDecimal value, com.fasterxml.jackson.core.JsonGenerator gen,
        com.fasterxml.jackson.databind.SerializerProvider provider) throws IOException {
      gen.writeString(value.toPlainString());
    }
  }

  private static final class InstantDeserializer
      extends com.fasterxml.jackson.databind.deser.std.StdScalarDeserializer<Instant> {
    InstantDeserializer() {
      super(Instant.class);
    }

    @Override
    public Instant deserialize(JsonParser p, com.fasterxml.jackson.databind.DeserializationContext ctxt)
        throws IOException {
      String text = p.getValueAsString();
      try {
        return Instant.parse(text);
      } catch (DateTimeParseException | NullPointerException e) {
        throw ctxt.weirdStringException(text, Instant.class, "expected an ISO-8601 instant such as 2025-09-01T00:00:00Z");
      }
    }
  }
}
