import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;

import org.apache.kafka.common.utils.Utils;

/**
 * Partitions the examples' partitioners should choose, computed by Kafka's own Utils.
 *
 * Each stdin line is "numPartitions key" (key as UTF-8 text); prints one line per input:
 * "toPositive(murmur2(key)) % n" (the producer's default for keyed records) and
 * "Math.abs(murmur2(key)) % n" (the guide's CustomPartitioner).
 */
public class ExamplesCrossCheck {
    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        StringBuilder out = new StringBuilder();
        String line;
        while ((line = in.readLine()) != null) {
            if (line.isEmpty()) continue;
            int space = line.indexOf(' ');
            int n = Integer.parseInt(line.substring(0, space));
            byte[] key = line.substring(space + 1).getBytes(StandardCharsets.UTF_8);
            int h = Utils.murmur2(key);
            out.append(Utils.toPositive(h) % n).append(' ').append(Math.abs(h) % n).append('\n');
        }
        System.out.print(out);
    }
}
