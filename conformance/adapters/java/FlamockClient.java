// flamock conformance adapter in Java, with the JDK only (17 or later):
// KeyStore for the PKCS#12 key, java.net.http for HTTPS, the JWS signed by hand.
//
//   flamock conform --client "java conformance/adapters/java/FlamockClient.java"
//
// The adapter contract (conformance/CONTRACT.md): read the FLAMOCK_* variables,
// perform the operations of FLAMOCK_OPERATIONS_TSV in order, print one JSON
// result line per operation on stdout, log on stderr, exit 0.
//
// Retries: one token renewal and one retry after a 401; Retry-After on 429 and
// 503; exponential back-off on 500, 502 and 504; at most 3 retries of one
// operation; nothing else retried.

import java.io.FileInputStream;
import java.io.InputStream;
import java.math.BigInteger;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.interfaces.ECPrivateKey;
import java.time.Duration;
import java.util.Base64;
import java.util.Enumeration;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

public class FlamockClient {
    static final int MAX_RETRIES = 3;            // of one operation, after 429, 503 or 5xx
    static final long RENEW_MARGIN_S = 30;       // get a new token this long before expires_in ends
    static final long ASSERTION_LIFETIME_S = 300; // at most 600

    final String tokenURL = env("FLAMOCK_TOKEN_URL");
    final String apiURL = env("FLAMOCK_API_URL").replaceAll("/$", "");
    final String clientID = env("FLAMOCK_CLIENT_ID");
    final String scope = System.getenv().getOrDefault("FLAMOCK_SCOPE", "");
    final PrivateKey key;
    final String alg, jcaAlg;
    final int ecPart; // bytes of r and of s in an ES* signature; 0 for RSA
    final HttpClient http;
    String token;
    long tokenUntil;

