package io.tokenmeter.loader;

import io.tokenmeter.kafka.KafkaClientSettings;
import io.tokenmeter.pricing.LiteLlmCatalog;
import io.tokenmeter.pricing.PriceCard;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.CommonClientConfigs;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code pricing-loader}: publishes price cards (LiteLLM's catalog plus an overrides file) to the
 * compacted pricing topic, writing only the cards that changed, in one Kafka transaction.
 */
@Command(
    name = "pricing-loader",
    mixinStandardHelpOptions = true,
    version = "tokenmeter pricing-loader 0.1.0",
    sortOptions = false,
    usageHelpAutoWidth = true,
    description = {
      "Publishes price cards to the compacted pricing topic (BRIEF section 5): reads LiteLLM's"
          + " model_prices_and_context_window.json, applies the overrides, reads the topic to its end and"
          + " writes only the cards that changed, in one transaction.",
      "Progress goes to stderr; the diff and the summary to stdout."
    },
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
      "0:success (also when nothing changed)",
      "1:unexpected internal error (a bug: please report it with the stack trace)",
      "2:invalid input: malformed or invalid source or overrides, bad options; nothing written",
      "3:Kafka failure: unreachable, not authorised, topic not compacted, transaction failed; nothing written",
      "4:an input could not be read: missing file, HTTP error, timeout; nothing written"
    })
public final class PricingLoader implements Callable<Integer> {
  static final String DEFAULT_SOURCE =
      "https://raw.githubusercontent.com/BerriAI/litellm/main/model_prices_and_context_window.json";

  @Option(names = {"-s", "--source"}, paramLabel = "<file|url>",
      defaultValue = "${env:TOKENMETER_PRICING_SOURCE:-" + DEFAULT_SOURCE + "}",
      description = "LiteLLM catalog: a file or an http(s) URL (env TOKENMETER_PRICING_SOURCE; default: ${DEFAULT-VALUE})")
  String source;

  @Option(names = "--source-name", paramLabel = "<text>",
      description = "written as each card's 'source' (default: litellm <run date>)")
  String sourceName;

  @Option(names = {"-o", "--overrides"}, paramLabel = "<file>", defaultValue = "${env:TOKENMETER_PRICING_OVERRIDES}",
      description = "overrides YAML: discounts, custom models, aliases (env TOKENMETER_PRICING_OVERRIDES)")
  Path overrides;

  @Option(names = {"-b", "--bootstrap-servers"}, paramLabel = "<host:port,...>",
      defaultValue = "${env:TOKENMETER_BOOTSTRAP_SERVERS}",
      description = "Kafka bootstrap servers (env TOKENMETER_BOOTSTRAP_SERVERS)")
  String bootstrapServers;

  @Option(names = {"-t", "--topic"}, paramLabel = "<topic>", defaultValue = "${env:TOKENMETER_TOPIC_PRICING:-llm-pricing}",
      description = "pricing topic (env TOKENMETER_TOPIC_PRICING; default: ${DEFAULT-VALUE})")
  String topic;

  @Option(names = "--kafka-config", paramLabel = "<file>",
      description = "Kafka client properties file (security settings...), on top of TOKENMETER_KAFKA_* variables")
  Path kafkaConfig;

  @Option(names = {"-X", "--kafka-property"}, paramLabel = "<key=value>",
      description = "one Kafka client property, on top of --kafka-config (repeatable)")
  List<String> kafkaProperties = new ArrayList<>();

  @Option(names = "--transactional-id", paramLabel = "<id>",
      defaultValue = "${env:TOKENMETER_PRICING_TRANSACTIONAL_ID:-tokenmeter-pricing-loader}",
      description = "transactional.id of the producer (default: ${DEFAULT-VALUE})")
  String transactionalId;

  @Option(names = "--partitions", paramLabel = "<n>", defaultValue = "1",
      description = "partitions when the topic is created (default: ${DEFAULT-VALUE})")
  int partitions;

  @Option(names = "--replication-factor", paramLabel = "<n>", defaultValue = "-1",
      description = "replication factor when the topic is created (default: the broker's default.replication.factor)")
  short replicationFactor;

  @Option(names = "--effective-from", paramLabel = "<date|instant>", converter = InstantConverter.class,
      description = "effective date of the cards written (default: the beginning of time for a model's first"
          + " card, the run time for a changed one); 2025-10-01 or 2025-10-01T12:00:00Z")
  Instant effectiveFrom;

  @Option(names = {"-n", "--dry-run"}, description = "print the diff, write nothing (does not create the topic)")
  boolean dryRun;

  @Option(names = "--retract-missing",
      description = "retract (tombstone every card of) models on the topic that the source no longer has")
  boolean retractMissing;

