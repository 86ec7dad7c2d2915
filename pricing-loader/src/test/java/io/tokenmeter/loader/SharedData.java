package io.tokenmeter.loader;

import java.nio.file.Files;
import java.nio.file.Path;

/** Locates {@code ../shared} (the pricing snapshots) the way CI lays it out beside the checkout. */
final class SharedData {
  private SharedData() {}

  static Path pricing(String file) {
    String dir = System.getProperty("tokenmeter.shared.dir", "../../shared");
    Path p = Path.of(dir, "data", "pricing", file).toAbsolutePath().normalize();
    if (!Files.isRegularFile(p)) {
      throw new IllegalStateException("pricing snapshot " + p + " is missing: tests expect ../shared beside the checkout");
    }
    return p;
  }

  /** The example overrides file shipped with the module. */
  static Path exampleOverrides() {
    return Path.of("examples", "overrides.yaml").toAbsolutePath();
  }
}
