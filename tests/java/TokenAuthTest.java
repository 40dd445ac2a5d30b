import static org.assertj.core.api.Assertions.*;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.*;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.*;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.*;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Bearer auth as public registries do it: docker-registry with `auth: token`, a token server in
 * this JVM that checks the login (Basic) and signs a JWT (RS256, its certificate in x5c) for the
 * scope asked. make docker:// must get a token for the repository and pull; without a login it
 * is refused.
 */
class TokenAuthTest {
    static String at, tlsAt, bigAt;
    static HttpServer tokens;
    /** Bytes the endless token server got out before the client went away; completed when it stops. */
    static final java.util.concurrent.CompletableFuture<Long> bigSent = new java.util.concurrent.CompletableFuture<>();
    static final long BIG = 64L << 20;
    static PrivateKey key;
    static String certDer;
    static final List<String> asked = Collections.synchronizedList(new ArrayList<>());
    static final String USER = "tok", PASSWORD = "tok-secret-" + System.nanoTime();

    @BeforeAll
    static void setUp() throws Exception {
        Bed.requireTools("skopeo", "openssl");
        Bed.docker();
        String reg = Bed.registry();
        TestImages.plain("test/token-plain:1", "token-says-hi");
        RegistryPullTest.skopeo("copy", "--src-daemon-host", Bed.docker(), "--dest-tls-verify=false", "docker-daemon:test/token-plain:1",
                "docker://" + reg + "/test/token-plain:1");
        Path d = Bed.tempDir("token");
        Bed.Result gen = Bed.run(Map.of(), null, "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=token-test",
                "-keyout", d.resolve("key.pem").toString(), "-out", d.resolve("cert.pem").toString());
        assertThat(gen.code()).as(gen.toString()).isZero();
        key = KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(pem(d.resolve("key.pem"))));
        certDer = Base64.getEncoder().encodeToString(pem(d.resolve("cert.pem")));
        tokens = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 8);
        tokens.createContext("/token", TokenAuthTest::token);
        tokens.createContext("/big", x -> { // a token server that does not stop talking: read up to a bound, then refused
            long sent = 0;
            try (x) {
                x.sendResponseHeaders(200, 0);
                byte[] junk = new byte[1 << 16];
                Arrays.fill(junk, (byte) ' ');
                for (; sent < BIG; sent += junk.length) x.getResponseBody().write(junk);
            } catch (IOException e) {
                // the client went away, as it should
            } finally {
                bigSent.complete(sent);
            }
        });
        tokens.start();
        String realm = "http://127.0.0.1:" + tokens.getAddress().getPort() + "/token";
        at = tokenRegistry(realm, d.resolve("cert.pem"));
        bigAt = tokenRegistry("http://127.0.0.1:" + tokens.getAddress().getPort() + "/big", d.resolve("cert.pem"));
        // the same over https, with that certificate (self-signed, made out for token-test): trusted with --tls-verify=false only
        java.security.KeyStore ks = java.security.KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry("tls", key, new char[0], new java.security.cert.Certificate[] {java.security.cert.CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(pem(d.resolve("cert.pem"))))});
        javax.net.ssl.KeyManagerFactory kmf = javax.net.ssl.KeyManagerFactory.getInstance(javax.net.ssl.KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, new char[0]);
        javax.net.ssl.SSLContext tls = javax.net.ssl.SSLContext.getInstance("TLS");
        tls.init(kmf.getKeyManagers(), null, null);
        com.sun.net.httpserver.HttpsServer https = com.sun.net.httpserver.HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 8);
        https.setHttpsConfigurator(new com.sun.net.httpserver.HttpsConfigurator(tls));
        https.createContext("/token", TokenAuthTest::token);
        https.start();
        tlsAt = tokenRegistry("https://127.0.0.1:" + https.getAddress().getPort() + "/token", d.resolve("cert.pem"));
    }

    /** docker-registry on the shared data asking for tokens from realm, signed with cert's key. */
    static String tokenRegistry(String realm, Path cert) {
        return Bed.registryAt("127.0.0.1:" + Bed.freePort(), Bed.registryData(), "auth:\n  token:\n    realm: " + realm
                + "\n    service: test-registry\n    issuer: test-issuer\n    rootcertbundle: " + cert + "\n");
    }

    static byte[] pem(Path p) throws IOException {
        String s = Files.readString(p).replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
        return Base64.getDecoder().decode(s);
    }

    static String b64(String s) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    /** GET /token?service=S&scope=repository:NAME:ACTIONS with Basic USER:PASSWORD: a signed JWT for that scope. */
    static void token(HttpExchange x) throws IOException {
        try (x) {
            String q = x.getRequestURI().getRawQuery();
            asked.add(q);
            String auth = x.getRequestHeaders().getFirst("Authorization");
            String want = "Basic " + Base64.getEncoder().encodeToString((USER + ":" + PASSWORD).getBytes(StandardCharsets.UTF_8));
            if (!want.equals(auth)) {
                x.sendResponseHeaders(401, -1);
                return;
            }
            String scope = java.net.URLDecoder.decode(q.replaceFirst(".*scope=", "").replaceFirst("&.*", ""), StandardCharsets.UTF_8);
            String[] p = scope.split(":");
            long now = System.currentTimeMillis() / 1000;
            String header = b64("{\"typ\":\"JWT\",\"alg\":\"RS256\",\"x5c\":[\"" + certDer + "\"]}");
            String claims = b64("{\"iss\":\"test-issuer\",\"sub\":\"" + USER + "\",\"aud\":\"test-registry\",\"exp\":" + (now + 300) + ",\"nbf\":"
                    + (now - 10) + ",\"iat\":" + now + ",\"jti\":\"" + UUID.randomUUID() + "\",\"access\":[{\"type\":\"" + p[0] + "\",\"name\":\""
                    + p[1] + "\",\"actions\":[\"" + String.join("\",\"", p[2].split(",")) + "\"]}]}");
            Signature sig = Signature.getInstance("SHA256withRSA");
            sig.initSign(key);
            sig.update((header + "." + claims).getBytes(StandardCharsets.US_ASCII));
            String jwt = header + "." + claims + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(sig.sign());
            byte[] body = ("{\"token\":\"" + jwt + "\",\"expires_in\":300}").getBytes(StandardCharsets.UTF_8);
            x.getResponseHeaders().add("Content-Type", "application/json");
            x.sendResponseHeaders(200, body.length);
            x.getResponseBody().write(body);
        } catch (java.security.GeneralSecurityException e) {
            throw new IOException(e);
        }
    }

    /** No tools on PATH, x as XCLUSTER_TMP, and an auth file in x with the login for registry. */
    static Map<String, String> loggedIn(String registry, Path x) {
        Path authFile = x.resolve("auth.json");
        Bed.write(authFile, "{\"auths\":{\"" + registry + "\":{\"auth\":\""
                + Base64.getEncoder().encodeToString((USER + ":" + PASSWORD).getBytes(StandardCharsets.UTF_8)) + "\"}}}");
        return Map.of("PATH", Bed.tempDir("no-tools").toString(), "XCLUSTER_TMP", x.toString(), "REGISTRY_AUTH_FILE", authFile.toString());
    }

    @Test
    void aTokenForTheRepositoryFromTheChallengesRealm() {
        Path x = Bed.tempDir("xtmp");
        Map<String, String> env = loggedIn(at, x);
        Bed.Result r = Bed.images(env, "make", "--verbose", "--no-pause", "--tls-verify=false", "--tar=" + x.resolve("images.tar"),
                "docker://" + at + "/test/token-plain:1");
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.stderr()).doesNotContain(PASSWORD, "Bearer ");
        assertThat(asked).anyMatch(q -> q.contains("service=test-registry") && q.contains("scope=repository%3Atest%2Ftoken-plain%3Apull"));
        Path tree = NativeStorageTest.unpack(x.resolve("images.tar")).resolve("var/lib/containers/storage");
        assertThat(StoreTrees.images(tree).get(0).path("names").get(0).asText()).isEqualTo(at + "/test/token-plain:1");

        Bed.Result anon = Bed.images(Map.of("PATH", env.get("PATH"), "XCLUSTER_TMP", Bed.tempDir("xtmp").toString()), "make", "--no-pause",
                "--tls-verify=false", "--tar=-", "docker://" + at + "/test/token-plain:1");
        assertThat(anon.code()).isEqualTo(1);
        assertThat(anon.stderr()).startsWith("ERROR: Token refused [" + at + "]: HTTP 401");
    }

    @Test
    void aTokenServerOverHttpsIsTrustedAsTheRegistryIs() {
        Path x = Bed.tempDir("xtmp");
        Bed.Result r = Bed.images(loggedIn(tlsAt, x), "make", "--no-pause", "--tls-verify=false", "--tar=" + x.resolve("images.tar"),
                "docker://" + tlsAt + "/test/token-plain:1");
        assertThat(r.code()).as(r.toString()).isZero();
        Path tree = NativeStorageTest.unpack(x.resolve("images.tar")).resolve("var/lib/containers/storage");
        assertThat(StoreTrees.images(tree).get(0).path("names").get(0).asText()).isEqualTo(tlsAt + "/test/token-plain:1");
    }

    @Test
    void aTokenAnswerIsReadUpToABound() {
        Bed.Result r = Bed.images(Map.of("PATH", Bed.tempDir("no-tools").toString(), "XCLUSTER_TMP", Bed.tempDir("xtmp").toString()),
                "make", "--no-pause", "--tls-verify=false", "--tar=-", "docker://" + bigAt + "/test/token-plain:1");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.stderr()).isEqualTo("ERROR: Token too large [" + bigAt + "]\n");
        assertThat(r.out()).isEmpty();
        // the client stopped reading after its bound: the server could not send all it had (socket buffers take a few MB)
        assertThat(bigSent.orTimeout(60, java.util.concurrent.TimeUnit.SECONDS).join()).isLessThan(BIG);
    }
}
