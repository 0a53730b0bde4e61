import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.AddPartitionsToTxnRequestData;
import org.apache.kafka.common.message.ApiMessageType;
import org.apache.kafka.common.message.EndTxnRequestData;
import org.apache.kafka.common.message.TxnOffsetCommitRequestData;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.ObjectSerializationCache;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.AddPartitionsToTxnRequest;
import org.apache.kafka.common.requests.EndTxnRequest;
import org.apache.kafka.common.requests.TxnOffsetCommitRequest;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

/**
 * Encodes and decodes message bodies with Kafka's own generated *Data classes, so the
 * Python tests can compare purekafka's bytes with Java's.
 *
 * One command per stdin line, one answer per stdout line:
 *   enc req|resp API_KEY VERSION JSON  ->  OK HEX JSON2 (JSON read by Kafka's *DataJsonConverter;
 *                                          JSON2 is what Java reads back from HEX at that version)
 *   dec req|resp API_KEY VERSION HEX   ->  OK JSON     (JSON written by the same converter)
 *   facts                              ->  OK JSON     (version caps of the Java client's request builders)
 * A line that Java refuses (unsupported field for that version, bad bytes) answers
 *   ERR ExceptionClass: message
 * so one bad case does not end the whole run.
 */
public class TxnProtocolGolden {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        StringBuilder out = new StringBuilder();
        String line;
        while ((line = in.readLine()) != null) {
            if (line.isBlank()) {
                continue;
            }
            try {
                String answer = handle(line);
                out.append("OK ").append(answer);
            } catch (Throwable t) {
                Throwable cause = t instanceof InvocationTargetException && t.getCause() != null ? t.getCause() : t;
                String msg = String.valueOf(cause.getMessage()).replace('\n', ' ');
                out.append("ERR ").append(cause.getClass().getSimpleName()).append(": ").append(msg);
            }
            out.append('\n');
        }
        // UTF-8 whatever the locale: the Python side decodes the answer as UTF-8.
        java.io.PrintStream stdout = new java.io.PrintStream(
            new java.io.FileOutputStream(java.io.FileDescriptor.out), true, StandardCharsets.UTF_8);
        stdout.print(out);
        stdout.flush();
    }

    private static String handle(String line) throws Exception {
        if (line.equals("facts")) {
            return facts();
        }
        String[] parts = line.split(" ", 5);
        String op = parts[0];
        boolean request = parts[1].equals("req");
        short apiKey = Short.parseShort(parts[2]);
        short version = Short.parseShort(parts[3]);
        String payload = parts.length > 4 ? parts[4] : "";
        ApiMessageType type = ApiMessageType.fromApiKey(apiKey);
        ApiMessage empty = request ? type.newRequest() : type.newResponse();
        Class<?> converter = Class.forName(empty.getClass().getName() + "JsonConverter");
        if (op.equals("enc")) {
            Method read = converter.getMethod("read", JsonNode.class, short.class);
            ApiMessage message = (ApiMessage) read.invoke(null, MAPPER.readTree(payload), version);
            ObjectSerializationCache cache = new ObjectSerializationCache();
            int size = message.size(cache, version);
            ByteBuffer buf = ByteBuffer.allocate(size);
            message.write(new ByteBufferAccessor(buf), cache, version);
            ApiMessage back = request ? type.newRequest() : type.newResponse();
            back.read(new ByteBufferAccessor(ByteBuffer.wrap(buf.array())), version);
            Method write = converter.getMethod("write", back.getClass(), short.class);
            JsonNode node = (JsonNode) write.invoke(null, back, version);
            return HexFormat.of().formatHex(buf.array()) + " " + MAPPER.writeValueAsString(node);
        } else if (op.equals("dec")) {
            ByteBuffer buf = ByteBuffer.wrap(HexFormat.of().parseHex(payload));
            empty.read(new ByteBufferAccessor(buf), version);
            if (buf.hasRemaining()) {
                throw new IllegalStateException(buf.remaining() + " bytes left over");
            }
            Method write = converter.getMethod("write", empty.getClass(), short.class);
            JsonNode node = (JsonNode) write.invoke(null, empty, version);
            return MAPPER.writeValueAsString(node);
        }
        throw new IllegalArgumentException("unknown op " + op);
    }

    /** Which versions the Java client's builders allow or pick: the facts our docstrings state. */
    private static String facts() throws Exception {
        com.fasterxml.jackson.databind.node.ObjectNode out = MAPPER.createObjectNode();
        AbstractRequest.Builder<?> client = AddPartitionsToTxnRequest.Builder.forClient(
            "t", 1L, (short) 0, java.util.List.of(new TopicPartition("a", 0)));
        out.put("addPartitionsForClientOldest", client.oldestAllowedVersion());
        out.put("addPartitionsForClientLatest", client.latestAllowedVersion());
        AbstractRequest.Builder<?> broker = AddPartitionsToTxnRequest.Builder.forBroker(
            new AddPartitionsToTxnRequestData.AddPartitionsToTxnTransactionCollection());
        out.put("addPartitionsForBrokerOldest", broker.oldestAllowedVersion());
        out.put("addPartitionsForBrokerLatest", broker.latestAllowedVersion());
        EndTxnRequestData end = new EndTxnRequestData().setTransactionalId("t");
        out.put("endTxnBuiltWithoutTv2", new EndTxnRequest.Builder(end, false).build((short) 5).version());
        out.put("endTxnBuiltWithTv2", new EndTxnRequest.Builder(end, true).build((short) 5).version());
        TxnOffsetCommitRequestData commit = new TxnOffsetCommitRequestData().setTransactionalId("t").setGroupId("g");
        AbstractRequest.Builder<?> namesTv1 = TxnOffsetCommitRequest.Builder.forTopicNames(commit, false);
        AbstractRequest.Builder<?> namesTv2 = TxnOffsetCommitRequest.Builder.forTopicNames(commit, true);
        out.put("txnOffsetCommitNamesWithoutTv2Latest", namesTv1.build(namesTv1.latestAllowedVersion()).version());
        out.put("txnOffsetCommitNamesWithTv2Latest", namesTv2.build(namesTv2.latestAllowedVersion()).version());
        return MAPPER.writeValueAsString(out);
    }
}