  @Option(names = "--skip-invalid",
      description = "skip catalog entries with invalid prices (negative, non-numeric) instead of failing;"
          + " their cards on the topic are kept")
  boolean skipInvalid;

  @Option(names = "--timeout", paramLabel = "<seconds>", defaultValue = "60",
      description = "timeout of each Kafka and HTTP operation, in seconds (default: ${DEFAULT-VALUE})")
  int timeoutSeconds;

  @Option(names = {"-v", "--verbose"}, description = "list every skipped catalog entry with its reason (stderr)")
  boolean verbose;

  @Spec CommandSpec spec;

  private final Map<String, String> env;
  private final Clock clock;

  public PricingLoader() {
    this(System.getenv(), Clock.systemUTC());
  }

  PricingLoader(Map<String, String> env, Clock clock) {
    this.env = Map.copyOf(env);
    this.clock = clock;
  }

  public static void main(String[] args) {
    System.exit(new CommandLine(new PricingLoader()).execute(args));
  }

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    try {
      run(out, err);
      return LoaderException.OK;
    } catch (LoaderException e) {
      String kind = switch (e.exitCode()) {
        case LoaderException.INVALID_INPUT -> "invalid input";
        case LoaderException.KAFKA_FAILURE -> "Kafka failure";
        default -> "input unavailable";
      };
      e.problems().forEach(p -> err.println("pricing-loader: " + kind + ": " + p));
      err.println("pricing-loader: " + (e.nothingWritten() ? "nothing was written" : "outcome unknown")
          + " (exit code " + e.exitCode() + ")");
      return e.exitCode();
    } finally {
      out.flush();
      err.flush();
    }
  }

  private void run(PrintWriter out, PrintWriter err) {
    Instant runTime = clock.instant().truncatedTo(ChronoUnit.SECONDS);
    Instant from = effectiveFrom == null ? null : effectiveFrom.truncatedTo(ChronoUnit.SECONDS);
    Duration timeout = Duration.ofSeconds(timeoutSeconds);
    if (partitions < 1 || timeoutSeconds < 1 || (replicationFactor < 1 && replicationFactor != -1)) {
      throw LoaderException.invalid("--partitions and --timeout must be positive, --replication-factor positive or -1");
    }
    Map<String, Object> kafka = clientConfig();
    printConfig(err, kafka);

    // 1. Everything is read and validated before Kafka is touched.
    String name = sourceName != null ? sourceName : "litellm " + runTime.atZone(ZoneOffset.UTC).toLocalDate();
    LiteLlmCatalog.Result catalog = readCatalog(name, CatalogSource.read(source, timeout));
    Set<String> invalid = new TreeSet<>();
    List<String> problems = new ArrayList<>();
    catalog.skipped().forEach((model, reason) -> {
      if (reason.startsWith("invalid")) {
        invalid.add(model);
        problems.add(source + ": entry '" + model + "': " + reason);
      }
      if (verbose) {
        err.println("skipped " + model + ": " + reason);
      }
    });
    if (!problems.isEmpty() && !skipInvalid) {
      problems.add("(pass --skip-invalid to skip such entries and keep their cards on the topic)");
      throw LoaderException.invalid(problems);
    }
    Overrides parsed = Overrides.NONE;
    String overridesName = "(no overrides)";
    if (overrides != null) {
      overridesName = overrides.getFileName().toString();
      parsed = Overrides.parse(overridesName, CatalogSource.read(overrides.toString(), timeout));
    }
    PriceSchedule schedule = PriceSchedule.of(catalog.cards(), catalog.skipped(), parsed, overridesName);
    err.println("source: " + (catalog.cards().size() + catalog.skipped().size()) + " entries, "
        + catalog.cards().size() + " priced; overrides: " + parsed.discounts().size() + " discount(s), "
        + parsed.models().size() + " custom model(s), " + parsed.aliases().size() + " model(s) with aliases");

    // 2. Kafka: topic checked (created), transaction fenced, topic read to its end, diff, one transaction.
    PricingPlan plan;
    try (PricingTopic pricing = new PricingTopic(kafka, topic, timeout, err)) {
      boolean exists = pricing.prepare(!dryRun, partitions,
          replicationFactor == -1 ? Optional.empty() : Optional.of(replicationFactor));
      if (!dryRun) {
        pricing.initTransactions(transactionalId);
      }
      TopicState state = exists ? pricing.readToEnd() : new TopicState();
      plan = PricingPlan.compute(state, schedule, runTime, from, retractMissing, invalid);
      printDiff(out, plan);
      if (!dryRun && !plan.writes().isEmpty()) {
        pricing.write(plan.writes());
      }
    }
    printSummary(out, catalog, plan);
  }

  private LiteLlmCatalog.Result readCatalog(String name, byte[] json) {
    try {
      return LiteLlmCatalog.read(new ByteArrayInputStream(json), name, PriceCard.BEGINNING_OF_TIME);
    } catch (IOException e) {
      String m = String.valueOf(e.getMessage());
      throw LoaderException.invalid(source + " is not a LiteLLM catalog: " + m.lines().findFirst().orElse(m));
    }
  }

  /** TOKENMETER_KAFKA_* variables, then --kafka-config, then --kafka-property, then --bootstrap-servers. */
  private Map<String, Object> clientConfig() {
    Map<String, Object> config = new TreeMap<>(KafkaClientSettings.fromEnv(env));
    if (kafkaConfig != null) {
      try {
        config.putAll(KafkaClientSettings.fromFile(kafkaConfig));
      } catch (IOException e) {
        throw LoaderException.unavailable("cannot read --kafka-config " + kafkaConfig + ": " + e, e);
      }
    }
    for (String kv : kafkaProperties) {
      try {
        Map.Entry<String, String> e = KafkaClientSettings.parseOverride(kv);
        config.put(e.getKey(), e.getValue());
      } catch (IllegalArgumentException e) {
        throw LoaderException.invalid(e.getMessage());
      }
    }
    if (bootstrapServers != null && !bootstrapServers.isBlank()) {
      config.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    }
    if (!config.containsKey(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG)) {
      throw LoaderException.invalid("no Kafka bootstrap servers: pass --bootstrap-servers or set TOKENMETER_BOOTSTRAP_SERVERS");
    }
    return config;
  }

  private void printConfig(PrintWriter err, Map<String, Object> kafka) {
    err.println("pricing-loader: source=" + source + " overrides=" + (overrides == null ? "(none)" : overrides)
        + " topic=" + topic + " transactional.id=" + transactionalId + (dryRun ? " dry-run" : "")
        + (retractMissing ? " retract-missing" : "") + (skipInvalid ? " skip-invalid" : "")
        + (effectiveFrom == null ? "" : " effective-from=" + effectiveFrom));
    kafka.forEach((k, v) -> err.println("pricing-loader: kafka " + k + "=" + KafkaClientSettings.masked(k, v)));
  }

  private static void printDiff(PrintWriter out, PricingPlan plan) {
    for (PricingPlan.Write w : plan.writes()) {
      switch (w.change()) {
        case ADDED -> out.println("+ " + w.key() + "  " + CardDiff.describe(w.card()));
        case CHANGED -> out.println("~ " + w.key() + "  " + CardDiff.changes(w.previous(), w.card()));
        case RETRACTED -> out.println("- " + w.key() + "  (retracted)");
      }
    }
    for (String model : plan.missing()) {
      out.println("? " + model + "  not in the source any more; kept (--retract-missing retracts it)");
    }
  }

  private void printSummary(PrintWriter out, LiteLlmCatalog.Result catalog, PricingPlan plan) {
    List<String> reasons = new ArrayList<>();
    catalog.skippedByReason().forEach((reason, n) -> reasons.add(n + " " + reason));
    int skipped = catalog.skipped().size();
    out.println(dryRun ? "summary (dry run, nothing written):" : "summary:");
    line(out, "read", catalog.cards().size() + skipped, "catalog entries from " + source);
    line(out, "added", plan.added(), "models");
    line(out, "changed", plan.changed(), "models");
    line(out, "unchanged", plan.unchanged(), "models");
    line(out, "retracted", plan.retracted(), "models");
    line(out, "skipped", skipped, "entries" + (reasons.isEmpty() ? "" : ": " + String.join(", ", reasons)));
    if (!plan.missing().isEmpty()) {
      line(out, "missing", plan.missing().size(), "models on " + topic + " not in the source, kept");
    }
    int records = plan.writes().size();
    if (dryRun) {
      line(out, "written", 0, "records to " + topic + " (" + records + " without --dry-run)");
    } else {
      line(out, "written", records, "records to " + topic + (records == 0 ? "" : " in one transaction"));
    }
  }

  private static void line(PrintWriter out, String what, long n, String detail) {
    out.printf("  %-10s %6d  %s%n", what, n, detail);
  }

  /** Parses {@code --effective-from}: a date (midnight UTC) or an ISO-8601 instant. */
  static final class InstantConverter implements CommandLine.ITypeConverter<Instant> {
    @Override
    public Instant convert(String value) {
      try {
        return Overrides.parseInstant(value);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.TypeConversionException(e.getMessage());
      }
    }
  }
}
