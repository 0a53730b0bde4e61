import java.nio.charset.StandardCharsets;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Kafka's own idempotent producer in a failure run, for comparison with purekafka's.
 *
 * Args: bootstrap topic total rate request_timeout_ms delivery_timeout_ms.
 * Sends total keyed records at about rate per second, with the same keys and
 * values as tests/support/eo_failure.py (global index | key | per-key sequence,
 * padded to 100 bytes), then prints one line per record:
 * "A index partition offset" when acknowledged, "F index ExceptionClass ms" when failed
 * (ms: from send() to the failure), and "U index" for a callback that never came.
 */
public class IdempotentFailureRun {
    public static void main(String[] args) throws Exception {
        String bootstrap = args[0];
        String topic = args[1];
        int total = Integer.parseInt(args[2]);
        double rate = Double.parseDouble(args[3]);
        Properties props = new Properties();
        props.put("bootstrap.servers", bootstrap);
        props.put("enable.idempotence", "true");
        props.put("linger.ms", "10");
        props.put("request.timeout.ms", args[4]);
        props.put("delivery.timeout.ms", args[5]);
        props.put("retry.backoff.ms", "100");
        props.put("reconnect.backoff.ms", "50");
        props.put("max.block.ms", "120000");
        props.put("key.serializer", ByteArraySerializer.class.getName());
        props.put("value.serializer", ByteArraySerializer.class.getName());
        String[] outcome = new String[total];
        CountDownLatch done = new CountDownLatch(total);
        int keys = 1000;
        int[] nextSeq = new int[keys];
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props)) {
            long t0 = System.nanoTime();
            for (int i = 0; i < total; i++) {
                int key = i % keys;
                int seq = nextSeq[key]++;
                byte[] k = String.format("key-%06d", key).getBytes(StandardCharsets.US_ASCII);
                StringBuilder v = new StringBuilder(String.format("%09d|%06d|%09d|", i, key, seq));
                while (v.length() < 100) {
                    v.append('x');
                }
                final int index = i;
                final long sentAt = System.nanoTime();
                producer.send(new ProducerRecord<>(topic, k, v.toString().getBytes(StandardCharsets.US_ASCII)),
                    (md, e) -> {
                        outcome[index] = e == null
                            ? "A " + index + " " + md.partition() + " " + md.offset()
                            : "F " + index + " " + e.getClass().getSimpleName() + " "
                                + (System.nanoTime() - sentAt) / 1_000_000;
                        done.countDown();
                    });
                if (i % 500 == 499) {
                    double ahead = (i + 1) / rate - (System.nanoTime() - t0) / 1e9;
                    if (ahead > 0) {
                        Thread.sleep((long) (ahead * 1000));
                    }
                }
            }
            producer.flush();
        }
        done.await(300, TimeUnit.SECONDS);
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < total; i++) {
            out.append(outcome[i] == null ? "U " + i : outcome[i]).append('\n');
        }
        System.out.print(out);
    }
}
