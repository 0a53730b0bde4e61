import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.errors.UnsupportedVersionException;
import org.apache.kafka.common.message.ApiMessageType;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.Message;
import org.apache.kafka.common.protocol.ObjectSerializationCache;

import java.lang.reflect.Array;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * Frames built by Kafka's own generated *Data classes, for every API, kind and version
 * of the kafka-clients jar on the classpath, for the decode tool's Java bridge test.
 *
 * Prints one line per message:
 *   KIND KEY VERSION VARIANT HEADER_VERSION HEX JSON     (or ... ERR message)
 * VARIANT "default" is a fresh message; "filled" has every field set (by reflection) to a
 * value other than its default, then those the version cannot carry put back to their
 * defaults, as the writer names them. JSON is the message's JsonConverter output.
 * Only Kafka classes that 3.9 and 4.x share are used, so the same class runs on both jars.
 */
public class DecodeAllApis {
    private static int counter = 0;

    public static void main(String[] args) throws Exception {
        StringBuilder out = new StringBuilder();
        for (ApiMessageType api : ApiMessageType.values()) {
            for (String kind : new String[] {"request", "response"}) {
                Message probe;
                try {
                    probe = kind.equals("request") ? api.newRequest() : api.newResponse();
                } catch (UnsupportedVersionException e) {
                    continue;  // an API Kafka 4 removed keeps its key but has no messages
                }
                for (short v = probe.lowestSupportedVersion(); v <= probe.highestSupportedVersion(); v++) {
                    short hv = kind.equals("request") ? api.requestHeaderVersion(v) : api.responseHeaderVersion(v);
                    for (String variant : new String[] {"default", "filled"}) {
                        out.append(kind).append(' ').append(api.apiKey()).append(' ').append(v).append(' ')
                           .append(variant).append(' ').append(hv).append(' ');
                        try {
                            Message m = kind.equals("request") ? api.newRequest() : api.newResponse();
                            if (variant.equals("filled")) {
                                counter = api.apiKey() * 100 + v;
                                fill(m, 0);
                            }
                            out.append(write(m, v));
                        } catch (Throwable t) {
                            out.append("ERR ").append(t.getClass().getSimpleName()).append(": ")
                               .append(String.valueOf(t.getMessage()).replace('\n', ' '));
                        }
                        out.append('\n');
                    }
                }
            }
        }
        System.out.print(out);
        System.out.flush();
    }

    private static String write(Message m, short v) throws Exception {
        for (int attempt = 0; attempt < 1000; attempt++) {
            try {
                ObjectSerializationCache cache = new ObjectSerializationCache();
                ByteBuffer buf = ByteBuffer.allocate(m.size(cache, v));
                m.write(new ByteBufferAccessor(buf), cache, v);
                Class<?> converter = Class.forName(m.getClass().getName() + "JsonConverter");
                Object node = converter.getMethod("write", m.getClass(), short.class).invoke(null, m, v);
                StringBuilder hex = new StringBuilder();
                for (byte b : buf.array()) {
                    hex.append(Character.forDigit((b >> 4) & 0xF, 16)).append(Character.forDigit(b & 0xF, 16));
                }
                return (hex.length() == 0 ? "-" : hex.toString()) + " " + node;
            } catch (UnsupportedVersionException e) {
                String msg = String.valueOf(e.getMessage());
                int at = msg.indexOf("non-default ");
                int end = msg.indexOf(" at version");
                if (at < 0 || end < at) {
                    throw e;
                }
                String name = msg.substring(at + "non-default ".length(), end);
                if (!reset(m, name)) {
                    throw e;
                }
            }
        }
        throw new IllegalStateException("too many fields to reset");
    }

