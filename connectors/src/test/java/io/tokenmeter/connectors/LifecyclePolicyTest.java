package io.tokenmeter.connectors;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The in-JVM OpenSearch has no Index State Management plugin (it is not on Maven Central), and no
 * Elasticsearch runs here, so the ISM and ILM policies are checked for structure here.
 */
class LifecyclePolicyTest {

    @Test
    void shouldRollOverAndDeleteWithAWellFormedIsmPolicy() {
        // Given the ISM policy
        JsonNode policy = Assets.json("opensearch/ism-policy-raw-span-policy.json").get("policy");

        // Then every state has a unique name, the default state exists and transitions lead to existing states
        Set<String> states = new HashSet<>();
        policy.get("states").forEach(s -> assertThat(states.add(s.get("name").asText())).isTrue());
        assertThat(states).contains(policy.get("default_state").asText());
        policy.get("states").forEach(s -> s.path("transitions").forEach(t ->
                assertThat(states).contains(t.get("state_name").asText())));
        // And the default state rolls over, and some state deletes
        JsonNode hot = find(policy, policy.get("default_state").asText());
        assertThat(hot.get("actions").get(0).has("rollover")).isTrue();
        assertThat(hot.at("/actions/0/rollover").fieldNames()).toIterable()
                .isSubsetOf("min_size", "min_primary_shard_size", "min_doc_count", "min_index_age", "copy_alias");
        assertThat(policy.get("states").findValues("delete")).isNotEmpty();
        // And it applies to Data Prepper's rolled indices and to the connector's data stream
        String pattern = policy.at("/ism_template/0/index_patterns/0").asText();
        assertThat(glob(pattern, "otel-v1-apm-span-000001")).isTrue();
        assertThat(glob(pattern, "otel-v1-apm-span-tokenmeter")).isTrue();
    }

    @Test
    void shouldOutrankDataPreppersOwnTemplateAndNameTheRolloverAlias() {
        // Given tokenmeter's replacement of Data Prepper's index template (Data Prepper ships version 1)
        JsonNode template = Assets.json("opensearch/index-template-otel-v1-apm-span.json");

        // Then its version is higher, so Data Prepper's "only overwrite an older version" check keeps it
        assertThat(template.get("version").asLong()).isGreaterThan(1);
        // And it sets the rollover alias that Data Prepper would otherwise have added (ISM needs it)
        assertThat(template.at("/template/settings/plugins.index_state_management.rollover_alias").asText())
                .isEqualTo("otel-v1-apm-span");
        assertThat(template.at("/index_patterns/0").asText()).isEqualTo("otel-v1-apm-span-*");
        // And the connector's data stream template wins over it for the data stream (higher priority)
        JsonNode stream = Assets.json("opensearch/index-template-tokenmeter-span-stream.json");
        assertThat(stream.get("priority").asInt()).isGreaterThan(template.get("priority").asInt());
    }

    @Test
    void shouldRollOverAndDeleteWithAWellFormedIlmPolicy() {
        // Given the ILM policy and the @custom template that attaches it
        JsonNode phases = Assets.json("elasticsearch/ilm-policy-tokenmeter-traces.json").at("/policy/phases");

        // Then hot rolls over, delete deletes later, and only known phases are used
        assertThat(phases.fieldNames()).toIterable().isSubsetOf("hot", "warm", "cold", "frozen", "delete");
        assertThat(phases.at("/hot/actions/rollover").fieldNames()).toIterable()
                .isSubsetOf("max_age", "max_docs", "max_size", "max_primary_shard_size", "max_primary_shard_docs",
                        "min_age", "min_docs", "min_size", "min_primary_shard_size", "min_primary_shard_docs");
        assertThat(phases.at("/delete/actions").has("delete")).isTrue();
        assertThat(phases.at("/delete/min_age").asText()).isEqualTo("30d");
        assertThat(Assets.json("elasticsearch/component-template-traces-otel@custom.json")
                .at("/template/settings/index.lifecycle.name").asText()).isEqualTo("tokenmeter-traces");
    }

    private static JsonNode find(JsonNode policy, String state) {
        for (JsonNode s : policy.get("states")) {
            if (s.get("name").asText().equals(state)) {
                return s;
            }
        }
        throw new AssertionError("no state " + state);
    }

    private static boolean glob(String pattern, String name) {
        return name.matches(("\\Q" + pattern + "\\E").replace("*", "\\E.*\\Q"));
    }
}
