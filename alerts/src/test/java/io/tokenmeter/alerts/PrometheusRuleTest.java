package io.tokenmeter.alerts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

/** alerts/k8s/prometheusrule.yaml is generated from the rule file and must never drift from it. */
class PrometheusRuleTest {
  private static final String REGENERATE = "./mvnw -B -q -pl alerts compile exec:java";

  @Test
  void shouldMatchWhatTheGeneratorMakesFromTheRuleFile() {
    // Given the one source and the committed resource
    String expected = PrometheusRuleGenerator.generate(AlertsFiles.read(AlertsFiles.rules()));
    String committed = AlertsFiles.read(AlertsFiles.prometheusRule()).replace("\r\n", "\n");

    // Then they are the same text: nobody edited the generated file by hand or forgot to regenerate
    assertThat(firstDifference(committed, expected))
        .as("alerts/k8s/prometheusrule.yaml is out of date with alerts/rules/tokenmeter.rules.yml: run `%s`", REGENERATE)
        .isEmpty();
  }

  @Test
  void shouldCarryExactlyTheRuleFileGroups() {
    // Given both files parsed
    JsonNode source = AlertsFiles.yaml(AlertsFiles.rules());
    JsonNode resource = AlertsFiles.yaml(AlertsFiles.prometheusRule());

    // Then the resource is a PrometheusRule whose spec.groups equal the rule file's groups
    assertThat(resource.path("apiVersion").asText()).isEqualTo("monitoring.coreos.com/v1");
    assertThat(resource.path("kind").asText()).isEqualTo("PrometheusRule");
    assertThat(resource.path("metadata").path("name").asText()).isEqualTo(PrometheusRuleGenerator.RESOURCE_NAME);
    assertThat(resource.path("spec").size()).isEqualTo(1);
    JsonNode groups = resource.path("spec").path("groups");
    assertThat(groups.size()).isEqualTo(source.path("groups").size());
    for (int g = 0; g < groups.size(); g++) {
      JsonNode expected = source.path("groups").get(g);
      JsonNode actual = groups.get(g);
      assertThat(actual.path("name")).isEqualTo(expected.path("name"));
      assertThat(actual.path("rules").size()).as("rules of group %s", expected.path("name")).isEqualTo(expected.path("rules").size());
      for (int r = 0; r < actual.path("rules").size(); r++) {
        assertThat(actual.path("rules").get(r)).as("group %s rule %d", expected.path("name"), r)
            .isEqualTo(expected.path("rules").get(r));
      }
      assertThat(actual).isEqualTo(expected);
    }
  }

  @Test
  void shouldBeListedByTheKustomization() {
    JsonNode kustomization = AlertsFiles.yaml(AlertsFiles.module().resolve("k8s/kustomization.yaml"));

    assertThat(kustomization.path("resources").toString()).contains("prometheusrule.yaml");
  }

  @Test
  void shouldKeepCommentsAndIndentGroupsUnderSpec() {
    // Given a small rule file with a header comment and a comment inside
    String source = """
        # header that the resource replaces
        groups:
          - name: g
            rules:
              # a comment that stays
              - record: a:b:c
                expr: |
                  sum(x)
                  / sum(y)
        """;

    // When it is wrapped
    String generated = PrometheusRuleGenerator.generate(source);

    // Then the groups sit under spec with their comments, and parse to the same tree
    assertThat(generated).doesNotContain("header that the resource replaces")
        .contains("spec:\n  groups:\n    - name: g\n")
        .contains("      # a comment that stays\n");
    assertThat(AlertsFiles.yaml(generated).path("spec").path("groups"))
        .isEqualTo(AlertsFiles.yaml(source).path("groups"));
  }

  @Test
  void shouldRejectAFileThatIsNotAPrometheusRuleFile() {
    assertThatThrownBy(() -> PrometheusRuleGenerator.generate("rules: []\n"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("groups");
    assertThatThrownBy(() -> PrometheusRuleGenerator.generate("groups: [{name: g, rules: []}]\nextra: 1\n"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("extra");
    assertThatThrownBy(() -> PrometheusRuleGenerator.generate("groups: [\n"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not valid YAML");
  }

  /** "" when equal, else the first differing line of both texts. */
  private static String firstDifference(String actual, String expected) {
    if (actual.equals(expected)) {
      return "";
    }
    String[] a = actual.split("\n", -1);
    String[] e = expected.split("\n", -1);
    for (int i = 0; i < Math.max(a.length, e.length); i++) {
      String al = i < a.length ? a[i] : "<end of file>";
      String el = i < e.length ? e[i] : "<end of file>";
      if (!al.equals(el)) {
        return "line " + (i + 1) + ": committed '" + al + "', generated '" + el + "'";
      }
    }
    return "";
  }
}
