package io.tokenmeter.alerts;

import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds the metric names a PromQL expression selects, with a deliberately small tokenizer rather
 * than a full parser (promtool parses the rules for real). Steps:
 * <ol>
 *   <li>drop string literals ("...", '...', `...`), then comments (#...);</li>
 *   <li>drop label matchers {...} and range/subquery brackets [...];</li>
 *   <li>drop label lists after by / without / on / ignoring / group_left / group_right;</li>
 *   <li>drop Grafana variables ($var, ${var}, [[var]]) and the duration after offset;</li>
 *   <li>every remaining identifier is a metric name unless a '(' follows it (a function or
 *       aggregation call), it is a keyword or aggregation operator, or it continues a number
 *       (the e3 of 1e3, the m of 5m).</li>
 * </ol>
 */
final class PromQlNames {
  private static final Pattern STRINGS = Pattern.compile("\"(?:[^\"\\\\]|\\\\.)*\"|'(?:[^'\\\\]|\\\\.)*'|`[^`]*`");
  private static final Pattern COMMENTS = Pattern.compile("#[^\n]*");
  private static final Pattern BRACES = Pattern.compile("\\{[^}]*}");
  private static final Pattern BRACKETS = Pattern.compile("\\[[^\\]]*]");
  private static final Pattern LABEL_LISTS =
      Pattern.compile("(?i)\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)");
  private static final Pattern GRAFANA_VARS = Pattern.compile("\\$\\{[^}]*}|\\$\\w+|\\[\\[\\w+]]");
  private static final Pattern OFFSET = Pattern.compile("(?i)\\boffset\\s+-?[0-9a-z]+");
  private static final Pattern IDENTIFIER = Pattern.compile("(?<![\\w.:])([a-zA-Z_:][a-zA-Z0-9_:]*)(\\s*\\()?");
  private static final Set<String> KEYWORDS = Set.of(
      "and", "or", "unless", "by", "without", "on", "ignoring", "group_left", "group_right", "offset", "bool",
      "inf", "nan", "atan2", "sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values",
      "bottomk", "topk", "quantile", "limitk", "limit_ratio");

  private PromQlNames() {}

  static Set<String> metricNames(String expr) {
    String s = STRINGS.matcher(expr).replaceAll(" ");
    s = COMMENTS.matcher(s).replaceAll(" ");
    s = GRAFANA_VARS.matcher(s).replaceAll(" ");
    s = BRACES.matcher(s).replaceAll(" ");
    s = BRACKETS.matcher(s).replaceAll(" ");
    s = LABEL_LISTS.matcher(s).replaceAll(" ");
    s = OFFSET.matcher(s).replaceAll(" ");
    Set<String> names = new LinkedHashSet<>();
    Matcher m = IDENTIFIER.matcher(s);
    while (m.find()) {
      String id = m.group(1);
      if (m.group(2) == null && !KEYWORDS.contains(id.toLowerCase(Locale.ROOT))) {
        names.add(id);
      }
    }
    return names;
  }
}
