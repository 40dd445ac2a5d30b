import static org.assertj.core.api.Assertions.*;

import java.nio.file.*;
import java.util.*;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A registry that speaks TLS, as every registry but the local one does: docker-registry with a
 * self-signed certificate made out for another name (tls-test, not 127.0.0.1). make docker://
 * refuses it by default with one line that says why, and pulls from it over https with
 * --tls-verify=false (any certificate, any name, as skopeo's flag means), not by falling back to
 * http. A plain http registry without --tls-verify=false is named as such.
 */
class TlsRegistryTest {
    static String at, plain, id;

    @BeforeAll
    static void setUp() {
        Bed.requireTools("skopeo", "openssl");
        Bed.docker();
        plain = Bed.registry();
        TestImages.plain("test/tls-plain:1", "tls-says-hi");
        id = Bed.docker("image", "inspect", "--format", "{{.Id}}", "test/tls-plain:1").replaceFirst("^sha256:", "");
        RegistryPullTest.skopeo("copy", "--src-daemon-host", Bed.docker(), "--dest-tls-verify=false", "docker-daemon:test/tls-plain:1",
                "docker://" + plain + "/test/tls-plain:1");
        Path d = Bed.tempDir("tls");
        Bed.Result gen = Bed.run(Map.of(), null, "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=tls-test",
                "-addext", "subjectAltName=DNS:tls-test", "-keyout", d.resolve("key.pem").toString(), "-out", d.resolve("cert.pem").toString());
        assertThat(gen.code()).as(gen.toString()).isZero();
        at = Bed.registryAt("127.0.0.1:" + Bed.freePort(), Bed.registryData(),
                "  tls:\n    certificate: " + d.resolve("cert.pem") + "\n    key: " + d.resolve("key.pem") + "\n");
    }

    static Bed.Result make(Path x, String... args) {
        List<String> argv = new ArrayList<>(List.of("make", "--verbose", "--no-pause", "--tar=" + x.resolve("images.tar")));
        argv.addAll(List.of(args));
        return Bed.images(Map.of("XCLUSTER_TMP", x.toString(), "LOCAL_REGISTRY", ""), argv.toArray(String[]::new));
    }

    @Test
    void tlsVerifyFalsePullsOverHttpsWhateverTheCertificate() {
        Path x = Bed.tempDir("xtmp");
        Bed.Result r = make(x, "--tls-verify=false", "docker://" + at + "/test/tls-plain:1");
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.stderr()).contains("+ GET https://" + at + "/v2/").doesNotContain("http://" + at);
        Path tree = NativeStorageTest.unpack(x.resolve("images.tar")).resolve("var/lib/containers/storage");
        assertThat(StoreTrees.images(tree).get(0).path("id").asText()).isEqualTo(id);
        assertThat(StoreTrees.images(tree).get(0).path("names").get(0).asText()).isEqualTo(at + "/test/tls-plain:1");
    }

    @Test
    void aCertificateNotTrustedHereIsRefusedByDefault() {
        assertThat(refused(at)).startsWith("ERROR: TLS failed [" + at + "]: certificate not accepted (")
                .endsWith("); --tls-verify=false skips the check\n").hasLineCount(1);
    }

    @Test
    void aPlainHttpRegistryIsNamedAsSuch() {
        assertThat(refused(plain)).isEqualTo("ERROR: TLS failed [" + plain + "]: no TLS there (a plain http registry?); --tls-verify=false allows http\n");
    }

    /** make of the image from registry without --tls-verify=false: fails, writes nothing; returns what it said (no --verbose lines). */
    static String refused(String registry) {
        Path x = Bed.tempDir("xtmp");
        Bed.Result r = make(x, "docker://" + registry + "/test/tls-plain:1");
        assertThat(r.code()).as(r.toString()).isEqualTo(1);
        assertThat(x.resolve("images.tar")).doesNotExist();
        return r.stderr().lines().filter(l -> !l.startsWith("+ ")).reduce("", (a, b) -> a + b + "\n");
    }
}
