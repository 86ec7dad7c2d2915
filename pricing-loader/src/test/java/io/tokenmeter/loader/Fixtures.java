package io.tokenmeter.loader;

import io.tokenmeter.pricing.LiteLlmCatalog;
import io.tokenmeter.pricing.PriceCard;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;

/** Catalogs and overrides for the unit tests. */
final class Fixtures {
  private Fixtures() {}

  static LiteLlmCatalog.Result snapshot(String file) throws IOException {
    try (InputStream in = Files.newInputStream(SharedData.pricing(file))) {
      return LiteLlmCatalog.read(in, "litellm " + file, PriceCard.BEGINNING_OF_TIME);
    }
  }

  static LiteLlmCatalog.Result catalog(String json) throws IOException {
    return LiteLlmCatalog.read(new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)), "litellm test",
        PriceCard.BEGINNING_OF_TIME);
  }

  static Overrides overrides(String yaml) {
    return Overrides.parse("overrides.yaml", yaml.getBytes(StandardCharsets.UTF_8));
  }

  static PriceSchedule schedule(LiteLlmCatalog.Result catalog, String yaml) {
    return PriceSchedule.of(catalog.cards(), catalog.skipped(), overrides(yaml), "overrides.yaml");
  }
}
