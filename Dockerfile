# syntax=docker/dockerfile:1
# tokenmeter: one image, two entry points.
#   topology (default):  docker run tokenmeter            -> java -jar /app/tokenmeter.jar run
#   pricing-loader:      docker run --entrypoint java tokenmeter -jar /app/pricing-loader.jar --help
# Build from the repository root:  docker build -t tokenmeter:0.1.0-SNAPSHOT .

# ---- build: the two shaded jars, with the Maven wrapper the project pins ----
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/root/.m2 \
    ./mvnw -B -ntp -DskipTests -pl topology,pricing-loader -am package \
 && cp topology/target/tokenmeter.jar pricing-loader/target/pricing-loader.jar /tmp/

# ---- runtime: JRE only, non-root, nothing writable but the state directory and /tmp ----
FROM eclipse-temurin:17-jre
ARG UID=10001
RUN groupadd --system --gid "${UID}" tokenmeter \
 && useradd --system --uid "${UID}" --gid tokenmeter --home-dir /var/lib/tokenmeter --no-create-home \
      --shell /usr/sbin/nologin tokenmeter \
 && mkdir -p /var/lib/tokenmeter /app \
 && chown "${UID}:${UID}" /var/lib/tokenmeter
COPY --from=build /tmp/tokenmeter.jar /app/tokenmeter.jar
COPY --from=build /tmp/pricing-loader.jar /app/pricing-loader.jar
ENV TOKENMETER_STATE_DIR=/var/lib/tokenmeter \
    JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=75 -XX:+ExitOnOutOfMemoryError"
VOLUME ["/var/lib/tokenmeter"]
EXPOSE 8080
USER 10001:10001
WORKDIR /var/lib/tokenmeter
# Exec form: java is PID 1 and receives SIGTERM, on which the app closes Kafka Streams cleanly.
ENTRYPOINT ["java", "-jar", "/app/tokenmeter.jar"]
CMD ["run"]
