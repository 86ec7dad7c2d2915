package io.tokenmeter.app;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Creates missing topics with the configuration their descriptors carry. */
public final class TopicSetup {
  private static final Logger LOG = LoggerFactory.getLogger(TopicSetup.class);

  private TopicSetup() {}

  public static void createMissing(Properties clientProps, List<TopicDescriptor<?, ?>> topics, int partitions,
      short replication) throws ExecutionException, InterruptedException {
    try (Admin admin = Admin.create(clientProps)) {
      Set<String> existing = admin.listTopics().names().get();
      List<NewTopic> create = new ArrayList<>();
      for (TopicDescriptor<?, ?> t : topics) {
        if (!existing.contains(t.name())) {
          create.add(new NewTopic(t.name(), partitions, replication).configs(Map.copyOf(t.config())));
        }
      }
      if (create.isEmpty()) {
        return;
      }
      try {
        admin.createTopics(create).all().get();
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof TopicExistsException)) {
          throw e;
        }
      }
      create.forEach(t -> LOG.info("Created topic {} ({} partitions, {})", t.name(), t.numPartitions(), t.configs()));
    }
  }
}
