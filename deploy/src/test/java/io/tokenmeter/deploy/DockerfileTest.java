package io.tokenmeter.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The image: multi-stage, JRE 17 runtime, non-root, both entry points, built from what exists. */
class DockerfileTest {

    private static List<String> instructions() throws IOException {
        // Join continuation lines, drop comments and blank lines.
        String text = Files.readString(Repo.path("Dockerfile")).replaceAll("\\\\\\n", " ");
        List<String> out = new ArrayList<>();
        for (String line : text.split("\n")) {
            String l = line.strip();
            if (!l.isEmpty() && !l.startsWith("#")) {
                out.add(l);
            }
        }
        return out;
    }

    private static List<String> starting(String keyword) throws IOException {
        return instructions().stream().filter(i -> i.toUpperCase().startsWith(keyword + " ")).toList();
    }

    @Test
    void shouldBuildInAMavenStageAndRunOnAJre17() throws IOException {
        List<String> from = starting("FROM");
        assertThat(from).hasSize(2);
        assertThat(from.get(0)).startsWith("FROM maven:3.9-eclipse-temurin-17 AS build");
        assertThat(from.get(1)).isEqualTo("FROM eclipse-temurin:17-jre");
        String run = String.join("\n", starting("RUN"));
        assertThat(run).contains("./mvnw -B").contains("-DskipTests").contains("package");
    }

    @Test
    void shouldBuildModulesThatExist() throws IOException {
        // Given the modules the build stage asks for
        String run = starting("RUN").get(0);
        Matcher pl = Pattern.compile("-pl\\s+(\\S+)").matcher(run);
        assertThat(pl.find()).isTrue();
        // Then each is a module of the root POM with its own POM
        for (String module : pl.group(1).split(",")) {
            assertThat(Poms.modules()).contains(module);
            assertThat(Repo.path(module + "/pom.xml")).isRegularFile();
        }
    }

    @Test
    void shouldCopyTheJarsTheModulesProduce() throws IOException {
        // Given the shaded jars' final names in the module POMs
        String topologyJar = "topology/target/" + Poms.finalName("topology") + ".jar";
        String loaderJar = "pricing-loader/target/" + Poms.finalName("pricing-loader") + ".jar";
        String text = String.join("\n", instructions());
        // Then the build stage picks them up and the runtime has both entry points
        assertThat(text).contains(topologyJar).contains(loaderJar);
        assertThat(starting("COPY")).anyMatch(c -> c.startsWith("COPY --from=build") && c.endsWith("/app/tokenmeter.jar"));
        assertThat(starting("COPY")).anyMatch(c -> c.startsWith("COPY --from=build") && c.endsWith("/app/pricing-loader.jar"));
    }

    @Test
    void shouldRunAsANonRootUserAndReceiveSigtermInJava() throws IOException {
        List<String> all = instructions();
        List<String> users = starting("USER");
        assertThat(users).isNotEmpty();
        String user = users.get(users.size() - 1).substring(5).trim();
        // Numeric, so Kubernetes' runAsNonRoot can verify it, and the same uid the manifests use
        assertThat(user).matches("\\d+(:\\d+)?");
        assertThat(Integer.parseInt(user.split(":")[0])).isEqualTo(10001);
        String entrypoint = starting("ENTRYPOINT").get(0);
        assertThat(entrypoint).isEqualTo("ENTRYPOINT [\"java\", \"-jar\", \"/app/tokenmeter.jar\"]");
        assertThat(all.indexOf(users.get(users.size() - 1))).isLessThan(all.indexOf(entrypoint));
        assertThat(starting("CMD")).containsExactly("CMD [\"run\"]");
        assertThat(String.join("\n", starting("EXPOSE"))).contains("8080");
        assertThat(String.join("\n", starting("ENV"))).contains("TOKENMETER_STATE_DIR=/var/lib/tokenmeter");
    }

    @Test
    void shouldKeepEveryModuleInTheBuildContext() throws IOException {
        // Given .dockerignore
        List<String> ignored = Files.readAllLines(Repo.path(".dockerignore")).stream()
                .map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
        // Then the reactor's modules, the wrapper and the root POM are not excluded (Maven reads every module)
        List<String> needed = new ArrayList<>(Poms.modules());
        needed.addAll(List.of("pom.xml", "mvnw", ".mvn"));
        for (String path : needed) {
            for (String pattern : ignored) {
                String p = pattern.replaceAll("/$", "");
                assertThat(path.equals(p) || path.startsWith(p + "/"))
                        .as(".dockerignore '%s' excludes %s", pattern, path).isFalse();
            }
        }
        assertThat(ignored).contains("**/target", ".git");
    }
}
