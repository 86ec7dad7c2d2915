package io.tokenmeter.alerts;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PromQlNamesTest {

  @Test
  void shouldFindSelectorsButNotFunctionsKeywordsLabelsOrDurations() {
    // Given an expression with aggregations, label lists, matchers, ranges, offsets and numbers
    String expr = """
        sum by (service, le) (rate(llm_request_duration_seconds_bucket{model=~"gpt.*", le!="+Inf"}[5m] offset 1d))
          / on (service) group_left (provider) ignoring(le) max without (instance) (up{job="tokenmeter"}) > bool 1e3
          or vector(0.5) unless absent(tokenmeter:llm_daily_budget_usd) and Inf # a comment naming not_a_metric
        """;

    // When its metric names are extracted
    // Then only the selected series remain
    assertThat(PromQlNames.metricNames(expr))
        .containsExactly("llm_request_duration_seconds_bucket", "up", "tokenmeter:llm_daily_budget_usd");
  }

  @Test
  void shouldIgnoreGrafanaVariablesAndStrings() {
    // Given a dashboard query with template variables and label_replace strings
    String expr = "label_replace(sum by (model) (rate(llm_tokens_total{service=~\"$service\"}[$__rate_interval])), "
        + "\"dst\", \"fake_metric\", \"model\", \"(.*)\") * ${factor} + [[legacy]]";

    // When / Then
    assertThat(PromQlNames.metricNames(expr)).containsExactly("llm_tokens_total");
  }

  @Test
  void shouldFindBareMetricsAfterArithmetic() {
    assertThat(PromQlNames.metricNames("time() - tokenmeter_pricing_newest_card_timestamp_seconds > 7 * 86400"))
        .containsExactly("tokenmeter_pricing_newest_card_timestamp_seconds");
    assertThat(PromQlNames.metricNames("a_metric unless a_metric offset 1h"))
        .containsExactly("a_metric");
  }

  @Test
  void shouldReadGrafanaLabelValuesQueries() {
    assertThat(Dashboard.variableExpr("label_values(llm_requests_total{service=~\"$service\"}, provider)"))
        .isEqualTo("llm_requests_total{service=~\"$service\"}");
    assertThat(Dashboard.variableExpr("label_values(service)")).isNull();
    assertThat(Dashboard.withVariablesSubstituted("rate(x{a=~\"$a\",b=~\"${b}\"}[$__rate_interval])"))
        .isEqualTo("rate(x{a=~\".*\",b=~\".*\"}[5m])");
  }
}
