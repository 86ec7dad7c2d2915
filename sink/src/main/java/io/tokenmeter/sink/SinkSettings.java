package io.tokenmeter.sink;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How {@code llm-span-docs} documents are made.
 *
 * @param format           document layout (Data Prepper trace-analytics-raw or Elastic OTel-native)
 * @param contentAllowList glob patterns ({@code *} matches any run of characters) of prompt/completion
 *                         attribute keys or event names that are kept; empty (the default) drops all content
 * @param sampling         which spans become documents; default keeps all
 * @param elasticDataset   {@code data_stream.dataset} written by the elastic format, without the
 *                         {@code .otel} suffix that is appended as the Elastic exporter does
 * @param elasticNamespace {@code data_stream.namespace} written by the elastic format
 */
public record SinkSettings(
        SinkFormat format,
        List<String> contentAllowList,
        SamplingPolicy sampling,
        String elasticDataset,
        String elasticNamespace) {

    public static final String ENV_FORMAT = "TOKENMETER_SINK_FORMAT";
    public static final String ENV_CONTENT_ALLOW = "TOKENMETER_SINK_CONTENT_ALLOW";
    public static final String ENV_SAMPLE_FRACTION = "TOKENMETER_SINK_SAMPLE_FRACTION";
    public static final String ENV_KEEP_COST_USD = "TOKENMETER_SINK_KEEP_COST_USD";
    public static final String ENV_KEEP_DURATION = "TOKENMETER_SINK_KEEP_DURATION";
    public static final String ENV_ELASTIC_DATASET = "TOKENMETER_SINK_ELASTIC_DATASET";
    public static final String ENV_ELASTIC_NAMESPACE = "TOKENMETER_SINK_ELASTIC_NAMESPACE";

    public static final String DEFAULT_ELASTIC_DATASET = "tokenmeter";
    public static final String DEFAULT_ELASTIC_NAMESPACE = "default";

    /** Characters Elastic's data stream naming scheme forbids in dataset and namespace. */
    private static final Pattern DATA_STREAM_PART = Pattern.compile("[a-z0-9_.]{1,100}");
    private static final Pattern SHORT_DURATION = Pattern.compile("(\\d+)(ms|s|m|h)");

    public SinkSettings {
        Objects.requireNonNull(format, "format");
        Objects.requireNonNull(sampling, "sampling");
        contentAllowList = List.copyOf(Objects.requireNonNull(contentAllowList, "contentAllowList"));
        for (String pattern : contentAllowList) {
            if (pattern.isBlank()) {
                throw new IllegalArgumentException("content allow-list patterns must not be blank");
            }
        }
        elasticDataset = requireDataStreamPart("elastic dataset", elasticDataset);
        elasticNamespace = requireDataStreamPart("elastic namespace", elasticNamespace);
    }

    /** OpenSearch layout, no content, every span kept. */
    public static SinkSettings defaults() {
        return of(SinkFormat.OPENSEARCH);
    }

    /** The given layout with the defaults for everything else. */
    public static SinkSettings of(SinkFormat format) {
        return new SinkSettings(format, List.of(), SamplingPolicy.keepAll(),
                DEFAULT_ELASTIC_DATASET, DEFAULT_ELASTIC_NAMESPACE);
    }

    public SinkSettings withFormat(SinkFormat newFormat) {
        return new SinkSettings(newFormat, contentAllowList, sampling, elasticDataset, elasticNamespace);
    }

    public SinkSettings withContentAllowList(List<String> patterns) {
        return new SinkSettings(format, patterns, sampling, elasticDataset, elasticNamespace);
    }

    public SinkSettings withSampling(SamplingPolicy policy) {
        return new SinkSettings(format, contentAllowList, policy, elasticDataset, elasticNamespace);
    }

    public SinkSettings withElasticDataStream(String dataset, String namespace) {
        return new SinkSettings(format, contentAllowList, sampling, dataset, namespace);
    }

    /** The data stream the elastic documents belong in: {@code traces-<dataset>.otel-<namespace>}. */
    public String elasticDataStream() {
        return "traces-" + elasticDataset + ".otel-" + elasticNamespace;
    }

    /**
     * Reads the {@code TOKENMETER_SINK_*} variables; an absent or blank one keeps its default.
     * <ul>
     * <li>{@code TOKENMETER_SINK_FORMAT}: {@code opensearch} (default) or {@code elastic}</li>
     * <li>{@code TOKENMETER_SINK_CONTENT_ALLOW}: comma-separated glob patterns of content attributes to keep</li>
     * <li>{@code TOKENMETER_SINK_SAMPLE_FRACTION}: share of ordinary traces kept, 0..1 (default 1)</li>
     * <li>{@code TOKENMETER_SINK_KEEP_COST_USD}: always keep spans costing at least this</li>
     * <li>{@code TOKENMETER_SINK_KEEP_DURATION}: always keep spans lasting at least this ({@code 500ms}, {@code 5s}, {@code 2m}, {@code PT5S})</li>
     * <li>{@code TOKENMETER_SINK_ELASTIC_DATASET} / {@code TOKENMETER_SINK_ELASTIC_NAMESPACE}: data stream parts</li>
     * </ul>
     *
     * @throws IllegalArgumentException naming the variable when a value is invalid
     */
    public static SinkSettings fromEnvironment(Map<String, String> env) {
        SinkSettings settings = defaults();
        String format = value(env, ENV_FORMAT);
        if (format != null) {
            settings = settings.withFormat(parseWith(ENV_FORMAT, format, SinkFormat::parse));
        }
        String allow = value(env, ENV_CONTENT_ALLOW);
        if (allow != null) {
            settings = settings.withContentAllowList(Arrays.stream(allow.split(","))
                    .map(String::trim).filter(s -> !s.isEmpty()).toList());
        }
        SamplingPolicy sampling = settings.sampling();
        String fraction = value(env, ENV_SAMPLE_FRACTION);
        if (fraction != null) {
            sampling = parseWith(ENV_SAMPLE_FRACTION, fraction, v -> SamplingPolicy.fraction(Double.parseDouble(v)));
        }
        String cost = value(env, ENV_KEEP_COST_USD);
        if (cost != null) {
            SamplingPolicy base = sampling;
            sampling = parseWith(ENV_KEEP_COST_USD, cost, v -> base.withKeepCostAtLeastUsd(Double.parseDouble(v)));
        }
        String duration = value(env, ENV_KEEP_DURATION);
        if (duration != null) {
            SamplingPolicy base = sampling;
            sampling = parseWith(ENV_KEEP_DURATION, duration, v -> base.withKeepDurationAtLeast(parseDuration(v)));
        }
        settings = settings.withSampling(sampling);
        String dataset = value(env, ENV_ELASTIC_DATASET);
        String namespace = value(env, ENV_ELASTIC_NAMESPACE);
        if (dataset != null || namespace != null) {
            String d = dataset == null ? settings.elasticDataset() : dataset;
            String n = namespace == null ? settings.elasticNamespace() : namespace;
            SinkSettings base = settings;
            settings = parseWith(dataset != null ? ENV_ELASTIC_DATASET : ENV_ELASTIC_NAMESPACE, d + "/" + n,
                    ignored -> base.withElasticDataStream(d, n));
        }
        return settings;
    }

    /** Parses {@code 500ms}, {@code 5s}, {@code 2m}, {@code 1h} or an ISO-8601 duration such as {@code PT5S}. */
    static Duration parseDuration(String text) {
        String trimmed = text.trim().toLowerCase(Locale.ROOT);
        Matcher m = SHORT_DURATION.matcher(trimmed);
        if (m.matches()) {
            long amount = Long.parseLong(m.group(1));
            return switch (m.group(2)) {
                case "ms" -> Duration.ofMillis(amount);
                case "s" -> Duration.ofSeconds(amount);
                case "m" -> Duration.ofMinutes(amount);
                default -> Duration.ofHours(amount);
            };
        }
        try {
            return Duration.parse(text.trim().toUpperCase(Locale.ROOT));
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("not a duration: '" + text + "' (use 500ms, 5s, 2m, 1h or PT5S)", e);
        }
    }

    private static String value(Map<String, String> env, String name) {
        String v = env.get(name);
        return v == null || v.isBlank() ? null : v.trim();
    }

    private static <T> T parseWith(String name, String value, java.util.function.Function<String, T> parser) {
        try {
            return parser.apply(value);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(name + "=" + value + ": " + e.getMessage(), e);
        }
    }

    private static String requireDataStreamPart(String what, String value) {
        Objects.requireNonNull(value, what);
        if (!DATA_STREAM_PART.matcher(value).matches()) {
            throw new IllegalArgumentException(what + " must be 1-100 lowercase letters, digits, '_' or '.', got '" + value + "'");
        }
        return value;
    }
}
