import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;

import org.apache.kafka.common.record.internal.DefaultRecordBatch;

/**
 * Facts from Kafka's own producer classes for purekafka's exactly-once core.
 *
 * Reads commands from stdin, one per line, and prints one answer per line:
 *   inc SEQ N   -> DefaultRecordBatch.incrementSequence(SEQ, N)
 *   dec SEQ N   -> DefaultRecordBatch.decrementSequence(SEQ, N)
 *   transitions -> every "SOURCE TARGET" pair TransactionManager.State allows, then "end"
 */
public class ExactlyOnceCrossCheck {
    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        StringBuilder out = new StringBuilder();
        String line;
        while ((line = in.readLine()) != null) {
            String[] f = line.trim().split("\\s+");
            if (f.length == 0 || f[0].isEmpty()) continue;
            switch (f[0]) {
                case "inc":
                    out.append(DefaultRecordBatch.incrementSequence(Integer.parseInt(f[1]), Integer.parseInt(f[2]))).append('\n');
                    break;
                case "dec":
                    out.append(DefaultRecordBatch.decrementSequence(Integer.parseInt(f[1]), Integer.parseInt(f[2]))).append('\n');
                    break;
                case "transitions":
                    transitions(out);
                    break;
                default:
                    throw new IllegalArgumentException("unknown command: " + line);
            }
        }
        System.out.print(out);
    }

    // The State enum and its check are private, so reflection reads them.
    private static void transitions(StringBuilder out) throws Exception {
        Class<?> state = Class.forName("org.apache.kafka.clients.producer.internals.TransactionManager$State");
        Method valid = state.getDeclaredMethod("isTransitionValid", state, state);
        valid.setAccessible(true);
        Object[] all = state.getEnumConstants();
        for (Object source : all) {
            for (Object target : all) {
                if ((Boolean) valid.invoke(source, source, target)) {
                    out.append(source).append(' ').append(target).append('\n');
                }
            }
        }
        out.append("end\n");
    }
}
