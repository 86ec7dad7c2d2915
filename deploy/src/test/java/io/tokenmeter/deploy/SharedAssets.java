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
    /** Strimzi KafkaConnect running the OpenSearch sink (connectors/). */
    public static final String KAFKA_CONNECT = "connectors/k8s/kafkaconnect.yaml";
    /** Strimzi KafkaConnector of the OpenSearch sink (connectors/). */
    public static final String KAFKA_CONNECTOR = "connectors/k8s/kafkaconnector-opensearch.yaml";
    /** OpenTelemetry Collector config: OTLP in, kafka exporter to otlp_spans (connectors/). */
    public static final String COLLECTOR_CONFIG = "connectors/collector/otelcol-kafka-exporter.yaml";
    /** Kafka Connect REST config of the OpenSearch sink connector (connectors/). */
    public static final String CONNECTOR_CONFIG = "connectors/opensearch/opensearch-sink-connector.json";
    /** OpenSearch index template mapping tokens long and cost double (connectors/). */
    public static final String INDEX_TEMPLATE = "connectors/opensearch/index-template.json";

    private SharedAssets() {
    }

    /** Every shared asset, with who uses it. */
    public static Map<String, String> all() {
        Map<String, String> all = new LinkedHashMap<>();
        all.put(PROMETHEUS_RULE, "k8s/overlays/strimzi, k8s/overlays/plain-kafka");
        all.put(KAFKA_CONNECT, "k8s/overlays/strimzi");
        all.put(KAFKA_CONNECTOR, "k8s/overlays/strimzi");
        all.put(RULES, "docker-compose.yml (prometheus)");
        all.put(DASHBOARD, "docker-compose.yml (grafana)");
        all.put(COLLECTOR_CONFIG, "docker-compose.yml (otel-collector)");
        all.put(CONNECTOR_CONFIG, "docker-compose.yml (sink-init)");
        all.put(INDEX_TEMPLATE, "docker-compose.yml (sink-init)");
        return all;
    }

    public static String owner(String path) {
        return path.startsWith("alerts/") ? "alerts engineer (alerts/)" : "connectors engineer (connectors/)";
    }
}
