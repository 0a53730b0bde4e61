import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

/**
 * For the decode tool: how Java turns bytes into a String, which is what
 * kafka-dump-log prints for keys and payloads.
 *
 * Reads one hex string per line on stdin; answers one line each with the UTF-16
 * code units of new String(bytes, UTF_8), as hex.
 */
public class DecodeCrossCheck {
    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        HexFormat hex = HexFormat.of();
        StringBuilder out = new StringBuilder();
        for (String line = in.readLine(); line != null; line = in.readLine()) {
            String s = new String(hex.parseHex(line.trim()), StandardCharsets.UTF_8);
            out.append(hex.formatHex(s.getBytes(StandardCharsets.UTF_16BE))).append('\n');
        }
        System.out.print(out);
        System.out.flush();
    }
}
