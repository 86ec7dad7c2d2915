package io.tokenmeter.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The validator the manifest tests rely on must actually reject what the API server would:
 * misspelled fields, missing required fields, wrong types, unknown kinds.
 */
class SchemaValidatorTest {

    private final SchemaValidator validator = new SchemaValidator();

    private static ObjectNode yaml(String text) {
        List<ObjectNode> docs = Yaml.documents(text);
        assertThat(docs).hasSize(1);
        return docs.get(0);
    }

    private static final String STATEFUL_SET = """
            apiVersion: apps/v1
            kind: StatefulSet
            metadata: {name: t}
            spec:
              serviceName: t
              selector: {matchLabels: {app: t}}
              template:
                metadata: {labels: {app: t}}
                spec:
                  containers:
                    - name: t
                      image: tokenmeter:latest
                      readinessProbe:
                        httpGet: {path: /health/ready, port: http}
            """;

    @Test
    void shouldAcceptAValidStatefulSet() {
        // Given a well-formed StatefulSet
        // When it is validated
        // Then nothing is reported
        assertThat(validator.validate(yaml(STATEFUL_SET))).isEmpty();
    }

    @Test
    void shouldRejectAMisspelledFieldDeepInsideABuiltInKind() {
        // Given a StatefulSet whose probe says "pth" instead of "path"
        ObjectNode doc = yaml(STATEFUL_SET.replace("{path: /health/ready", "{pth: /health/ready"));
        // When it is validated
        List<String> errors = validator.validate(doc);
        // Then the unknown field is named
        assertThat(errors).singleElement().asString().contains("pth").contains("V1HTTPGetAction");
    }

    @Test
    void shouldRejectAMisspelledTopLevelSpecField() {
        // Given "replica" instead of "replicas"
        ObjectNode doc = yaml(STATEFUL_SET.replace("serviceName: t", "serviceName: t\n  replica: 2"));
        // Then it is rejected
        assertThat(validator.validate(doc)).singleElement().asString().contains("replica");
    }

    @Test
    void shouldRejectAMissingRequiredField() {
        // Given a container without its required name
        ObjectNode doc = yaml(STATEFUL_SET.replaceFirst("- name: t\\n\\s+image:", "- image:"));
        // Then the missing field is reported
        assertThat(validator.validate(doc)).singleElement().asString().contains("name");
    }

    @Test
    void shouldRejectAWronglyTypedValue() {
        // Given replicas as a word
        ObjectNode doc = yaml(STATEFUL_SET.replace("serviceName: t", "serviceName: t\n  replicas: two"));
        // Then it is rejected
        assertThat(validator.validate(doc)).isNotEmpty();
    }

    @Test
    void shouldRejectAKindItHasNoSchemaFor() {
        // Given a kind outside the known schemas
        ObjectNode doc = yaml("""
                apiVersion: example.com/v1
                kind: Widget
                metadata: {name: w}
                """);
        // Then it is not waved through
        assertThat(validator.validate(doc)).singleElement().asString().contains("no schema");
    }

    private static final String KAFKA_USER = """
            apiVersion: kafka.strimzi.io/v1
            kind: KafkaUser
            metadata:
              name: tokenmeter
              labels: {strimzi.io/cluster: my-cluster}
            spec:
              authentication: {type: scram-sha-512}
              authorization:
                type: simple
                acls:
                  - resource: {type: topic, name: otlp_spans, patternType: literal}
                    operations: [Read, Describe]
            """;

    @Test
    void shouldAcceptAValidStrimziKafkaUser() {
        assertThat(validator.validate(yaml(KAFKA_USER))).isEmpty();
    }

    @Test
    void shouldRejectAMisspelledFieldInAStrimziResource() {
        // Given "patternTyp" in an ACL
        ObjectNode doc = yaml(KAFKA_USER.replace("patternType:", "patternTyp:"));
        // Then the field and its path are reported
        assertThat(validator.validate(doc)).singleElement().asString()
                .contains("patternTyp").contains("spec.authorization.acls[0].resource");
    }

    @Test
    void shouldRejectTheV1beta2OnlyAclOperationField() {
        // Given the singular "operation" that the v1 API removed
        ObjectNode doc = yaml(KAFKA_USER.replace("operations: [Read, Describe]", "operation: Read"));
        // Then it is rejected
        assertThat(validator.validate(doc)).isNotEmpty();
    }

    @Test
    void shouldRejectAnUnknownEnumValueInAStrimziResource() {
        ObjectNode doc = yaml(KAFKA_USER.replace("[Read, Describe]", "[Read, Peek]"));
        assertThat(validator.validate(doc)).isNotEmpty();
    }

    @Test
    void shouldRejectAStrimziResourceMissingAFieldRequiredInV1() {
        // Given a v1 KafkaConnect without replicas/groupId/storage topics (required in v1)
        ObjectNode doc = yaml("""
                apiVersion: kafka.strimzi.io/v1
                kind: KafkaConnect
                metadata: {name: c}
                spec:
                  bootstrapServers: my-cluster-kafka-bootstrap:9093
                """);
        // Then each missing field is reported
        assertThat(String.join("\n", validator.validate(doc)))
                .contains("spec.replicas").contains("spec.groupId").contains("spec.configStorageTopic");
    }

    @Test
    void shouldRejectAWrongStrimziApiVersion() {
        ObjectNode doc = yaml(KAFKA_USER.replace("kafka.strimzi.io/v1", "kafka.strimzi.io/v1beta2"));
        assertThat(validator.validate(doc)).singleElement().asString().contains("no schema");
    }

    @Test
    void shouldRejectAMisspelledFieldInAServiceMonitor() {
        String monitor = """
                apiVersion: monitoring.coreos.com/v1
                kind: ServiceMonitor
                metadata: {name: m}
                spec:
                  selector: {matchLabels: {app: t}}
                  endpoints:
                    - port: http
                      path: /metrics
                """;
        assertThat(validator.validate(yaml(monitor))).isEmpty();
        assertThat(validator.validate(yaml(monitor.replace("path: /metrics", "pathh: /metrics"))))
                .singleElement().asString().contains("pathh");
        assertThat(validator.validate(yaml(monitor.replace("metadata: {name: m}", "metadata: {name: m, label: {}}"))))
                .singleElement().asString().contains("label");
    }

    @Test
    void shouldRejectAMisspelledFieldInAPrometheusRule() {
        String rule = """
                apiVersion: monitoring.coreos.com/v1
                kind: PrometheusRule
                metadata: {name: r}
                spec:
                  groups:
                    - name: g
                      rules:
                        - alert: A
                          expr: up == 0
                          for: 5m
                """;
        assertThat(validator.validate(yaml(rule))).isEmpty();
        assertThat(validator.validate(yaml(rule.replace("expr:", "exp:")))).isNotEmpty();
    }
}
