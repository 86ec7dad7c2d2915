package io.tokenmeter.sink;

import java.util.Locale;

/** The document layout written to {@code llm-span-docs}. */
public enum SinkFormat {
    /** Data Prepper's {@code trace-analytics-raw} layout ({@code otel-v1-apm-span-*}), so Trace Analytics works. */
    OPENSEARCH("opensearch"),
    /** The OTel-native layout of Elastic's {@code traces-*.otel-*} data streams (the exporter's {@code otel} mapping mode). */
    ELASTIC("elastic");

    private final String configName;

    SinkFormat(String configName) {
        this.configName = configName;
    }

    /** The name used in configuration ({@code opensearch} or {@code elastic}). */
    public String configName() {
        return configName;
    }

    /** Parses a configuration value, case-insensitively. */
    public static SinkFormat parse(String value) {
        if (value != null) {
            String wanted = value.trim().toLowerCase(Locale.ROOT);
            for (SinkFormat format : values()) {
                if (format.configName.equals(wanted)) {
                    return format;
                }
            }
        }
        throw new IllegalArgumentException("unknown sink format '" + value + "': expected opensearch or elastic");
    }
}
