package io.tokenmeter.alerts;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** The Grafana dashboard imports as-is and queries only metrics that exist. */
class DashboardTest {
  private final JsonNode dashboard = Dashboard.load();

  @Test
  void shouldBeImportableWithoutEditing() {
    assertThat(dashboard.path("schemaVersion").asInt()).isBetween(36, 41);
    assertThat(dashboard.path("uid").asText()).isNotBlank();
    assertThat(dashboard.path("title").asText()).isNotBlank();
    assertThat(dashboard.path("id").isNull()).as("id: null so that import creates it").isTrue();
    // no ${DS_...} import inputs: a datasource variable works for UI import and for provisioning alike
    assertThat(dashboard.has("__inputs")).isFalse();
    assertThat(dashboard.toString()).doesNotContain("${DS_");
    JsonNode ds = variable("datasource");
    assertThat(ds.path("type").asText()).isEqualTo("datasource");
    assertThat(ds.path("query").asText()).isEqualTo("prometheus");
  }

  @Test
  void shouldOfferServiceProviderModelAndFeatureVariables() {
    for (String name : List.of("service", "provider", "model", "feature")) {
      JsonNode v = variable(name);
      assertThat(v.path("type").asText()).isEqualTo("query");
      assertThat(v.path("datasource").path("uid").asText()).isEqualTo("${datasource}");
      assertThat(v.path("query").path("query").asText()).as(name).startsWith("label_values(").endsWith(", " + name + ")");
      assertThat(v.path("includeAll").asBoolean()).isTrue();
      assertThat(v.path("multi").asBoolean()).isTrue();
      // ".*" also matches series without the label (feature is optional)
      assertThat(v.path("allValue").asText()).isEqualTo(".*");
    }
  }

  @Test
  void shouldGiveEveryPanelAUniqueIdADatasourceAndQueries() {
    Set<Integer> ids = new HashSet<>();
    for (JsonNode panel : Dashboard.panels(dashboard)) {
      String title = panel.path("title").asText();
      assertThat(ids.add(panel.path("id").asInt())).as("unique id of '%s'", title).isTrue();
      assertThat(title).isNotBlank();
      if ("row".equals(panel.path("type").asText())) {
        continue;
      }
      assertThat(panel.path("datasource").path("uid").asText()).as("datasource of '%s'", title).isEqualTo("${datasource}");
      assertThat(panel.path("targets").isArray() && !panel.path("targets").isEmpty()).as("targets of '%s'", title).isTrue();
      Set<String> refIds = new HashSet<>();
      for (JsonNode t : panel.path("targets")) {
        assertThat(t.path("expr").asText()).as("expr of '%s'", title).isNotBlank();
        assertThat(refIds.add(t.path("refId").asText())).as("unique refId in '%s'", title).isTrue();
        assertThat(t.path("datasource").path("uid").asText()).isEqualTo("${datasource}");
      }
    }
  }

  @Test
  void shouldLayPanelsOutWithoutOverlap() {
    List<int[]> boxes = new ArrayList<>();
    for (JsonNode panel : Dashboard.panels(dashboard)) {
      JsonNode g = panel.path("gridPos");
      int[] box = {g.path("x").asInt(), g.path("y").asInt(), g.path("w").asInt(), g.path("h").asInt()};
      assertThat(box[0] + box[2]).as("'%s' fits the 24-column grid", panel.path("title").asText()).isLessThanOrEqualTo(24);
      assertThat(box[2]).isPositive();
      assertThat(box[3]).isPositive();
      for (int[] other : boxes) {
        boolean overlap = box[0] < other[0] + other[2] && other[0] < box[0] + box[2]
            && box[1] < other[1] + other[3] && other[1] < box[1] + box[3];
        assertThat(overlap).as("'%s' overlaps another panel", panel.path("title").asText()).isFalse();
      }
      boxes.add(box);
    }
  }

  @Test
  void shouldQueryOnlyMetricsThatExist() {
    // Given the contract's metrics, the recording rules and Prometheus's own series
    KnownMetrics known = KnownMetrics.load();

    // When every panel, annotation and variable query is tokenized
    Map<String, String> unknown = new TreeMap<>();
    List<Dashboard.Query> queries = Dashboard.queries(dashboard);
    for (Dashboard.Query q : queries) {
      for (String metric : PromQlNames.metricNames(q.expr())) {
        if (!known.exists(metric)) {
          unknown.put(q.where(), metric);
        }
      }
    }

    // Then none uses a metric that nothing exports
    assertThat(queries).hasSizeGreaterThan(30);
    assertThat(unknown).isEmpty();
  }

  @Test
  void shouldCoverCostTokensRequestsErrorsLatencyUnpricedAndHealth() {
    String text = dashboard.path("panels").toString();

    assertThat(text).contains("llm_cost_usd", "llm_tokens", "llm_requests", "llm_errors_total",
        "llm_request_duration_seconds_bucket", "llm_unpriced_requests", "tokenmeter_dead_letters_total",
        "kafka_consumer_fetch_manager_records_lag_max", "tokenmeter_price_cards_loaded",
        "tokenmeter_pricing_newest_card_timestamp_seconds");
    for (String by : List.of("by (provider, model)", "by (service)", "by (feature)", "by (provider)")) {
      assertThat(text).as("a breakdown %s", by).contains(by);
    }
  }

  private JsonNode variable(String name) {
    for (JsonNode v : dashboard.path("templating").path("list")) {
      if (name.equals(v.path("name").asText())) {
        return v;
      }
    }
    throw new AssertionError("no template variable $" + name);
  }
}
