import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.InvalidMetadataException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.protocol.Errors;

/** Prints every value of Kafka's Errors enum: code, name, retriable, invalid metadata,
 *  authorization, description (tab-separated, one line each). */
public class ErrorsCrossCheck {
    public static void main(String[] args) {
        StringBuilder out = new StringBuilder();
        for (Errors e : Errors.values()) {
            ApiException ex = e.exception();
            out.append(e.code()).append('\t').append(e.name()).append('\t')
               .append(ex instanceof RetriableException).append('\t')
               .append(ex instanceof InvalidMetadataException).append('\t')
               .append(ex instanceof AuthorizationException).append('\t')
               .append(e.message()).append('\n');
        }
        System.out.print(out);
    }
}
