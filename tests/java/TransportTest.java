import static org.assertj.core.api.Assertions.*;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.*;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.*;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The registry client on a bad link: the real registry behind a relay in this JVM that answers
 * the first manifest request with 503 (Retry-After), the second with 429, and cuts the first
 * download of each blob in the middle. make must still give skopeo's tree, having retried and
 * resumed each cut blob with a Range request.
 */
class TransportTest {
    static String reg;
    static HttpServer relay;
    static final AtomicInteger manifests = new AtomicInteger();
    static final Set<String> cut = Collections.synchronizedSet(new HashSet<>());
    static final List<String> ranges = Collections.synchronizedList(new ArrayList<>());
    static final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @BeforeAll
    static void setUp() throws IOException {
        Bed.requireTools("skopeo", "tar", "umount");
        Bed.docker();
        reg = Bed.registry();
        TestImages.multi("test/transport-multi:1");
        RegistryPullTest.skopeo("copy", "--src-daemon-host", Bed.docker(), "--dest-tls-verify=false", "docker-daemon:test/transport-multi:1",
                "docker://" + reg + "/test/transport-multi:1");
        relay = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        relay.createContext("/", TransportTest::relay);
        relay.setExecutor(java.util.concurrent.Executors.newFixedThreadPool(8));
        relay.start();
    }

    static void relay(HttpExchange x) throws IOException {
        try (x) {
            String path = x.getRequestURI().toString();
            if (path.contains("/manifests/") && manifests.incrementAndGet() <= 2) {
                x.getResponseHeaders().add("Retry-After", "1");
                x.sendResponseHeaders(manifests.get() == 1 ? 503 : 429, -1);
                return;
            }
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://" + reg + path)).method(x.getRequestMethod(), HttpRequest.BodyPublishers.noBody());
            for (String h : List.of("Accept", "Range")) {
                String v = x.getRequestHeaders().getFirst(h);
                if (v != null) b.header(h, v);
            }
            if (x.getRequestHeaders().getFirst("Range") != null) ranges.add(path + " " + x.getRequestHeaders().getFirst("Range"));
            HttpResponse<byte[]> r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
            r.headers().map().forEach((k, v) -> {
                if (!k.equalsIgnoreCase("content-length") && !k.equalsIgnoreCase("transfer-encoding") && !k.startsWith(":"))
                    v.forEach(val -> x.getResponseHeaders().add(k, val));
            });
            byte[] body = r.body();
            boolean head = x.getRequestMethod().equals("HEAD");
            x.sendResponseHeaders(r.statusCode(), head || body.length == 0 ? -1 : body.length);
            if (head || body.length == 0) return;
            OutputStream out = x.getResponseBody();
            if (path.contains("/blobs/") && body.length > 100 && cut.add(path)) {
                out.write(body, 0, body.length / 2); // then the connection drops
                out.flush();
                throw new IOException("cut on purpose");
            }
            out.write(body);
        } catch (InterruptedException e) {
            throw new IOException(e);
        }
    }

    @Test
    void retriedAndResumedToTheSameTree() {
        String at = "127.0.0.1:" + relay.getAddress().getPort();
        Path xtmp = Bed.tempDir("xtmp");
        Map<String, String> env = Map.of("PATH", Bed.tempDir("no-tools").toString(), "DOCKER_HOST", "unix:///nonexistent/docker.sock",
                "XCLUSTER_TMP", xtmp.toString(), "LOCAL_REGISTRY", at);
        Bed.Result r = Bed.images(env, "make", "--verbose", "--no-pause", "--tar=" + xtmp.resolve("images.tar"), "docker://" + at + "/test/transport-multi:1");
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.stderr()).contains("+ retry GET http://" + at + "/v2/test/transport-multi/manifests/1 in 1000 ms: HTTP 503",
                "in 1000 ms: HTTP 429", "+ resume sha256:");
        assertThat(cut).hasSize(3); // the config and both layers
        assertThat(ranges).hasSize(3).allMatch(s -> s.matches(".*/blobs/sha256:[0-9a-f]{64} bytes=[1-9][0-9]*-"));
        Path mine = NativeStorageTest.unpack(xtmp.resolve("images.tar")).resolve("var/lib/containers/storage");
        Path theirs = RegistryPullTest.skopeoTree(reg + "/test/transport-multi:1");
        assertThat(StoreTrees.layers(mine)).hasSize(2).isEqualTo(StoreTrees.layers(theirs));
        for (String f : List.of("id", "digest"))
            assertThat(StoreTrees.images(mine).get(0).path(f)).isEqualTo(StoreTrees.images(theirs).get(0).path(f));
    }
}
