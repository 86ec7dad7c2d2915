package io.tokenmeter.connectors;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class AssetsTest {

    @Test
    void shouldParseEveryJsonYamlAndNdjsonAsset() {
        // Given every file under opensearch/, elasticsearch/, collector/, dashboards/
        List<String> files = Assets.all();
        assertThat(files).hasSizeGreaterThanOrEqualTo(14);

        // When each is parsed by its extension
        List<String> unparsed = new ArrayList<>();
        for (String file : files) {
            if (file.endsWith(".json")) {
                assertThat(Assets.json(file).isObject()).as(file).isTrue();
            } else if (file.endsWith(".yaml") || file.endsWith(".yml")) {
                assertThat(Assets.yaml(file).isObject()).as(file).isTrue();
            } else if (file.endsWith(".ndjson")) {
                assertThat(Assets.ndjson(file)).as(file).isNotEmpty().allMatch(n -> n.isObject());
            } else {
                unparsed.add(file);
            }
        }

        // Then none is of an unknown kind (each parsed, or the test failed on it above)
        assertThat(unparsed).isEmpty();
    }

    @Test
    void shouldDescribeEveryAssetInTheReadme() {
        // Given the README
        String readme = Assets.text("README.md");

        // Then it names every asset, so set-up order and checks cover them all
        for (String file : Assets.all()) {
            assertThat(readme).as("README mentions " + file).contains(file);
        }
    }
}
