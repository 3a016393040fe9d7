// Control for leader-move.test.ts with Kafka's own Java producer: the same
// batch over two partitions while partition 0's leadership moves to the node
// leading partition 1, with the producer's metadata stale. Prints the records
// found in the topic. Run (Java 17, kafka-clients on the classpath kafka.sh resolves):
//   java -cp "$(cat ~/.cache/tasks-kafka/classpath-*.txt)" LeaderMoveControl.java 127.0.0.1:29092
import java.time.Duration;
import java.util.*;
import org.apache.kafka.clients.admin.*;
import org.apache.kafka.clients.consumer.*;
import org.apache.kafka.clients.producer.*;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.*;

public class LeaderMoveControl {
  public static void main(String[] args) throws Exception {
    String bootstrap = args[0];
    String topic = "faults-java-move-" + System.currentTimeMillis();
    Properties common = new Properties();
    common.put("bootstrap.servers", bootstrap);
    try (Admin admin = Admin.create(common)) {
      Map<Integer, List<Integer>> assignment = Map.of(0, List.of(1, 2, 3), 1, List.of(2, 3, 1));
      admin.createTopics(List.of(new NewTopic(topic, assignment)
          .configs(Map.of("min.insync.replicas", "2")))).all().get();
      waitLeader(admin, topic, 0, 1);
      Properties p = new Properties();
      p.putAll(common);
      p.put("acks", "all");
      p.put("linger.ms", "50");
      p.put("key.serializer", StringSerializer.class.getName());
      p.put("value.serializer", StringSerializer.class.getName());
      try (KafkaProducer<String, String> producer = new KafkaProducer<>(p)) {
        producer.send(new ProducerRecord<>(topic, 0, null, "warm-0")).get();
        producer.send(new ProducerRecord<>(topic, 1, null, "warm-1")).get();
        admin.alterPartitionReassignments(Map.of(new TopicPartition(topic, 0),
            Optional.of(new NewPartitionReassignment(List.of(2, 3))))).all().get();
        waitLeader(admin, topic, 0, 2);
        var a = producer.send(new ProducerRecord<>(topic, 0, null, "moved-0"));
        var b = producer.send(new ProducerRecord<>(topic, 1, null, "stayed-1"));
        System.out.println("acked " + a.get().partition() + "@" + a.get().offset() + " " + b.get().partition() + "@" + b.get().offset());
      }
      Properties c = new Properties();
      c.putAll(common);
      c.put("group.id", topic);
      c.put("auto.offset.reset", "earliest");
      c.put("key.deserializer", StringDeserializer.class.getName());
      c.put("value.deserializer", StringDeserializer.class.getName());
      List<String> seen = new ArrayList<>();
      try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(c)) {
        consumer.subscribe(List.of(topic));
        long end = System.currentTimeMillis() + 30_000;
        while (seen.size() < 4 && System.currentTimeMillis() < end) {
          for (var r : consumer.poll(Duration.ofMillis(500))) seen.add(r.value());
        }
      }
      Collections.sort(seen);
      System.out.println("in topic: " + seen);
      admin.deleteTopics(List.of(topic)).all().get();
      System.exit(seen.size() == 4 ? 0 : 1);
    }
  }

  static void waitLeader(Admin admin, String topic, int partition, int leader) throws Exception {
    for (int i = 0; i < 300; i++) {
      var d = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic);
      var l = d.partitions().get(partition).leader();
      if (l != null && l.id() == leader) return;
      Thread.sleep(200);
    }
    throw new IllegalStateException("leader of " + partition + " never became " + leader);
  }
}
