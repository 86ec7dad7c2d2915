package io.tokenmeter.alerts;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Checks of the rule file that promtool does not make: conventions, runbooks, test coverage, metric names. */
class RuleFileTest {
  private static final Set<String> SEVERITIES = Set.of("critical", "warning", "info");
  private static final Pattern DURATION = Pattern.compile("^([0-9]+(ms|s|m|h|d|w|y))+$");
  private static final Pattern RECORD_NAME = Pattern.compile("^[a-z_]+:[a-z0-9_]+(:[a-z0-9_]+)?$");

  @Test
  void shouldDefineEveryAlertTheIssueAsksFor() {
    // Given issue 6's list: budget, spend spike, token surge, error / truncation ratio, rate limits,
    // content filter, p95 latency, unpriced models, stale cards, dead letters, lag, tokenmeter down
    Set<String> alerts = alertNames();

    // Then each has its alert
    assertThat(alerts).contains("LlmDailySpendOverBudget", "LlmHourlySpendSpike", "LlmTokenSurge",
        "LlmErrorRatioHigh", "LlmTruncationRatioHigh", "LlmRateLimited", "LlmContentFilterSpike",
        "LlmLatencyP95High", "LlmUnpricedModel", "TokenmeterPriceCardsStale", "TokenmeterDeadLettersGrowing",
        "TokenmeterConsumerLagHigh", "TokenmeterDown");
  }

  @Test
  void shouldRecordWhatTheIssueAsksFor() {
    Set<String> recorded = KnownMetrics.load().recorded();

    assertThat(recorded).contains(
        // cost per hour and per day by model, provider, service and feature
        "service_provider_model_feature:llm_cost_usd:increase1h",
        "service_provider_model_feature:llm_cost_usd:increase1d",
        "service_provider_model_feature:llm_cost_usd:rate5m",
        // token rates by type
        "service_provider_model_feature_token_type:llm_tokens:rate5m",
        // error, truncation and content-filter ratios
        "service_provider_model:llm_requests_errored:ratio_rate5m",
        "service_provider_model:llm_requests_truncated:ratio_rate5m",
        "service_provider_model:llm_requests_content_filtered:ratio_rate5m",
        // p95 / p99 latency by model
        "provider_model:llm_request_duration_seconds:p95_rate5m",
        "provider_model:llm_request_duration_seconds:p99_rate5m",
        // the configurable budget
        "tokenmeter:llm_daily_budget_usd");
  }

  @Test
  void shouldGiveEveryAlertForSeveritySummaryDescriptionAndRunbook() {
    for (JsonNode rule : AlertsFiles.alertRules()) {
      String name = rule.path("alert").asText();
      assertThat(rule.path("for").asText()).as("%s: for", name).matches(DURATION);
      assertThat(rule.path("labels").path("severity").asText()).as("%s: labels.severity", name).isIn(SEVERITIES);
      JsonNode annotations = rule.path("annotations");
      assertThat(annotations.path("summary").asText()).as("%s: annotations.summary", name).isNotBlank();
      assertThat(annotations.path("description").asText()).as("%s: annotations.description", name).isNotBlank();
      assertThat(annotations.path("runbook_url").asText()).as("%s: annotations.runbook_url", name)
          .isEqualTo("alerts/RUNBOOK.md#" + name.toLowerCase(Locale.ROOT));
      boolean usesLabels = (annotations.path("summary").asText() + annotations.path("description").asText())
          .contains("$labels.");
      assertThat(usesLabels).as("%s: summary/description name the alert's labels", name).isTrue();
    }
  }

  @Test
  void shouldLinkEveryAlertToARunbookSection() {
    // Given the anchors of RUNBOOK.md's headings (GitHub style: lower case, punctuation dropped)
    Set<String> anchors = new LinkedHashSet<>();
    for (String line : AlertsFiles.read(AlertsFiles.runbook()).split("\n")) {
      if (line.startsWith("#")) {
        anchors.add(line.replaceFirst("^#+\\s*", "").strip().toLowerCase(Locale.ROOT)
            .replaceAll("[^a-z0-9 _-]", "").replace(' ', '-'));
      }
    }

    // Then every runbook_url points at the file and at one of its sections, and every alert has one
    for (JsonNode rule : AlertsFiles.alertRules()) {
      String[] url = rule.path("annotations").path("runbook_url").asText().split("#", 2);
      assertThat(AlertsFiles.repoRoot().resolve(url[0])).as(rule.path("alert").asText()).isRegularFile();
      assertThat(anchors).as("RUNBOOK.md sections").contains(url[1]);
    }
    Set<String> lowerAlerts = new TreeSet<>();
    alertNames().forEach(a -> lowerAlerts.add(a.toLowerCase(Locale.ROOT)));
    assertThat(anchors).as("runbook sections that name an alert").containsAll(lowerAlerts);
  }

  @Test
  void shouldTestEveryAlertFiringAndNotFiring() {
    // Given every alert_rule_test of tests/*.test.yml
    Map<String, Integer> firing = new HashMap<>();
    Map<String, Integer> silent = new HashMap<>();
    for (Path file : AlertsFiles.unitTestFiles()) {
      for (JsonNode test : AlertsFiles.yaml(file).path("tests")) {
        for (JsonNode case_ : test.path("alert_rule_test")) {
          String alert = case_.path("alertname").asText();
          JsonNode expected = case_.path("exp_alerts");
          if (expected.isArray() && !expected.isEmpty()) {
            firing.merge(alert, 1, Integer::sum);
            for (JsonNode e : expected) {
              assertThat(e.path("exp_labels").path("severity").asText()).as("%s in %s: exp_labels.severity", alert, file).isNotBlank();
              assertThat(e.path("exp_annotations").has("summary")).as("%s in %s: summary asserted", alert, file).isTrue();
              assertThat(e.path("exp_annotations").has("description")).as("%s in %s: description asserted", alert, file).isTrue();
            }
          } else {
            silent.merge(alert, 1, Integer::sum);
          }
        }
      }
    }

    // Then each alert has a case where it fires (labels and annotations asserted) and one where it does not
    for (String alert : alertNames()) {
      assertThat(firing).as("a firing case for %s", alert).containsKey(alert);
      assertThat(silent).as("a not-firing case (exp_alerts: []) for %s", alert).containsKey(alert);
    }
    assertThat(alertNames()).as("tests name only alerts that exist").containsAll(firing.keySet()).containsAll(silent.keySet());
  }

