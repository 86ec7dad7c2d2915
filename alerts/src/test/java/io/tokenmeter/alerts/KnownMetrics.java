package io.tokenmeter.alerts;

import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The metric names that exist: read from the contract tables (BRIEF section 7 and
 * docs/CONTRACTS.md, rows "| `name` | counter/gauge/histogram | labels |"), plus the recording
 * rules of the rule file, plus Prometheus's own {@code up} and {@code ALERTS}. A histogram also
 * exists as name_bucket, name_sum and name_count.
 */
final class KnownMetrics {
  private static final Pattern ROW =
      Pattern.compile("(?m)^\\|\\s*`([a-zA-Z_:][a-zA-Z0-9_:]*)`\\s*\\|\\s*(counter|gauge|histogram|summary)\\b");
  static final Set<String> PROMETHEUS_BUILT_INS = Set.of("up", "ALERTS");

  private final Map<String, String> contract;
  private final Set<String> recorded;

  private KnownMetrics(Map<String, String> contract, Set<String> recorded) {
    this.contract = contract;
    this.recorded = recorded;
  }

  static KnownMetrics load() {
    Map<String, String> contract = new TreeMap<>();
    contract.putAll(contractTable(AlertsFiles.brief()));
    contract.putAll(contractTable(AlertsFiles.contracts()));
    Set<String> recorded = AlertsFiles.recordingRules().stream()
        .map(r -> r.path("record").asText()).collect(Collectors.toCollection(java.util.TreeSet::new));
    return new KnownMetrics(contract, recorded);
  }

  /** name -> type of the metric rows of a markdown document. */
  static Map<String, String> contractTable(Path markdown) {
    Map<String, String> rows = new TreeMap<>();
    Matcher m = ROW.matcher(AlertsFiles.read(markdown));
    while (m.find()) {
      rows.put(m.group(1), m.group(2));
    }
    return rows;
  }

  Map<String, String> contract() {
    return contract;
  }

  Set<String> recorded() {
    return recorded;
  }

  boolean exists(String name) {
    return contract.containsKey(name) || recorded.contains(name) || PROMETHEUS_BUILT_INS.contains(name)
        || contractFamily(name) != null;
  }

  /** The contract metric a name belongs to (itself, or the histogram of a _bucket/_sum/_count), or null. */
  String contractFamily(String name) {
    if (contract.containsKey(name)) {
      return name;
    }
    for (String suffix : new String[] {"_bucket", "_sum", "_count"}) {
      if (name.endsWith(suffix)) {
        String base = name.substring(0, name.length() - suffix.length());
        if ("histogram".equals(contract.get(base))) {
          return base;
        }
      }
    }
    return null;
  }
}
