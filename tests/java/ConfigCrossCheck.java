import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.UUID;

import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.serialization.BooleanSerializer;
import org.apache.kafka.common.serialization.DoubleSerializer;
import org.apache.kafka.common.serialization.FloatSerializer;
import org.apache.kafka.common.serialization.IntegerSerializer;
import org.apache.kafka.common.serialization.LongSerializer;
import org.apache.kafka.common.serialization.ShortSerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.serialization.UUIDSerializer;

/**
 * Java's serializers and ProducerConfig, driven from stdin, one case per line.
 *
 * serialize: lines "type value" where type is string (value: UTF-16 code units as hex,
 *   4 digits each, may be empty), int, long, short (decimal), double (hex of the long bits),
 *   float (hex of the int bits), uuid (text), boolean; prints the hex of the bytes.
 * config: lines of "key=value" pairs separated by tabs (an empty line: no settings); builds
 *   ProducerConfig with bootstrap.servers and String serializers added and prints "OK <enable.idempotence>" or
 *   "ERR <message>".
 */
public class ConfigCrossCheck {
    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        StringBuilder out = new StringBuilder();
        String line;
        boolean serialize = args[0].equals("serialize");
        while ((line = in.readLine()) != null) {
            out.append(serialize ? serialize(line) : config(line)).append('\n');
        }
        System.out.print(out);
    }

    private static String serialize(String line) {
        HexFormat hex = HexFormat.of();
        int space = line.indexOf(' ');
        String type = line.substring(0, space);
        String value = line.substring(space + 1);
        byte[] b;
        switch (type) {
            case "string": {
                char[] chars = new char[value.length() / 4];
                for (int i = 0; i < chars.length; i++) {
                    chars[i] = (char) Integer.parseInt(value.substring(4 * i, 4 * i + 4), 16);
                }
                b = new StringSerializer().serialize("t", new String(chars));
                break;
            }
            case "int": b = new IntegerSerializer().serialize("t", Integer.parseInt(value)); break;
            case "long": b = new LongSerializer().serialize("t", Long.parseLong(value)); break;
            case "short": b = new ShortSerializer().serialize("t", Short.parseShort(value)); break;
            case "double": b = new DoubleSerializer().serialize("t",
                Double.longBitsToDouble(Long.parseUnsignedLong(value, 16))); break;
            case "float": b = new FloatSerializer().serialize("t",
                Float.intBitsToFloat(Integer.parseUnsignedInt(value, 16))); break;
            case "uuid": b = new UUIDSerializer().serialize("t", UUID.fromString(value)); break;
            case "boolean": b = new BooleanSerializer().serialize("t", Boolean.parseBoolean(value)); break;
            default: throw new IllegalArgumentException(type);
        }
        return hex.formatHex(b);
    }

    private static String config(String line) {
        Map<String, Object> props = new HashMap<>();
        props.put("bootstrap.servers", "localhost:9092");
        props.put("key.serializer", StringSerializer.class.getName());
        props.put("value.serializer", StringSerializer.class.getName());
        if (!line.isEmpty()) {
            for (String pair : line.split("\t")) {
                int eq = pair.indexOf('=');
                props.put(pair.substring(0, eq), pair.substring(eq + 1));
            }
        }
        try {
            ProducerConfig config = new ProducerConfig(props);
            return "OK " + config.getBoolean(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG);
        } catch (ConfigException e) {
            return "ERR " + e.getMessage().replace('\n', ' ');
        }
    }
}
