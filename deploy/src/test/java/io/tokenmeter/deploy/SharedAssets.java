package io.tokenmeter.deploy;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Files that alerts/ and connectors/ own and that k8s/ and docker-compose.yml use as they are
 * (referenced by path, never copied).
 */
public final class SharedAssets {

    /** The PrometheusRule generated from the rules (alerts/). */
    public static final String PROMETHEUS_RULE = "alerts/k8s/prometheusrule.yaml";
    /** The Prometheus rule file (alerts/), loaded by the compose Prometheus. */
    public static final String RULES = "alerts/rules/tokenmeter.rules.yml";
    /** The Grafana dashboard (alerts/), provisioned into the compose Grafana. */
    public static final String DASHBOARD = "alerts/grafana/tokenmeter-dashboard.json";
    /** Strimzi KafkaConnector of the OpenSearch sink (connectors/); the KafkaConnect it runs on is k8s/'s. */
    public static final String KAFKA_CONNECTOR = "connectors/opensearch/strimzi-kafkaconnector-opensearch.yaml";
    /** OpenTelemetry Collector config: OTLP in, kafka exporter to otlp_spans (connectors/). */
    public static final String COLLECTOR_CONFIG = "connectors/collector/otelcol-upstream-kafka-exporter.yaml";
    /** Kafka Connect REST config of the OpenSearch sink connector (connectors/). */
    public static final String CONNECTOR_CONFIG = "connectors/opensearch/aiven-opensearch-sink.json";
    /** OpenSearch component template: tokens long, cost double (connectors/). */
    public static final String COMPONENT_TEMPLATE = "connectors/opensearch/component-template-tokenmeter-span-mappings.json";
    /** OpenSearch index template of Data Prepper's span indices (connectors/). */
    public static final String SPAN_INDEX_TEMPLATE = "connectors/opensearch/index-template-otel-v1-apm-span.json";
    /** OpenSearch index template of the data stream the sink connector writes (connectors/). */
    public static final String STREAM_INDEX_TEMPLATE = "connectors/opensearch/index-template-tokenmeter-span-stream.json";
    /** OpenSearch ISM policy of the span indices (connectors/). */
    public static final String ISM_POLICY = "connectors/opensearch/ism-policy-raw-span-policy.json";

    private SharedAssets() {
    }

    /** Every shared asset, with who uses it. */
    public static Map<String, String> all() {
        Map<String, String> all = new LinkedHashMap<>();
        all.put(PROMETHEUS_RULE, "k8s/overlays/strimzi, k8s/overlays/plain-kafka");
        all.put(KAFKA_CONNECTOR, "k8s/overlays/strimzi");
        all.put(RULES, "docker-compose.yml (prometheus)");
        all.put(DASHBOARD, "docker-compose.yml (grafana)");
        all.put(COLLECTOR_CONFIG, "docker-compose.yml (otel-collector)");
        all.put(CONNECTOR_CONFIG, "docker-compose.yml (sink-init)");
        all.put(COMPONENT_TEMPLATE, "docker-compose.yml (sink-init)");
        all.put(SPAN_INDEX_TEMPLATE, "docker-compose.yml (sink-init)");
        all.put(STREAM_INDEX_TEMPLATE, "docker-compose.yml (sink-init)");
        all.put(ISM_POLICY, "docker-compose.yml (sink-init)");
        return all;
    }

    public static String owner(String path) {
        return path.startsWith("alerts/") ? "alerts engineer (alerts/)" : "connectors engineer (connectors/)";
    }
}