  @Test
  void shouldEvaluateTestGroupsInRuleFileOrder() {
    // Given the rule file's groups in file order
    List<String> groups = new ArrayList<>();
    AlertsFiles.yaml(AlertsFiles.rules()).path("groups").forEach(g -> groups.add(g.path("name").asText()));

    // Then every unit-test file evaluates them in that order, so an alert sees the series its
    // recording rules wrote at the same step (without it promtool's order is arbitrary)
    for (Path file : AlertsFiles.unitTestFiles()) {
      JsonNode test = AlertsFiles.yaml(file);
      List<String> order = new ArrayList<>();
      test.path("group_eval_order").forEach(g -> order.add(g.asText()));
      assertThat(order).as("group_eval_order of %s", file.getFileName()).isEqualTo(groups);
      assertThat(test.path("rule_files").get(0).asText()).isEqualTo("../rules/tokenmeter.rules.yml");
    }
  }

  @Test
  void shouldKeepTheDefaultBudgetFirstForTheDocumentedPatch() {
    // Given the README's kustomize patch of /spec/groups/0/rules/0/expr
    JsonNode first = AlertsFiles.yaml(AlertsFiles.rules()).path("groups").get(0).path("rules").get(0);

    // Then that rule is the organisation-wide budget, a plain vector(N) without labels
    assertThat(first.path("record").asText()).isEqualTo("tokenmeter:llm_daily_budget_usd");
    assertThat(first.path("expr").asText()).matches("vector\\([0-9.]+\\)");
    assertThat(first.has("labels")).isFalse();
    assertThat(AlertsFiles.read(AlertsFiles.module().resolve("README.md"))).contains("/spec/groups/0/rules/0/expr");
  }

  @Test
  void shouldNameRecordingRulesLevelMetricOperations() {
    for (JsonNode rule : AlertsFiles.recordingRules()) {
      assertThat(rule.path("record").asText()).matches(RECORD_NAME);
    }
  }

  @Test
  void shouldReadTheMetricContractFromTheBriefAndContracts() {
    Map<String, String> contract = KnownMetrics.load().contract();

    assertThat(contract).containsEntry("llm_requests_total", "counter")
        .containsEntry("llm_request_duration_seconds", "histogram")
        .containsEntry("llm_unpriced_requests_total", "counter")
        .containsEntry("tokenmeter_dead_letters_total", "counter")
        .containsEntry("tokenmeter_pricing_newest_card_timestamp_seconds", "gauge")
        .containsEntry("kafka_consumer_fetch_manager_records_lag_max", "gauge")
        .doesNotContainKey("tokenmeter_*");
  }

  @Test
  void shouldUseOnlyMetricsThatExist() {
    // Given the contract's metrics, the recording rules and Prometheus's own series
    KnownMetrics known = KnownMetrics.load();

    // When every rule expression is tokenized
    List<String> unknown = new ArrayList<>();
    for (JsonNode rule : AlertsFiles.allRules()) {
      String name = rule.has("alert") ? rule.path("alert").asText() : rule.path("record").asText();
      for (String metric : PromQlNames.metricNames(rule.path("expr").asText())) {
        if (!known.exists(metric)) {
          unknown.add(name + " uses " + metric);
        }
      }
    }

    // Then none selects a metric that nothing exports
    assertThat(unknown).isEmpty();
  }

  @Test
  void shouldUseEveryContractMetricInTheRulesOrTheDashboard() {
    KnownMetrics known = KnownMetrics.load();
    Set<String> used = new TreeSet<>();
    AlertsFiles.allRules().forEach(r -> used.addAll(PromQlNames.metricNames(r.path("expr").asText())));
    Dashboard.queries(Dashboard.load()).forEach(q -> used.addAll(PromQlNames.metricNames(q.expr())));
    Set<String> families = new TreeSet<>();
    used.forEach(m -> {
      String family = known.contractFamily(m);
      if (family != null) {
        families.add(family);
      }
    });

    assertThat(families).containsExactlyInAnyOrderElementsOf(known.contract().keySet());
  }

  @Test
  void shouldSelectGenericKafkaAndUpSeriesOfTheTokenmeterJobOnly() {
    // kafka_* and up are exported by other applications too: our rules must say job="tokenmeter"
    Pattern generic = Pattern.compile("\\b(up|kafka_[a-z_]+)\\b(\\{[^}]*})?");
    for (JsonNode rule : AlertsFiles.allRules()) {
      Matcher m = generic.matcher(rule.path("expr").asText());
      while (m.find()) {
        assertThat(m.group(2)).as("%s in %s", m.group(1), rule).isNotNull().contains("job=\"tokenmeter\"");
      }
    }
  }

  private static Set<String> alertNames() {
    Set<String> names = new TreeSet<>();
    AlertsFiles.alertRules().forEach(r -> names.add(r.path("alert").asText()));
    return names;
  }
}
