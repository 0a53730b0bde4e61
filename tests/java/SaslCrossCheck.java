import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import javax.security.auth.login.AppConfigurationEntry;

import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.config.types.Password;
import org.apache.kafka.common.security.JaasContext;
import org.apache.kafka.common.security.authenticator.CredentialCache;
import org.apache.kafka.common.security.oauthbearer.internals.OAuthBearerClientInitialResponse;
import org.apache.kafka.common.security.scram.ScramCredential;
import org.apache.kafka.common.security.scram.internals.ScramFormatter;
import org.apache.kafka.common.security.scram.internals.ScramMechanism;
import org.apache.kafka.common.security.scram.internals.ScramSaslServer;
import org.apache.kafka.common.security.scram.internals.ScramServerCallbackHandler;
import org.apache.kafka.common.security.token.delegation.internals.DelegationTokenCache;

/**
 * Kafka's SASL classes as an oracle, one command per stdin line, one answer per stdout line
 * (flushed, so a test can hold a conversation). Strings and bytes travel as base64.
 *
 * scram-new MECH USER PASSWORD ITERATIONS: a ScramSaslServer knowing USER's credential
 *   (made by ScramFormatter, as the broker stores it); answers "OK".
 * scram-step TOKEN: the server's evaluateResponse; "OK CHALLENGE COMPLETE [AUTHZID]".
 * oauth MESSAGE: OAuthBearerClientInitialResponse parsed; "OK TOKEN [KEY VALUE]..." (sorted).
 * jaas CONFIG: sasl.jaas.config parsed by JaasContext.loadClientContext; "OK COUNT MODULE FLAG [KEY VALUE]..." (sorted options).
 * Any exception: "ERR ClassName: message".
 */
public class SaslCrossCheck {
    private static ScramSaslServer server;

    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        PrintStream out = new PrintStream(System.out, true, "UTF-8");
        String line;
        while ((line = in.readLine()) != null) {
            String reply;
            try {
                reply = handle(line.split(" ", -1));
            } catch (Exception e) {
                String message = String.valueOf(e.getMessage()).replace('\n', ' ');
                reply = "ERR " + e.getClass().getSimpleName() + ": " + message;
            }
            out.println(reply);
        }
    }

    private static byte[] bytes(String b64) {
        return Base64.getDecoder().decode(b64);
    }

    private static String str(String b64) {
        return new String(bytes(b64), StandardCharsets.UTF_8);
    }

    private static String enc(String s) {
        return enc(s == null ? new byte[0] : s.getBytes(StandardCharsets.UTF_8));
    }

    private static String enc(byte[] b) {
        return Base64.getEncoder().encodeToString(b == null ? new byte[0] : b);
    }

    private static String handle(String[] f) throws Exception {
        switch (f[0]) {
            case "scram-new": {
                ScramMechanism mechanism = ScramMechanism.forMechanismName(f[1]);
                ScramCredential credential = new ScramFormatter(mechanism)
                        .generateCredential(str(f[3]), Integer.parseInt(f[4]));
                CredentialCache.Cache<ScramCredential> cache = new CredentialCache()
                        .createCache(mechanism.mechanismName(), ScramCredential.class);
                cache.put(str(f[2]), credential);
                DelegationTokenCache tokens = new DelegationTokenCache(ScramMechanism.mechanismNames());
                server = new ScramSaslServer(mechanism, new HashMap<String, Object>(),
                        new ScramServerCallbackHandler(cache, tokens));
                return "OK";
            }
            case "scram-step": {
                byte[] challenge = server.evaluateResponse(bytes(f[1]));
                boolean complete = server.isComplete();
                return "OK " + enc(challenge) + " " + complete
                        + (complete ? " " + enc(server.getAuthorizationID()) : "");
            }
            case "oauth": {
                OAuthBearerClientInitialResponse response = new OAuthBearerClientInitialResponse(bytes(f[1]));
                StringBuilder sb = new StringBuilder("OK ").append(enc(response.tokenValue()));
                for (Map.Entry<String, String> e : new TreeMap<>(response.extensions().map()).entrySet())
                    sb.append(' ').append(enc(e.getKey())).append(' ').append(enc(e.getValue()));
                return sb.toString();
            }
            case "jaas": {
                Map<String, Object> configs = new HashMap<>();
                configs.put(SaslConfigs.SASL_JAAS_CONFIG, new Password(str(f[1])));
                List<AppConfigurationEntry> entries = JaasContext.loadClientContext(configs)
                        .configurationEntries();
                AppConfigurationEntry entry = entries.get(0);
                StringBuilder sb = new StringBuilder("OK ").append(entries.size()).append(' ')
                        .append(enc(entry.getLoginModuleName())).append(' ')
                        .append(entry.getControlFlag().toString().replace("LoginModuleControlFlag: ", ""));
                for (Map.Entry<String, ?> e : new TreeMap<>(entry.getOptions()).entrySet())
                    sb.append(' ').append(enc(e.getKey())).append(' ').append(enc(String.valueOf(e.getValue())));
                return sb.toString();
            }
            default:
                throw new IllegalArgumentException("unknown command " + f[0]);
        }
    }
}
