package io.tokenmeter.pricing;

import io.tokenmeter.genai.Providers;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds the catalog entry for a model name as instrumentations report it. The rules run in a fixed
 * order and the first that names a known model wins, so resolution is deterministic; the rule (or
 * chain of rules) is written on the span as {@code gen_ai.cost.match}. Results are cached per
 * (provider, name) until the price book changes.
 *
 * <ol>
 *   <li>{@code exact}: the name is a catalog key</li>
 *   <li>{@code alias}: the name is an alias on a card (Azure deployments, gateway names)</li>
 *   <li>{@code provider_qualified}: {@code <catalog prefix of the provider>/<name>}, e.g.
 *       {@code azure/gpt-4o} for a span from Azure OpenAI</li>
 *   <li>{@code provider_prefix}: a leading {@code openai/}, {@code models/}, ... removed</li>
 *   <li>{@code bedrock_arn}: the model id inside a Bedrock ARN</li>
 *   <li>{@code bedrock_region}: a cross-region inference prefix ({@code us.}, {@code eu.}, ...) removed</li>
 *   <li>{@code version_suffix}: Vertex AI's {@code @date} written as Anthropic's {@code -date}</li>
 *   <li>{@code date_suffix}: a trailing release date ({@code -2024-08-06}, {@code -20241022}) removed</li>
 *   <li>{@code lowercase}: the name lower-cased</li>
 * </ol>
 */
public final class ModelResolver {
  /** How a model name was resolved; {@code model} is null when nothing matched. */
  public record Resolution(String model, String match) {
    public static final Resolution NONE = new Resolution(null, "none");

    public boolean resolved() {
      return model != null;
    }
  }

  private static final Pattern ARN = Pattern.compile(
      "^arn:aws[a-z-]*:bedrock:[a-z0-9-]*:\\d*:(?:inference-profile|foundation-model|application-inference-profile)/(.+)$");
  private static final Pattern BEDROCK_REGION = Pattern.compile("^(?:us|eu|apac|ap|jp|au|ca|us-gov|global)\\.(.+\\..+)$");
  private static final Pattern DATE_SUFFIX = Pattern.compile("^(.+?)-(?:\\d{4}-\\d{2}-\\d{2}|\\d{8})$");
  private static final int MAX_CACHE = 10_000;
  private static final int MAX_NAME = 512;

  private final PriceBook book;
  private final Map<String, Resolution> cache = new ConcurrentHashMap<>();
  private volatile long cachedVersion = -1;

  public ModelResolver(PriceBook book) {
    this.book = book;
  }

  public Resolution resolve(String provider, String name) {
    if (name == null || name.isBlank() || name.length() > MAX_NAME) {
      return Resolution.NONE;
    }
    long v = book.version();
    if (v != cachedVersion) {
      cache.clear();
      cachedVersion = v;
    }
    String cacheKey = provider + '\u0000' + name;
    Resolution r = cache.get(cacheKey);
    if (r == null) {
      r = compute(provider, name);
      if (cache.size() >= MAX_CACHE) {
        cache.clear(); // hostile or very diverse names: bound the memory, keep correctness
      }
      cache.put(cacheKey, r);
    }
    return r;
  }

  Resolution compute(String provider, String name) {
    // Breadth-first over rewritten names, in rule order; the first known model wins.
    LinkedHashMap<String, String> candidates = new LinkedHashMap<>();
    candidates.put(name.trim(), "exact");
    List<Map.Entry<String, String>> frontier = new ArrayList<>(candidates.entrySet());
    for (int depth = 0; depth < 4 && !frontier.isEmpty(); depth++) {
      List<Map.Entry<String, String>> next = new ArrayList<>();
      for (Map.Entry<String, String> c : frontier) {
        Resolution hit = lookup(c.getKey(), c.getValue(), provider);
        if (hit != null) {
          return hit;
        }
        for (Map.Entry<String, String> rw : rewrites(c.getKey(), provider)) {
          String trail = c.getValue().equals("exact") ? rw.getValue() : c.getValue() + "+" + rw.getValue();
          if (!candidates.containsKey(rw.getKey())) {
            candidates.put(rw.getKey(), trail);
            next.add(Map.entry(rw.getKey(), trail));
          }
        }
      }
      frontier = next;
    }
    return Resolution.NONE;
  }

  private Resolution lookup(String candidate, String trail, String provider) {
    if (book.hasModel(candidate)) {
      return new Resolution(candidate, trail);
    }
    String aliased = book.aliasTarget(candidate);
    if (aliased != null) {
      return new Resolution(aliased, trail.equals("exact") ? "alias" : trail + "+alias");
    }
    String prefix = Providers.catalogPrefix(provider);
    if (prefix != null && !candidate.startsWith(prefix + "/")) {
      String qualified = prefix + "/" + candidate;
      if (book.hasModel(qualified)) {
        return new Resolution(qualified, trail.equals("exact") ? "provider_qualified" : trail + "+provider_qualified");
      }
    }
    return null;
  }

  private static List<Map.Entry<String, String>> rewrites(String name, String provider) {
    List<Map.Entry<String, String>> out = new ArrayList<>(4);
    Matcher arn = ARN.matcher(name);
    if (arn.matches()) {
      out.add(Map.entry(arn.group(1), "bedrock_arn"));
      return out;
    }
    int slash = name.indexOf('/');
    if (slash > 0 && slash < name.length() - 1) {
      out.add(Map.entry(name.substring(slash + 1), "provider_prefix"));
    }
    Matcher region = BEDROCK_REGION.matcher(name);
    if (region.matches()) {
      out.add(Map.entry(region.group(1), "bedrock_region"));
    }
    int at = name.lastIndexOf('@');
    if (at > 0 && at < name.length() - 1) {
      out.add(Map.entry(name.substring(0, at) + "-" + name.substring(at + 1), "version_suffix"));
    }
    Matcher date = DATE_SUFFIX.matcher(name);
    if (date.matches()) {
      out.add(Map.entry(date.group(1), "date_suffix"));
    }
    String lower = name.toLowerCase(Locale.ROOT);
    if (!lower.equals(name)) {
      out.add(Map.entry(lower, "lowercase"));
    }
    return out;
  }
}
