package io.tokenmeter.pricing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Maps LiteLLM's {@code model_prices_and_context_window.json} into price cards. Only per-token
 * prices are mapped; per-character, per-image, per-second and per-request prices cannot be billed
 * from token counts and are ignored. Entries with no per-token price are skipped with a reason.
 */
public final class LiteLlmCatalog {

  /** LiteLLM per-token field stems and the price kind each maps to. */
  private static final Map<String, String> STEMS = new LinkedHashMap<>();

  static {
    STEMS.put("input_cost_per_token", PriceKind.INPUT);
    STEMS.put("output_cost_per_token", PriceKind.OUTPUT);
    STEMS.put("cache_read_input_token_cost", PriceKind.CACHE_READ);
    STEMS.put("cache_creation_input_token_cost", PriceKind.CACHE_WRITE);
    STEMS.put("output_cost_per_reasoning_token", PriceKind.REASONING);
    STEMS.put("input_cost_per_audio_token", PriceKind.INPUT_AUDIO);
    STEMS.put("output_cost_per_audio_token", PriceKind.OUTPUT_AUDIO);
  }

  /**
   * stem, an optional 1-hour cache marker ({@code cache_creation_input_token_cost_above_1hr}, also
   * tiered as {@code ..._above_1hr_above_200k_tokens}), then an optional service tier and an
   * optional long-context threshold, in either order.
   */
  private static final Pattern FIELD = Pattern.compile(
      "^(" + String.join("|", STEMS.keySet()) + ")"
          + "(_above_1hr)?"
          + "(?:_(batches|flex|priority))?"
          + "(?:_above_(\\d+)k_tokens)?"
          + "(?:_(batches|flex|priority))?$");

  /** Fields with a meaning of their own that the pattern above does not express. */
  private static final Map<String, String> SPECIAL = Map.of(
      // DeepSeek publishes its cache-hit price under this name.
      "input_cost_per_token_cache_hit", PriceKind.CACHE_READ);

  /** LiteLLM names service tiers with suffixes; cards name them as the providers' APIs do. */
  private static final Map<String, String> SERVICE_TIERS =
      Map.of("batches", "batch", "flex", "flex", "priority", "priority");

  private LiteLlmCatalog() {}

  /** The result of mapping a catalog: the cards and the entries skipped, with their reasons. */
  public record Result(List<PriceCard> cards, Map<String, String> skipped) {
    /** How many entries were skipped for each reason. */
    public Map<String, Integer> skippedByReason() {
      Map<String, Integer> counts = new TreeMap<>();
      skipped.values().forEach(r -> counts.merge(r, 1, Integer::sum));
      return counts;
    }
  }

  public static Result read(InputStream json, String source, Instant effectiveFrom) throws IOException {
    ObjectMapper mapper = PriceCardCodec.newMapper();
    JsonNode root = mapper.readTree(json);
    if (root == null || !root.isObject()) {
      throw new IOException("a LiteLLM catalog is a JSON object of model entries; got "
          + (root == null ? "nothing" : root.getNodeType()));
    }
    return map(root, source, effectiveFrom);
  }

  public static Result map(JsonNode root, String source, Instant effectiveFrom) {
    List<PriceCard> cards = new ArrayList<>();
    Map<String, String> skipped = new TreeMap<>();
    Iterator<Map.Entry<String, JsonNode>> it = root.fields();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> e = it.next();
      String model = e.getKey();
      JsonNode entry = e.getValue();
      if ("sample_spec".equals(model)) {
        skipped.put(model, "sample_spec (documentation entry)");
        continue;
      }
      if (!entry.isObject()) {
        skipped.put(model, "not an object");
        continue;
      }
      try {
        PriceCard card = mapEntry(model, entry, source, effectiveFrom);
        if (card == null) {
          skipped.put(model, "no per-token price");
        } else {
          List<String> problems = PriceCardCodec.validate(card);
          if (problems.isEmpty()) {
            cards.add(card);
          } else {
            skipped.put(model, "invalid: " + String.join("; ", problems));
          }
        }
      } catch (NumberFormatException ex) {
        skipped.put(model, "invalid: non-numeric price" + (ex.getMessage() == null ? "" : " " + ex.getMessage()));
      }
    }
    return new Result(List.copyOf(cards), skipped);
  }

  static PriceCard mapEntry(String model, JsonNode entry, String source, Instant effectiveFrom) {
    Map<String, BigDecimal> prices = new TreeMap<>();
    Map<Long, Map<String, BigDecimal>> tiers = new TreeMap<>();
    Map<String, Map<String, BigDecimal>> serviceTiers = new TreeMap<>();

    Iterator<Map.Entry<String, JsonNode>> fields = entry.fields();
    while (fields.hasNext()) {
      Map.Entry<String, JsonNode> f = fields.next();
      JsonNode v = f.getValue();
      if (v == null || v.isNull()) {
        continue;
      }
      String special = SPECIAL.get(f.getKey());
      if (special != null) {
        prices.putIfAbsent(special, decimal(f.getKey(), v));
        continue;
      }
      Matcher m = FIELD.matcher(f.getKey());
      if (!m.matches()) {
        continue;
      }
      String kind = STEMS.get(m.group(1));
      if (m.group(2) != null) {
        if (!PriceKind.CACHE_WRITE.equals(kind)) {
          continue; // only cache writes have a 1-hour variant
        }
        kind = PriceKind.CACHE_WRITE_1H;
      }
      String service = m.group(3) != null ? m.group(3) : m.group(5);
      String threshold = m.group(4);
      BigDecimal price = decimal(f.getKey(), v);
      if (service != null && threshold != null) {
        continue; // tiered service-tier prices exist nowhere we can bill them; ignore, do not guess
      }
      if (service != null) {
        serviceTiers.computeIfAbsent(SERVICE_TIERS.get(service), k -> new TreeMap<>()).put(kind, price);
      } else if (threshold != null) {
        tiers.computeIfAbsent(Long.parseLong(threshold) * 1000L, k -> new TreeMap<>()).put(kind, price);
      } else {
        prices.put(kind, price);
      }
    }
    if (prices.isEmpty() && tiers.isEmpty() && serviceTiers.isEmpty()) {
      return null;
    }
    List<PriceTier> tierList = new ArrayList<>();
    tiers.forEach((above, p) -> tierList.add(new PriceTier(above, p)));
    return new PriceCard(
        model,
        text(entry, "litellm_provider"),
        text(entry, "mode"),
        PriceCard.USD,
        effectiveFrom,
        source,
        prices,
        tierList,
        serviceTiers,
        List.of());
  }

  /** The price of a per-token field; NumberFormatException (naming the field) when it is not a number. */
  private static BigDecimal decimal(String field, JsonNode v) {
    if (v.isNumber()) {
      return v.decimalValue();
    }
    try {
      if (v.isTextual()) {
        return new BigDecimal(v.asText().trim());
      }
    } catch (NumberFormatException e) {
      // reported below, naming the field
    }
    throw new NumberFormatException("in " + field + " (" + v + ")");
  }

  private static String text(JsonNode entry, String field) {
    JsonNode v = entry.get(field);
    return v == null || v.isNull() ? null : v.asText();
  }
}
