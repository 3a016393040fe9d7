// Readiness probe for scripts/kafka/kafka.sh. Compiled by kafka.sh into its
// cache directory (never into the repo) and run on the Kafka classpath.
//
//   java KafkaReady <timeoutMs> <id,id,...> <host:port> [<host:port> ...]
//
// Succeeds (exit 0) once, for EVERY listed address, an admin client that is
// bootstrapped from that address alone sees all the given broker ids among the
// live (unfenced) brokers of the cluster. Exit 1 on timeout, 2 on bad usage.
// Progress and errors go to stderr; nothing is printed to stdout.

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.common.Node;

public final class KafkaReady {
  private KafkaReady() {}

  public static void main(String[] args) throws Exception {
    if (args.length < 3) {
      System.err.println("usage: KafkaReady <timeoutMs> <id,id,...> <host:port> [<host:port> ...]");
      System.exit(2);
    }
    final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(Long.parseLong(args[0]));
    final List<String> addrs = new ArrayList<>();
    final Set<Integer> wantIds = new TreeSet<>();
    for (String id : args[1].split(",")) wantIds.add(Integer.parseInt(id.trim()));
    for (int i = 2; i < args.length; i++) addrs.add(args[i]);
    final int expected = addrs.size();

    final List<Admin> admins = new ArrayList<>();
    for (String addr : addrs) admins.add(Admin.create(props(addr)));

    String last = "no attempt made";
    try {
      while (System.nanoTime() < deadline) {
        boolean allGood = true;
        for (int i = 0; i < expected && allGood; i++) {
          try {
            Collection<Node> nodes = admins.get(i)
                .describeCluster(new DescribeClusterOptions().timeoutMs(2000))
                .nodes()
                .get(3, TimeUnit.SECONDS);
            Set<Integer> seen = new TreeSet<>();
            for (Node n : nodes) seen.add(n.id());
            if (!seen.containsAll(wantIds)) {
              allGood = false;
              last = addrs.get(i) + " sees live brokers " + seen + ", want " + wantIds;
            }
          } catch (Exception e) {
            allGood = false;
            Throwable c = e.getCause() != null ? e.getCause() : e;
            last = addrs.get(i) + ": " + c.getClass().getSimpleName() + ": " + c.getMessage();
          }
        }
        if (allGood) {
          System.err.println("kafka: brokers " + wantIds + " are live, checked via " + String.join(",", addrs));
          if (Boolean.getBoolean("kafka.ready.warmGroups")) warmGroupCoordinator(admins.get(0), deadline);
          return;
        }
        Thread.sleep(250);
      }
    } finally {
      for (Admin a : admins) {
        try {
          a.close(java.time.Duration.ofSeconds(1));
        } catch (Exception ignored) {
          // best effort
        }
      }
    }
    System.err.println("kafka: not ready before deadline; last observation: " + last);
    System.exit(1);
  }

  // Looking up a group's offsets makes the broker create __consumer_offsets and
  // elect its coordinators now, so the first consumer group of a test run does
  // not pay for it (clients would otherwise see COORDINATOR_NOT_AVAILABLE).
  private static void warmGroupCoordinator(Admin admin, long deadline) throws InterruptedException {
    String last = "";
    while (System.nanoTime() < deadline) {
      try {
        admin.listConsumerGroupOffsets("tasks-kafka-warmup").partitionsToOffsetAndMetadata().get(5, TimeUnit.SECONDS);
        System.err.println("kafka: group coordinator ready");
        return;
      } catch (Exception e) {
        Throwable c = e.getCause() != null ? e.getCause() : e;
        last = c.getClass().getSimpleName() + ": " + c.getMessage();
      }
      Thread.sleep(250);
    }
    System.err.println("kafka: group coordinator not ready before deadline: " + last);
    System.exit(1);
  }

  private static Properties props(String bootstrap) {
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(AdminClientConfig.CLIENT_ID_CONFIG, "tasks-kafka-ready");
    p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "2000");
    p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "3000");
    p.put(AdminClientConfig.RECONNECT_BACKOFF_MS_CONFIG, "100");
    p.put(AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, "500");
    p.put(AdminClientConfig.RETRY_BACKOFF_MS_CONFIG, "100");
    return p;
  }
}
