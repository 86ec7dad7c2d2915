package io.tokenmeter.loader;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.deser.std.StdScalarDeserializer;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.tokenmeter.pricing.PriceCard;
import io.tokenmeter.pricing.PriceTier;
import java.io.IOException;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * The overrides file (YAML, see {@code examples/overrides.yaml}): percentage discounts by provider
 * or model, explicit prices for custom or self-hosted models, and aliases. Parsing is strict
 * (unknown fields, duplicate keys, non-numeric prices are errors naming the entry); what the entries
 * refer to is checked against the catalog by {@link PriceSchedule}.
 */
record Overrides(List<Discount> discounts, Map<String, CustomModel> models, Map<String, List<String>> aliases) {

  static final Overrides NONE = new Overrides(null, null, null);

  Overrides {
    discounts = discounts == null ? List.of() : new ArrayList<>(discounts);
    models = models == null ? Map.of() : new TreeMap<>(models);
    aliases = aliases == null ? Map.of() : new TreeMap<>(aliases);
  }

  /**
   * A percentage off every price of a catalog model (base, long-context tiers, service tiers).
   * Names either a provider ({@code litellm_provider}) or a model; from {@code effectiveFrom} on
   * (from the beginning of time when absent).
   */
  record Discount(String provider, String model, BigDecimal percent, Instant effectiveFrom) {
    String target() {
      return model != null ? "model " + model : "provider " + provider;
    }
  }

  /** Explicit prices for a model the catalog does not have (or whose catalog price you replace). */
  record CustomModel(
      String provider,
      String mode,
      String currency,
      Map<String, BigDecimal> prices,
      List<PriceTier> tiers,
      Map<String, Map<String, BigDecimal>> serviceTiers,
      Instant effectiveFrom) {

    PriceCard card(String model, String source) {
      return new PriceCard(model, provider, mode, currency, effectiveFrom, source, prices, tiers, serviceTiers, List.of());
    }
  }

  private static final ObjectMapper YAML = yamlMapper();

  private static ObjectMapper yamlMapper() {
    SimpleModule instants = new SimpleModule("tokenmeter-overrides-dates");
    instants.addDeserializer(Instant.class, new InstantDeserializer());
    return YAMLMapper.builder()
        .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
        .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
        .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
        .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
        .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
        .addModule(instants)
        .build();
  }

  /** Parses an overrides document; {@code name} (the file) prefixes every message. */
  static Overrides parse(String name, byte[] yaml) {
    try (JsonParser parser = YAML.createParser(yaml)) {
      if (parser.nextToken() == null) {
        return NONE; // an empty file (or only comments): nothing to override
      }
      Overrides o = YAML.readValue(parser, Overrides.class);
      return o == null ? NONE : o;
    } catch (JsonProcessingException e) {
      throw LoaderException.invalid(name + ": " + describe(e));
    } catch (IOException e) {
      throw LoaderException.invalid(name + ": cannot parse: " + e.getMessage());
    }
  }

  /** An ISO-8601 instant ({@code 2025-10-01T00:00:00Z}) or a date ({@code 2025-10-01}, midnight UTC). */
  static Instant parseInstant(String text) {
    String t = Objects.requireNonNull(text, "date").trim();
    try {
      return t.length() == 10 ? LocalDate.parse(t).atStartOfDay(ZoneOffset.UTC).toInstant() : Instant.parse(t);
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException(
          "'" + text + "' is not a date (2025-10-01) or an ISO-8601 instant (2025-10-01T00:00:00Z)", e);
    }
  }

  /** {@code discounts[1].percnt: unknown field (expected one of ...) (line 5, column 5)} */
  private static String describe(JsonProcessingException e) {
    String where = "";
    String what = firstLine(e.getOriginalMessage());
    if (e instanceof JsonMappingException m) {
      String path = m.getPath().stream()
          .map(r -> r.getFieldName() != null ? "." + r.getFieldName() : "[" + r.getIndex() + "]")
          .collect(Collectors.joining())
          .replaceFirst("^\\.", "");
      where = path.isEmpty() ? "" : path + ": ";
      if (e instanceof UnrecognizedPropertyException u) {
        List<String> known = new ArrayList<>();
        u.getKnownPropertyIds().forEach(k -> known.add(String.valueOf(k)));
        known.sort(null);
        what = "unknown field (expected one of " + String.join(", ", known) + ")";
      }
    } else {
      what = "not valid YAML: " + what;
    }
    return where + what + (e.getLocation() == null ? ""
        : " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")");
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "unreadable";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }

  private static final class InstantDeserializer extends StdScalarDeserializer<Instant> {
    InstantDeserializer() {
      super(Instant.class);
    }

    @Override
    public Instant deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
      String text = p.getValueAsString();
      try {
        return parseInstant(text);
      } catch (IllegalArgumentException | NullPointerException e) {
        throw ctxt.weirdStringException(text, Instant.class,
            "expected a date (2025-10-01) or an ISO-8601 instant (2025-10-01T00:00:00Z)");
      }
    }
  }
}
