import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.kafka.common.message.ApiMessageType;
import org.apache.kafka.common.message.RequestHeaderData;
import org.apache.kafka.common.message.ResponseHeaderData;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.Message;
import org.apache.kafka.common.protocol.ObjectSerializationCache;
import org.apache.kafka.common.utils.internals.ByteUtils;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.reflect.InvocationTargetException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

/**
 * Cross-checks purekafka's protocol layer against Kafka's generated message classes.
 *
 * Reads one command per line on stdin and answers one line each on stdout, so a
 * single JVM serves a whole test run:
 *
 *   parse KIND KEY VERSION HEX    -> OK JSON HEX2   Kafka reads the bytes; JSON is what its
 *                                                 JsonConverter writes, HEX2 is Kafka writing
 *                                                 the parsed message back out
 *   build KIND KEY VERSION JSON   -> OK HEX         JsonConverter reads JSON, Kafka serializes
 *   varint N | varlong N | uvarint N -> OK HEX    ByteUtils encodings
 *
 * KIND is request, response, or header (then KEY is 0 for RequestHeader, 1 for ResponseHeader).
 * Anything Kafka refuses answers "ERR Class: message" instead.
 */
public class ProtocolCrossCheck {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HexFormat HEX = HexFormat.of();

    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        StringBuilder out = new StringBuilder();
        for (String line = in.readLine(); line != null; line = in.readLine()) {
            if (line.isEmpty()) {
                continue;
            }
            try {
                out.append("OK ").append(answer(line));
            } catch (Throwable t) {
                Throwable c = (t instanceof InvocationTargetException && t.getCause() != null) ? t.getCause() : t;
                out.append("ERR ").append(c.getClass().getSimpleName()).append(": ")
                   .append(String.valueOf(c.getMessage()).replace('\n', ' '));
            }
            out.append('\n');
        }
        System.out.print(out);
        System.out.flush();
    }

    private static String answer(String line) throws Exception {
        String[] f = line.split(" ", 5);
        switch (f[0]) {
            case "varint": {
                ByteBuffer b = ByteBuffer.allocate(10);
                ByteUtils.writeVarint(Integer.parseInt(f[1]), b);
                return HEX.formatHex(b.array(), 0, b.position());
            }
            case "varlong": {
                ByteBuffer b = ByteBuffer.allocate(10);
                ByteUtils.writeVarlong(Long.parseLong(f[1]), b);
                return HEX.formatHex(b.array(), 0, b.position());
            }
            case "uvarint": {
                ByteBuffer b = ByteBuffer.allocate(10);
                ByteUtils.writeUnsignedVarint(Integer.parseUnsignedInt(f[1]), b);
                return HEX.formatHex(b.array(), 0, b.position());
            }
            default:
                break;
        }
        String kind = f[1];
        short key = Short.parseShort(f[2]);
        short version = Short.parseShort(f[3]);
        String payload = f.length > 4 ? f[4] : "";
        Message empty = newMessage(kind, key);
        Class<?> converter = Class.forName(empty.getClass().getName() + "JsonConverter");
        if (f[0].equals("parse")) {
            ByteBuffer buf = ByteBuffer.wrap(HEX.parseHex(payload));
            empty.read(new ByteBufferAccessor(buf), version);
            if (buf.hasRemaining()) {
                throw new IllegalStateException(buf.remaining() + " trailing bytes");
            }
            JsonNode node = (JsonNode) converter.getMethod("write", empty.getClass(), short.class)
                .invoke(null, empty, version);
            return JSON.writeValueAsString(node) + " " + serialize(empty, version);
        }
        if (f[0].equals("build")) {
            Message msg = (Message) converter.getMethod("read", JsonNode.class, short.class)
                .invoke(null, JSON.readTree(payload), version);
            return serialize(msg, version);
        }
        throw new IllegalArgumentException("unknown command " + f[0]);
    }

    private static Message newMessage(String kind, short key) {
        switch (kind) {
            case "request":
                return ApiMessageType.fromApiKey(key).newRequest();
            case "response":
                return ApiMessageType.fromApiKey(key).newResponse();
            case "header":
                return key == 0 ? new RequestHeaderData() : new ResponseHeaderData();
            default:
                throw new IllegalArgumentException("unknown kind " + kind);
        }
    }

    private static String serialize(Message msg, short version) {
        ObjectSerializationCache cache = new ObjectSerializationCache();
        ByteBuffer buf = ByteBuffer.allocate(msg.size(cache, version));
        msg.write(new ByteBufferAccessor(buf), cache, version);
        return HEX.formatHex(buf.array());
    }
}