    private static List<Field> fields(Class<?> c) {
        List<Field> out = new ArrayList<>();
        for (Field f : c.getDeclaredFields()) {
            // next/prev are a collection element's links (no Kafka field has those names).
            boolean link = Modifier.isPrivate(f.getModifiers()) && (f.getName().equals("next") || f.getName().equals("prev"));
            if (!Modifier.isStatic(f.getModifiers()) && !f.getName().startsWith("_") && !link) {
                f.setAccessible(true);
                out.add(f);
            }
        }
        return out;
    }

    /** Put every field called {@code name} in the tree back to its default; whether one was found. */
    private static boolean reset(Object o, String name) throws Exception {
        boolean found = false;
        Object fresh = o.getClass().getConstructor().newInstance();
        for (Field f : fields(o.getClass())) {
            Object v = f.get(o);
            if (f.getName().equals(name) || (f.getName() + "s").equals(name)) {
                f.set(o, f.get(fresh));
                found = true;
            } else if (v instanceof Message) {
                found |= reset(v, name);
            } else if (v instanceof Collection) {
                for (Object x : (Collection<?>) v) {
                    if (x instanceof Message) {
                        found |= reset(x, name);
                    }
                }
            }
        }
        return found;
    }

    private static void fill(Object o, int depth) throws Exception {
        for (Field f : fields(o.getClass())) {
            f.set(o, value(f.getType(), f.getGenericType(), depth));
        }
    }

    /** One batch of one record; the record classes moved to an internal package in Kafka 4.x. */
    private static Object records(String pkg, int n) throws Exception {
        Class<?> simple = Class.forName(pkg + ".SimpleRecord");
        Object record = simple.getConstructor(long.class, byte[].class, byte[].class)
            .newInstance(1700000000000L + n, ("k" + n).getBytes(StandardCharsets.UTF_8),
                         ("v" + n).getBytes(StandardCharsets.UTF_8));
        Object array = Array.newInstance(simple, 1);
        Array.set(array, 0, record);
        return Class.forName(pkg + ".MemoryRecords").getMethod("withRecords", Compression.class, array.getClass())
            .invoke(null, Compression.NONE, array);
    }

    @SuppressWarnings("unchecked")
    private static Object value(Class<?> t, Type generic, int depth) throws Exception {
        int n = ++counter;
        if (t == byte.class) return (byte) (n % 100 + 1);
        if (t == short.class) return (short) (n % 1000 + 1);
        if (t == int.class) return n % 100000 + 1;
        if (t == long.class) return n * 1000L + 7;
        if (t == double.class) return n + 0.5;
        if (t == boolean.class) return true;
        if (t == String.class) return "s" + n;
        if (t == Uuid.class) return new Uuid(n + 1L, n + 2L);
        if (t == byte[].class) return new byte[] {1, 2, (byte) n};
        if (t == ByteBuffer.class) return ByteBuffer.wrap(new byte[] {3, 4, (byte) n});
        if (t == Short.class) return (short) (n % 1000 + 1);
        if (t == Integer.class) return n % 100000 + 1;
        if (t == Long.class) return n * 1000L + 7;
        if (t == Byte.class) return (byte) (n % 100 + 1);
        if (t.getSimpleName().equals("BaseRecords")) {
            return records(t.getPackage().getName(), n);
        }
        if (Message.class.isAssignableFrom(t)) {
            Object m = t.getConstructor().newInstance();
            fill(m, depth + 1);
            return m;
        }
        if (Collection.class.isAssignableFrom(t)) {
            Collection<Object> c;
            Type elem;
            if (t.isInterface()) {
                c = new ArrayList<>();
                elem = ((ParameterizedType) generic).getActualTypeArguments()[0];
            } else {
                c = (Collection<Object>) t.getConstructor().newInstance();
                elem = ((ParameterizedType) t.getGenericSuperclass()).getActualTypeArguments()[0];
            }
            Class<?> ec = (Class<?>) elem;
            int count = depth < 2 ? 2 : 1;
            for (int i = 0; i < count; i++) {
                c.add(value(ec, ec, depth + 1));
            }
            return c;
        }
        throw new IllegalArgumentException("no value for " + t);
    }
}
