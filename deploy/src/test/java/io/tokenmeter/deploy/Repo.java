package io.tokenmeter.deploy;

import java.nio.file.Files;
import java.nio.file.Path;

/** The repository checkout the tests look at (set by the module's POM). */
public final class Repo {

    private Repo() {
    }

    public static Path root() {
        String dir = System.getProperty("tokenmeter.repo.dir");
        Path root = (dir == null ? Path.of("..") : Path.of(dir)).toAbsolutePath().normalize();
        if (!Files.isRegularFile(root.resolve("pom.xml")) || !Files.isDirectory(root.resolve("k8s"))) {
            throw new IllegalStateException("not the tokenmeter repository root: " + root);
        }
        return root;
    }

    public static Path path(String relative) {
        return root().resolve(relative).normalize();
    }

    public static String relative(Path path) {
        return root().relativize(path.toAbsolutePath().normalize()).toString();
    }
}