    FlamockClient() throws Exception {
        // The key: the PKCS#12 file's first private key entry.
        char[] password = System.getenv().getOrDefault("FLAMOCK_KEY_P12_PASSWORD", "").toCharArray();
        KeyStore p12 = KeyStore.getInstance("PKCS12");
        try (InputStream in = new FileInputStream(env("FLAMOCK_KEY_P12"))) {
            p12.load(in, password);
        }
        PrivateKey found = null;
        for (Enumeration<String> aliases = p12.aliases(); aliases.hasMoreElements() && found == null; ) {
            String alias = aliases.nextElement();
            if (p12.isKeyEntry(alias)) found = (PrivateKey) p12.getKey(alias, password);
        }
        if (found == null) throw new IllegalStateException("no private key in FLAMOCK_KEY_P12");
        key = found;
        if (key instanceof ECPrivateKey ec) {
            int bits = ec.getParams().getCurve().getField().getFieldSize();
            ecPart = (bits + 7) / 8;
            alg = bits == 521 ? "ES512" : bits == 384 ? "ES384" : "ES256";
            jcaAlg = bits == 521 ? "SHA512withECDSA" : bits == 384 ? "SHA384withECDSA" : "SHA256withECDSA";
        } else {
            ecPart = 0;
            alg = "RS256";
            jcaAlg = "SHA256withRSA";
        }
        // TLS: trust the given CA, and only it (no system store).
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        try (InputStream in = new FileInputStream(env("FLAMOCK_CA_FILE"))) {
            int i = 0;
            for (var cert : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                trust.setCertificateEntry("ca" + i++, cert);
            }
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(null, tmf.getTrustManagers(), null);
        http = HttpClient.newBuilder().sslContext(tls).connectTimeout(Duration.ofSeconds(10)).build();
    }

    static String env(String name) {
        String v = System.getenv(name);
        if (v == null || v.isEmpty()) throw new IllegalStateException(name + " is not set");
        return v;
    }

    static void log(String msg) { System.err.println("java-adapter: " + msg); }

    static String b64url(byte[] b) { return Base64.getUrlEncoder().withoutPadding().encodeToString(b); }

    // The client assertion, a JWS (RFC 7515) signed with the key.
    String assertion() throws Exception {
        long now = System.currentTimeMillis() / 1000;
        String header = "{\"alg\":\"" + alg + "\",\"typ\":\"JWT\"}";
        String claims = "{\"iss\":" + quote(clientID) + ",\"sub\":" + quote(clientID) + ",\"aud\":" + quote(tokenURL)
                + ",\"iat\":" + now + ",\"exp\":" + (now + ASSERTION_LIFETIME_S) + ",\"jti\":\"" + UUID.randomUUID() + "\"}";
        String input = b64url(header.getBytes(StandardCharsets.UTF_8)) + "." + b64url(claims.getBytes(StandardCharsets.UTF_8));
        Signature signer = Signature.getInstance(jcaAlg);
        signer.initSign(key);
        signer.update(input.getBytes(StandardCharsets.US_ASCII));
        byte[] sig = signer.sign();
        if (ecPart > 0) sig = derToJose(sig, ecPart);
        return input + "." + b64url(sig);
    }

    // derToJose turns the DER SEQUENCE { INTEGER r, INTEGER s } that JCA's
    // ECDSA returns into the JWS form: r and s, each left-padded to n bytes
    // (RFC 7518 §3.4).
    static byte[] derToJose(byte[] der, int n) {
        int i = 1;                                   // after the SEQUENCE tag
        if ((der[i] & 0x80) != 0) i += der[i] & 0x7f; // long-form length (P-521)
        i++;
        byte[] out = new byte[2 * n];
        for (int part = 0; part < 2; part++) {
            if (der[i] != 0x02) throw new IllegalArgumentException("ECDSA signature: not a DER INTEGER");
            int len = der[i + 1];
            byte[] v = new BigInteger(1, java.util.Arrays.copyOfRange(der, i + 2, i + 2 + len)).toByteArray();
            int skip = v.length > n ? v.length - n : 0; // a leading 0 byte keeps a DER INTEGER positive
            System.arraycopy(v, skip, out, part * n + n - (v.length - skip), v.length - skip);
            i += 2 + len;
        }
        return out;
    }

    // YOUR CLIENT (1 of 2): this is flamock's reference code getting an access token. Replace it with a call of your own client's token code; until you do, flamock conform judges flamock's code, not yours (and says so).
    String accessToken() throws Exception {
        if (token != null && System.currentTimeMillis() < tokenUntil) return token;
        String form = "grant_type=client_credentials"
                + "&client_assertion_type=" + enc("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
                + "&client_assertion=" + enc(assertion())
                + (scope.isEmpty() ? "" : "&scope=" + enc(scope));
        HttpRequest req = HttpRequest.newBuilder(URI.create(tokenURL)).timeout(Duration.ofSeconds(20))
                .header("Content-Type", "application/x-www-form-urlencoded").header("Accept", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(form)).build();
        HttpResponse<String> res = http.send(req, HttpResponse.BodyHandlers.ofString());
        log("POST " + tokenURL + " -> " + res.statusCode());
        if (res.statusCode() != 200) {
            throw new IllegalStateException("token: status " + res.statusCode() + ": " + res.body());
        }
        token = jsonField(res.body(), "access_token");
        String expiresIn = jsonField(res.body(), "expires_in");
        long life = expiresIn == null ? 300 : Long.parseLong(expiresIn);
        tokenUntil = System.currentTimeMillis() + (life - RENEW_MARGIN_S) * 1000;
        return token;
    }

    // jsonField reads a top-level string or number of a flat JSON object:
    // enough for a token response, with the JDK alone.
    static String jsonField(String json, String name) {
        Matcher m = Pattern.compile("\"" + name + "\"\\s*:\\s*(\"((?:[^\"\\\\]|\\\\.)*)\"|([0-9]+))").matcher(json);
        if (!m.find()) return null;
        return m.group(2) != null ? m.group(2) : m.group(3);
    }

    String perform(String id, String method, String path, String bodyFile) throws InterruptedException {
        boolean renewed = false;
        int retries = 0;
        while (true) {
            HttpResponse<String> res;
            try {
                // YOUR CLIENT (2 of 2): this is flamock's reference code calling the API. Replace it with a call of your own client's API code, which must reuse, renew and retry as conformance/CONTRACT.md says.
                HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(apiURL + path)).timeout(Duration.ofSeconds(20))
                        .header("Authorization", "Bearer " + accessToken())
                        .header("Accept", "application/json, application/problem+json");
                if (bodyFile.equals("-")) {
                    b.method(method, HttpRequest.BodyPublishers.noBody());
                } else {
                    b.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofFile(Path.of(bodyFile)));
                }
                res = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
            } catch (InterruptedException e) {
                throw e;
            } catch (Exception e) {
                return "{\"id\":" + quote(id) + ",\"error\":" + quote(e.toString()) + "}";
            }
            int status = res.statusCode();
            log(method + " " + path + " -> " + status);
            if (status == 401 && !renewed) { renewed = true; token = null; continue; }
            if (status == 401) {
                token = null;
            } else if ((status == 429 || status == 503) && retries < MAX_RETRIES) {
                retries++;
                Thread.sleep(retryAfterMillis(res.headers().firstValue("Retry-After").orElse("")));
                continue;
            } else if ((status == 500 || status == 502 || status == 504) && retries < MAX_RETRIES) {
                Thread.sleep(200L << retries); // 200, 400, 800 ms
                retries++;
                continue;
            }
            String line = "{\"id\":" + quote(id) + ",\"status\":" + status;
            String body = res.body();
            if (!body.isEmpty()) {
                // JSON answers (a problem's detail and issues) go as they came, other text as a string.
                boolean json = res.headers().firstValue("Content-Type").orElse("").contains("json");
                line += ",\"body\":" + (json ? body.strip() : quote(body));
            }
            return line + "}";
        }
    }

    static long retryAfterMillis(String v) {
        try {
            return Math.min(Math.max(Long.parseLong(v.strip()), 0), 10) * 1000;
        } catch (NumberFormatException e) {
            return 1000;
        }
    }

    static String enc(String s) { return URLEncoder.encode(s, StandardCharsets.UTF_8); }

    static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> b.append(c < 0x20 ? String.format("\\u%04x", (int) c) : String.valueOf(c));
            }
        }
        return b.append('"').toString();
    }

    public static void main(String[] args) throws Exception {
        FlamockClient client = new FlamockClient();
        for (String line : Files.readAllLines(Path.of(env("FLAMOCK_OPERATIONS_TSV")))) {
            if (line.isBlank()) continue;
            String[] f = line.split("\t", -1); // id, method, path, pause in ms, body file or "-"
            Thread.sleep(Long.parseLong(f[3]));
            System.out.println(client.perform(f[0], f[1], f[2], f[4]));
            System.out.flush();
        }
    }
}
