package io.tokenmeter.alerts;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads the Grafana dashboard: its panels (rows flattened) and every PromQL query in it. */
final class Dashboard {
  /** Grafana's label_values(selector, label) and label_values(label) variable queries. */
  private static final Pattern LABEL_VALUES = Pattern.compile("^\\s*label_values\\(\\s*(?:(.*),)?\\s*(\\w+)\\s*\\)\\s*$", Pattern.DOTALL);
  private static final Pattern QUERY_RESULT = Pattern.compile("^\\s*query_result\\((.*)\\)\\s*$", Pattern.DOTALL);

  /** A PromQL expression and where the dashboard uses it. */
  record Query(String where, String expr) {}

  private Dashboard() {}

  static JsonNode load() {
    return AlertsFiles.json(AlertsFiles.dashboard());
  }

  static List<JsonNode> panels(JsonNode dashboard) {
    List<JsonNode> out = new ArrayList<>();
    for (JsonNode p : dashboard.path("panels")) {
      out.add(p);
      p.path("panels").forEach(out::add);
    }
    return out;
  }

  static List<Query> queries(JsonNode dashboard) {
    List<Query> out = new ArrayList<>();
    for (JsonNode p : panels(dashboard)) {
      for (JsonNode t : p.path("targets")) {
        out.add(new Query("panel " + p.path("id").asText() + " '" + p.path("title").asText() + "' " + t.path("refId").asText(),
            t.path("expr").asText()));
      }
    }
    for (JsonNode a : dashboard.path("annotations").path("list")) {
      if (a.hasNonNull("expr")) {
        out.add(new Query("annotation '" + a.path("name").asText() + "'", a.path("expr").asText()));
      }
    }
    for (JsonNode v : dashboard.path("templating").path("list")) {
      if (!"query".equals(v.path("type").asText())) {
        continue;
      }
      JsonNode q = v.path("query");
      String text = q.isTextual() ? q.asText() : q.path("query").asText();
      String expr = variableExpr(text);
      if (expr != null) {
        out.add(new Query("variable $" + v.path("name").asText(), expr));
      }
    }
    return out;
  }

  /** The PromQL inside a variable query, or null when it names no metric (label_values(label)). */
  static String variableExpr(String query) {
    Matcher lv = LABEL_VALUES.matcher(query);
    if (lv.matches()) {
      return lv.group(1);
    }
    Matcher qr = QUERY_RESULT.matcher(query);
    if (qr.matches()) {
      return qr.group(1);
    }
    throw new IllegalArgumentException("unsupported variable query (use label_values or query_result): " + query);
  }

  /** The query with Grafana's variables replaced, so that promtool can parse it. */
  static String withVariablesSubstituted(String expr) {
    return expr.replace("$__rate_interval", "5m").replace("$__interval", "1m").replace("$__range", "1d")
        .replaceAll("\\$\\{\\w+(:\\w+)?}|\\$\\w+", ".*");
  }
}
