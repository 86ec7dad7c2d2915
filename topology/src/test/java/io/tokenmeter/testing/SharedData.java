package io.tokenmeter.testing;

import java.nio.file.Files;
import java.nio.file.Path;

/** Locates {@code ../shared} (the pricing snapshots), laid out beside the checkout as in CI. */
public final class SharedData {
  private SharedData() {}

  public static Path pricing(String file) {
    String dir = System.getProperty("tokenmeter.shared.dir", "../../shared");
    Path p = Path.of(dir, "data", "pricing", file).toAbsolutePath().normalize();
    if (!Files.isRegularFile(p)) {
      throw new IllegalStateException("pricing snapshot " + p + " is missing: tests expect ../shared beside the checkout");
    }
    return p;
  }
}
