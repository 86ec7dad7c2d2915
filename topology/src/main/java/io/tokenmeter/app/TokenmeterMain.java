package io.tokenmeter.app;

import io.tokenmeter.demo.DemoCommand;
import io.tokenmeter.kafka.KafkaClientSettings;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.kafka.common.config.ConfigException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The thin main: parses the command line and hands over to {@link StreamsApp} or the demo. */
@Command(name = "tokenmeter", mixinStandardHelpOptions = true, version = "tokenmeter 0.1.0",
    description = "Prices LLM spans from OpenTelemetry traces in Kafka.",
    subcommands = {TokenmeterMain.Run.class, DemoCommand.class, io.tokenmeter.demo.TrafficCommand.class,
        TokenmeterMain.Config.class})
public final class TokenmeterMain implements Runnable {
  /** Exit code for bad configuration, as picocli uses for bad usage. */
  public static final int EXIT_CONFIG = 2;

  public static void main(String[] args) {
    System.exit(new CommandLine(new TokenmeterMain()).execute(args));
  }

  @Override
  public void run() {
    new CommandLine(this).usage(System.out);
  }

  /** {@code tokenmeter run}: the production entry point. */
  @Command(name = "run", mixinStandardHelpOptions = true,
      description = "Run the topology against Kafka (settings from TOKENMETER_* variables, --config and --set).")
  static final class Run implements Callable<Integer> {
    @Option(names = "--config", description = "Properties file of tokenmeter and Kafka client settings.")
    Path configFile;

    @Option(names = "--set", description = "A setting, name=value (repeatable); wins over the file and the environment.")
    List<String> overrides = List.of();

    @Override
    public Integer call() throws Exception {
      TokenmeterConfig config;
      try {
        Map<String, String> set = new HashMap<>();
        for (String kv : overrides) {
          Map.Entry<String, String> e = KafkaClientSettings.parseOverride(kv);
          set.put(e.getKey(), e.getValue());
        }
        config = TokenmeterConfig.load(System.getenv(),
            configFile == null ? Map.of() : KafkaClientSettings.fromFile(configFile), set);
        config.httpSecurity(); // validated now, not at first use
        config.sinkSettings();
        if (config.bootstrapServers().isBlank()) {
          throw new ConfigException("bootstrap.servers is required: set TOKENMETER_BOOTSTRAP_SERVERS or --set bootstrap.servers=host:9092");
        }
      } catch (ConfigException | IllegalArgumentException e) {
        System.err.println("tokenmeter: invalid configuration: " + e.getMessage());
        return EXIT_CONFIG;
      }
      StreamsApp app = new StreamsApp(config);
      Thread hook = new Thread(app::close, "tokenmeter-shutdown");
      Runtime.getRuntime().addShutdownHook(hook);
      app.start();
      boolean failed = app.awaitStop(null);
      if (failed) {
        System.err.println("tokenmeter: Kafka Streams reached ERROR; exiting with status 1");
        return 1;
      }
      return 0;
    }
  }

  /** {@code tokenmeter config}: prints the settings reference. */
  @Command(name = "config", mixinStandardHelpOptions = true, description = "Print every setting with its env var, default and meaning.")
  static final class Config implements Runnable {
    @Override
    public void run() {
      System.out.print(TokenmeterConfig.documentation());
    }
  }
}
