package io.tokenmeter.reliability;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** One scrape of {@code /metrics} (Prometheus text format), read just enough for the suite's checks. */
final class Prometheus {
  private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)})?\\s+(\\S+)(\\s+\\d+)?$");
  private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");

  final String text;

  Prometheus(String text) {
    this.text = text;
  }

  /** The sum of every sample of {@code name} whose labels include {@code labels}. */
  double sum(String name, Map<String, String> labels) {
    double total = 0;
    for (String line : text.split("\n")) {
      Matcher m = SAMPLE.matcher(line.trim());
      if (line.startsWith("#") || !m.matches() || !m.group(1).equals(name)) {
        continue;
      }
      Map<String, String> have = labels(m.group(3));
      if (have.entrySet().containsAll(labels.entrySet())) {
        total += Double.parseDouble(m.group(4));
      }
    }
    return total;
  }

  double sum(String name) {
    return sum(name, Map.of());
  }

  /** The value of every sample of {@code name} by the value of one of its labels. */
  Map<String, Double> byLabel(String name, String label) {
    Map<String, Double> out = new LinkedHashMap<>();
    for (String line : text.split("\n")) {
      Matcher m = SAMPLE.matcher(line.trim());
      if (line.startsWith("#") || !m.matches() || !m.group(1).equals(name)) {
        continue;
      }
      out.merge(labels(m.group(3)).getOrDefault(label, ""), Double.parseDouble(m.group(4)), Double::sum);
    }
    return out;
  }

  private static Map<String, String> labels(String s) {
    Map<String, String> out = new LinkedHashMap<>();
    if (s != null) {
      Matcher m = LABEL.matcher(s);
      while (m.find()) {
        out.put(m.group(1), m.group(2));
      }
    }
    return out;
  }
}
