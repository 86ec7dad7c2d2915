package io.tokenmeter.alerts;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real promtool over the rule file, its unit tests, the generated PrometheusRule and the dashboard's queries. */
class PromtoolTest {

  @Test
  void shouldPassPromtoolCheckRules() {
    // When promtool checks the one source
    Promtool.Result result = Promtool.run(AlertsFiles.module(), "check", "rules", "rules/tokenmeter.rules.yml");

    // Then it accepts every rule
    assertThat(result.exitCode()).as(result.output()).isZero();
    assertThat(result.output()).contains("SUCCESS: " + AlertsFiles.allRules().size() + " rules found");
  }

  @Test
  void shouldPassEveryPromtoolUnitTest() {
    // Given every tests/*.test.yml
    List<String> args = new ArrayList<>(List.of("test", "rules"));
    int groups = 0;
    int alertCases = 0;
    int exprCases = 0;
    for (Path file : AlertsFiles.unitTestFiles()) {
      args.add("tests/" + file.getFileName());
      for (JsonNode test : AlertsFiles.yaml(file).path("tests")) {
        groups++;
        alertCases += test.path("alert_rule_test").size();
        exprCases += test.path("promql_expr_test").size();
      }
    }

    // When promtool runs them
    Promtool.Result result = Promtool.run(AlertsFiles.module(), args.toArray(String[]::new));

    // Then all pass
    System.out.printf("promtool test rules: %d files, %d test groups, %d alert_rule_test cases, %d promql_expr_test cases%n",
        args.size() - 2, groups, alertCases, exprCases);
    assertThat(result.exitCode()).as(result.output()).isZero();
    assertThat(result.output()).doesNotContain("FAILED");
  }

  @Test
  void shouldAcceptTheGeneratedPrometheusRuleSpecAsARuleFile(@TempDir Path tmp) throws IOException {
    // Given the spec of the committed PrometheusRule, written back out as a plain rule file
    JsonNode spec = AlertsFiles.yaml(AlertsFiles.prometheusRule()).path("spec");
    Path ruleFile = tmp.resolve("from-prometheusrule.yml");
    Files.writeString(ruleFile, AlertsFiles.toYaml(spec), StandardCharsets.UTF_8);

    // When promtool checks it
    Promtool.Result result = Promtool.run(tmp, "check", "rules", ruleFile.getFileName().toString());

    // Then the operator would hand Prometheus the same valid rules
    assertThat(result.exitCode()).as(result.output()).isZero();
    assertThat(result.output()).contains("SUCCESS: " + AlertsFiles.allRules().size() + " rules found");
  }

  @Test
  void shouldParseEveryDashboardQuery(@TempDir Path tmp) throws IOException {
    // Given every dashboard query, with Grafana's variables filled in, as recording rules
    ArrayNode rules = JsonNodeFactory.instance.arrayNode();
    int i = 0;
    for (Dashboard.Query q : Dashboard.queries(Dashboard.load())) {
      ObjectNode rule = rules.addObject();
      rule.put("record", "dashboard:query:" + (++i));
      rule.put("expr", Dashboard.withVariablesSubstituted(q.expr()));
    }
    ObjectNode file = JsonNodeFactory.instance.objectNode();
    file.putArray("groups").addObject().put("name", "dashboard").set("rules", rules);
    Files.writeString(tmp.resolve("dashboard.rules.yml"), AlertsFiles.toYaml(file), StandardCharsets.UTF_8);

    // When promtool parses them
    Promtool.Result result = Promtool.run(tmp, "check", "rules", "dashboard.rules.yml");

    // Then each is valid PromQL
    assertThat(result.exitCode()).as(result.output()).isZero();
    assertThat(result.output()).contains("SUCCESS: " + i + " rules found");
  }
}
