import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;

import org.apache.kafka.clients.producer.RoundRobinPartitioner;
import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
import org.apache.kafka.common.Cluster;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.utils.Utils;

/**
 * Kafka's partitioning functions, driven from stdin.
 *
 * murmur2: each input line is "hexkey numPartitions"; prints
 *   "murmur2 toPositive(murmur2) BuiltInPartitioner.partitionForKey".
 * roundrobin: args "roundrobin numPartitions availableCsv count"; prints the partitions
 *   Java's RoundRobinPartitioner returns for count records of one topic, one per line.
 */
public class PartitionerCrossCheck {
    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("roundrobin")) {
            roundRobin(Integer.parseInt(args[1]), args[2], Integer.parseInt(args[3]));
            return;
        }
        HexFormat hex = HexFormat.of();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII));
        StringBuilder out = new StringBuilder();
        String line;
        while ((line = in.readLine()) != null) {
            if (line.isEmpty()) continue;
            String[] parts = line.split(" ", -1);
            byte[] key = hex.parseHex(parts[0]);
            int n = Integer.parseInt(parts[1]);
            int h = Utils.murmur2(key);
            out.append(h).append(' ').append(Utils.toPositive(h)).append(' ')
               .append(BuiltInPartitioner.partitionForKey(key, n)).append('\n');
        }
        System.out.print(out);
    }

    private static void roundRobin(int numPartitions, String availableCsv, int count) {
        Node leader = new Node(0, "localhost", 9092);
        List<Integer> available = new ArrayList<>();
        if (!availableCsv.equals("-")) {
            for (String s : availableCsv.split(",")) available.add(Integer.parseInt(s));
        }
        List<PartitionInfo> partitions = new ArrayList<>();
        for (int p = 0; p < numPartitions; p++) {
            Node l = available.contains(p) ? leader : null;
            partitions.add(new PartitionInfo("t", p, l, new Node[]{leader}, new Node[]{leader}));
        }
        Cluster cluster = new Cluster("c", List.of(leader), partitions,
            Collections.emptySet(), Collections.emptySet());
        RoundRobinPartitioner rr = new RoundRobinPartitioner();
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < count; i++) {
            out.append(rr.partition("t", null, null, null, null, cluster)).append('\n');
        }
        System.out.print(out);
    }
}
