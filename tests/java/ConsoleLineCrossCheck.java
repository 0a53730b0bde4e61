import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.Map;

import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.tools.LineMessageReader;

/**
 * kafka-console-producer's own line parser (LineMessageReader), one input line at a time.
 *
 * Arguments: reader properties as name=value (parse.key=true, key.separator=..., ...).
 * Stdin: one hex-encoded input line per line. Stdout, one line per input:
 *   "OK key value headers" where key/value are hex or "-" for null, and headers is
 *   "name_hex=value_hex" pairs joined by "," ("-" for a null value, "" for none);
 *   or "ERR" when the reader refuses the line, "CONFIG" when it refuses the properties.
 * With the single argument "--stream", stdin is raw input instead, read as the console
 * producer reads it, and each record's value is printed in hex, one per line.
 */
public class ConsoleLineCrossCheck {
    public static void main(String[] args) throws Exception {
        Map<String, Object> props = new HashMap<>();
        props.put("topic", "t");
        if (args.length == 1 && args[0].equals("--stream")) {
            stream(props);
            return;
        }
        for (String arg : args) {
            int eq = arg.indexOf('=');
            props.put(arg.substring(0, eq), arg.substring(eq + 1));
        }
        HexFormat hex = HexFormat.of();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII));
        StringBuilder out = new StringBuilder();
        String line;
        while ((line = in.readLine()) != null) {
            byte[] input = hex.parseHex(line);
            byte[] withNewline = new byte[input.length + 1];
            System.arraycopy(input, 0, withNewline, 0, input.length);
            withNewline[input.length] = '\n';
            LineMessageReader reader = new LineMessageReader();
            try {
                reader.configure(props);
            } catch (RuntimeException e) {
                out.append("CONFIG\n");
                continue;
            }
            try {
                Iterator<ProducerRecord<byte[], byte[]>> it = reader.readRecords(new ByteArrayInputStream(withNewline));
                ProducerRecord<byte[], byte[]> r = it.next();
                out.append("OK ").append(r.key() == null ? "-" : hex.formatHex(r.key())).append(' ')
                   .append(r.value() == null ? "-" : hex.formatHex(r.value())).append(' ');
                StringBuilder hs = new StringBuilder();
                for (Header h : r.headers()) {
                    if (hs.length() > 0) hs.append(',');
                    hs.append(hex.formatHex(h.key().getBytes(StandardCharsets.UTF_8))).append('=')
                      .append(h.value() == null ? "-" : hex.formatHex(h.value()));
                }
                out.append(hs).append('\n');
            } catch (RuntimeException e) {
                out.append("ERR\n");
            }
        }
        System.out.print(out);
    }

    /** "--stream": the whole of stdin through one reader; prints each record's value in hex. */
    private static void stream(Map<String, Object> props) throws Exception {
        LineMessageReader reader = new LineMessageReader();
        reader.configure(props);
        Iterator<ProducerRecord<byte[], byte[]>> it = reader.readRecords(System.in);
        HexFormat hex = HexFormat.of();
        StringBuilder out = new StringBuilder();
        while (it.hasNext()) {
            out.append(hex.formatHex(it.next().value())).append('\n');
        }
        System.out.print(out);
    }
}
