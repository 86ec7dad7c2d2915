package io.tokenmeter.sink;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SinkSettingsTest {

    @Test
    void shouldDefaultToOpenSearchWithoutContentKeepingEverything() {
        // When no variable is set
        SinkSettings settings = SinkSettings.fromEnvironment(Map.of());

        // Then the defaults hold
        assertThat(settings).isEqualTo(SinkSettings.defaults());
        assertThat(settings.format()).isEqualTo(SinkFormat.OPENSEARCH);
        assertThat(settings.contentAllowList()).isEmpty();
        assertThat(settings.sampling().keepsEverything()).isTrue();
        assertThat(settings.elasticDataStream()).isEqualTo("traces-tokenmeter.otel-default");
    }

    @Test
    void shouldReadEveryVariable() {
        // Given every TOKENMETER_SINK_* variable
        Map<String, String> env = Map.of(
                "TOKENMETER_SINK_FORMAT", "Elastic",
                "TOKENMETER_SINK_CONTENT_ALLOW", "gen_ai.prompt.*, input.value ,",
                "TOKENMETER_SINK_SAMPLE_FRACTION", "0.05",
                "TOKENMETER_SINK_KEEP_COST_USD", "0.25",
                "TOKENMETER_SINK_KEEP_DURATION", "30s",
                "TOKENMETER_SINK_ELASTIC_DATASET", "llm",
                "TOKENMETER_SINK_ELASTIC_NAMESPACE", "prod");

        // When they are read
        SinkSettings settings = SinkSettings.fromEnvironment(env);

        // Then each lands in its place
        assertThat(settings.format()).isEqualTo(SinkFormat.ELASTIC);
        assertThat(settings.contentAllowList()).containsExactly("gen_ai.prompt.*", "input.value");
        assertThat(settings.sampling()).isEqualTo(new SamplingPolicy(0.05, Optional.of(0.25), Optional.of(Duration.ofSeconds(30))));
        assertThat(settings.elasticDataStream()).isEqualTo("traces-llm.otel-prod");
    }

    @Test
    void shouldNameTheVariableWhenAValueIsInvalid() {
        // Then each bad value is reported with its variable
        assertThatThrownBy(() -> SinkSettings.fromEnvironment(Map.of("TOKENMETER_SINK_FORMAT", "splunk")))
                .hasMessageContaining("TOKENMETER_SINK_FORMAT=splunk");
        assertThatThrownBy(() -> SinkSettings.fromEnvironment(Map.of("TOKENMETER_SINK_SAMPLE_FRACTION", "ten percent")))
                .hasMessageContaining("TOKENMETER_SINK_SAMPLE_FRACTION");
        assertThatThrownBy(() -> SinkSettings.fromEnvironment(Map.of("TOKENMETER_SINK_SAMPLE_FRACTION", "2")))
                .hasMessageContaining("[0, 1]");
        assertThatThrownBy(() -> SinkSettings.fromEnvironment(Map.of("TOKENMETER_SINK_KEEP_DURATION", "soon")))
                .hasMessageContaining("TOKENMETER_SINK_KEEP_DURATION");
        assertThatThrownBy(() -> SinkSettings.fromEnvironment(Map.of("TOKENMETER_SINK_ELASTIC_NAMESPACE", "my-ns")))
                .hasMessageContaining("TOKENMETER_SINK_ELASTIC_NAMESPACE");
    }

    @Test
    void shouldParseShortAndIsoDurations() {
        // Then the duration forms agree
        assertThat(SinkSettings.parseDuration("500ms")).isEqualTo(Duration.ofMillis(500));
        assertThat(SinkSettings.parseDuration("2m")).isEqualTo(Duration.ofMinutes(2));
        assertThat(SinkSettings.parseDuration("1h")).isEqualTo(Duration.ofHours(1));
        assertThat(SinkSettings.parseDuration("PT5S")).isEqualTo(Duration.ofSeconds(5));
        assertThat(SinkSettings.of(SinkFormat.ELASTIC).withContentAllowList(List.of("x")).contentAllowList()).containsExactly("x");
    }
}
