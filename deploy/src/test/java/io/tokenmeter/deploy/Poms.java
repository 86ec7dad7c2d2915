package io.tokenmeter.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Facts read from the project's POMs, so that deployment files cannot drift from the build. */
public final class Poms {

    private Poms() {
    }

    private static String read(String relative) {
        try {
            return Files.readString(Repo.path(relative));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String first(String text, String regex, String what) {
        Matcher m = Pattern.compile(regex).matcher(text);
        if (!m.find()) {
            throw new AssertionError("not found: " + what);
        }
        return m.group(1).trim();
    }

    public static String projectVersion() {
        return first(read("pom.xml"), "<artifactId>tokenmeter-parent</artifactId>\\s*<version>([^<]+)</version>",
                "project version in pom.xml");
    }

    public static String kafkaVersion() {
        return first(read("pom.xml"), "<kafka.version>([^<]+)</kafka.version>", "kafka.version in pom.xml");
    }

    public static List<String> modules() {
        List<String> modules = new ArrayList<>();
        Matcher m = Pattern.compile("<module>([^<]+)</module>").matcher(read("pom.xml"));
        while (m.find()) {
            modules.add(m.group(1).trim());
        }
        return modules;
    }

    /** The shaded jar's final name of a module (its {@code <finalName>}), e.g. "tokenmeter". */
    public static String finalName(String module) {
        return first(read(module + "/pom.xml"), "<finalName>([^<]+)</finalName>", "finalName in " + module + "/pom.xml");
    }
}
