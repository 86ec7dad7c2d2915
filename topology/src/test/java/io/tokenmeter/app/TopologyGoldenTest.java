package io.tokenmeter.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.tokenmeter.testing.TopologyHarness;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * Pins the topology's description. Processor, store and internal topic names are part of the
 * upgrade contract: a changed name orphans state and internal topics in a rolling upgrade. When a
 * change is intended, regenerate with {@code -Dtokenmeter.golden.update=true} and review the diff.
 */
class TopologyGoldenTest {
  private static final Path GOLDEN = Path.of("src/test/resources/golden/topology.txt");

  @Test
  void shouldMatchTheGoldenDescription() throws Exception {
    String actual;
    // every optional part switched on, so that none of it escapes the pin
    try (TopologyHarness harness = new TopologyHarness(java.util.Map.of(TokenmeterConfig.SINK_DOCS_ENABLED, "true"))) {
      actual = harness.topology.describe().toString();
    }
    if (Boolean.getBoolean("tokenmeter.golden.update")) {
      Files.createDirectories(GOLDEN.getParent());
      Files.writeString(GOLDEN, actual, StandardCharsets.UTF_8);
    }
    assertThat(GOLDEN).as("golden file; regenerate with -Dtokenmeter.golden.update=true").exists();
    assertThat(actual).isEqualTo(Files.readString(GOLDEN, StandardCharsets.UTF_8));
  }

  @Test
  void shouldNameEveryProcessorAndStore() throws Exception {
    try (TopologyHarness harness = new TopologyHarness(java.util.Map.of(TokenmeterConfig.SINK_DOCS_ENABLED, "true"))) {
      String description = harness.topology.describe().toString();

      // Kafka Streams' generated names look like KSTREAM-MAP-0000000003 or KSTREAM-AGGREGATE-STATE-STORE-...
      assertThat(description).doesNotContainPattern("K(STREAM|TABLE)-[A-Z-]+-\\d{10}");
    }
  }
}
