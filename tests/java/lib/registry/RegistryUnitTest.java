package lib.registry;

import static org.assertj.core.api.Assertions.*;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import lib.Fail;
import lib.model.Digest;
import lib.model.JsonValue;
import org.junit.jupiter.api.Test;

/** The registry client's pure parts: logins as auth files write them, retry timing, what a pull refuses. */
class RegistryUnitTest {
    static final String D = "sha256:" + "ab".repeat(32);

    @Test
    void authKeysAreMatchedByHostAndPort() {
        assertThat(Credentials.hostOf("https://index.example.test/v1/")).isEqualTo("index.example.test");
        assertThat(Credentials.hostOf("http://[::1]:5000/v2/")).isEqualTo("[::1]:5000");
        assertThat(Credentials.hostOf("127.0.0.1:5000")).isEqualTo("127.0.0.1:5000");
    }

    @Test
    void aLoginIsDecodedAndNeverShown() {
        String auth = Base64.getEncoder().encodeToString("user:pa:ss".getBytes(StandardCharsets.UTF_8));
        Credentials.Login l = Credentials.decode(auth, Path.of("auth.json"));
        assertThat(l.user()).isEqualTo("user");
        assertThat(l.secret()).isEqualTo("pa:ss");
        assertThat(l.toString()).doesNotContain("user", "pa:ss");
        assertThat(l.basic()).isEqualTo("Basic " + auth);
        assertThatThrownBy(() -> Credentials.decode("!!!", Path.of("a.json"))).isInstanceOf(Fail.class).hasMessage("Invalid auth in [a.json]: not base64");
        String noColon = Base64.getEncoder().encodeToString("user".getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> Credentials.decode(noColon, Path.of("a.json"))).hasMessage("Invalid auth in [a.json]: not USER:PASSWORD");
        assertThatThrownBy(() -> Credentials.helper(lib.exec.Run.QUIET, "x;rm -rf /", "h")).hasMessage("Invalid credential helper [x;rm -rf /]");
    }

    @Test
    void aFailedConnectionIsSaidInWordsNotAsAJavaClass() {
        // as Java's HttpClient throws them: a ConnectException without a message, the reason in its cause
        var unresolved = new java.net.ConnectException();
        unresolved.initCause(new java.nio.channels.UnresolvedAddressException());
        assertThat(ConnectFailure.reason(unresolved)).isEqualTo("unknown host (is the name right?)");
        var refused = new java.net.ConnectException();
        refused.initCause(new java.net.ConnectException("Connection refused"));
        assertThat(ConnectFailure.reason(refused)).isEqualTo("Connection refused");
        assertThat(ConnectFailure.reason(new java.net.ConnectException())).isEqualTo("can't connect (is it running, on that port?)");
        assertThat(ConnectFailure.reason(new java.io.IOException("Connection reset"))).isEqualTo("Connection reset");
    }

    @Test
    void aTlsFailureSaysWhatToDo() {
        // as the JDK throws them: the certificate's trouble in a cause of the handshake's exception
        var untrusted = new javax.net.ssl.SSLHandshakeException("PKIX path building failed");
        untrusted.initCause(new java.security.cert.CertificateException("unable to find valid certification path to requested target"));
        assertThat(ConnectFailure.tls(untrusted))
                .isEqualTo("certificate not accepted (unable to find valid certification path to requested target); --tls-verify=false skips the check");
        assertThat(ConnectFailure.tls(new javax.net.ssl.SSLException("Unsupported or unrecognized SSL message")))
                .isEqualTo("no TLS there (a plain http registry?); --tls-verify=false allows http");
        assertThat(ConnectFailure.tls(new javax.net.ssl.SSLException("Received fatal alert: handshake_failure")))
                .isEqualTo("Received fatal alert: handshake_failure");
    }

    @Test
    void retriesWaitAsTheRegistrySaysElseBackOff() {
        assertThat(Client.retryable(503)).isTrue();
        assertThat(Client.retryable(429)).isTrue();
        assertThat(Client.retryable(404)).isFalse();
        assertThat(Client.retryable(401)).isFalse();
        assertThat(Client.retryAfter("3", 1)).isEqualTo(3000);
        assertThat(Client.retryAfter("3600", 1)).isEqualTo(60_000);
        assertThat(Client.retryAfter(null, 1)).isEqualTo(500);
        assertThat(Client.retryAfter("Wed, 21 Oct 2015 07:28:00 GMT", 3)).isEqualTo(2000);
    }

    static JsonValue json(String s) throws Exception {
        return JsonValue.parse(s.getBytes(StandardCharsets.UTF_8));
    }

    static Pull.Manifest manifest(String type) {
        return new Pull.Manifest(new byte[0], type, Digest.of(new byte[0]));
    }

    @Test
    void schemaOneAndForeignLayersAreRefusedNamingTheImage() throws Exception {
        Client c = Client.of(lib.exec.Run.QUIET, "registry.invalid", true);
        assertThatThrownBy(() -> Pull.blobs(c, "x", json("{\"schemaVersion\":1,\"fsLayers\":[]}"), manifest("application/json"), "docker://r/x:1"))
                .hasMessage("Unsupported manifest [docker://r/x:1]: schema 1 (re-push the image with a current docker or skopeo)");
        assertThatThrownBy(() -> Pull.blobs(c, "x", json("{}"), manifest("application/vnd.docker.distribution.manifest.v1+prettyjws"), "docker://r/x:1"))
                .hasMessageStartingWith("Unsupported manifest [docker://r/x:1]: schema 1");
        String foreign = "{\"schemaVersion\":2,\"config\":{\"digest\":\"" + D + "\",\"size\":2},\"layers\":[{\"mediaType\":"
                + "\"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip\",\"digest\":\"" + D + "\",\"size\":9,\"urls\":[\"https://x/y\"]}]}";
        assertThatThrownBy(() -> Pull.blobs(c, "x", json(foreign), manifest(Pull.DOCKER_MANIFEST), "docker://r/x:1"))
                .hasMessage("Unsupported layer [docker://r/x:1: " + D + "]: a foreign layer (application/vnd.docker.image.rootfs.foreign.diff.tar.gzip)");
        String ok = "{\"schemaVersion\":2,\"config\":{\"digest\":\"" + D + "\",\"size\":2},\"layers\":[{\"digest\":\"" + D + "\",\"size\":9}]}";
        assertThat(Pull.blobs(c, "x", json(ok), manifest(Pull.OCI_MANIFEST), "w")).extracting(Download.Blob::size).containsExactly(2L, 9L);
        String md5 = "{\"schemaVersion\":2,\"config\":{\"digest\":\"md5:0123456789abcdef0123456789abcdef\",\"size\":2},\"layers\":[]}";
        assertThatThrownBy(() -> Pull.blobs(c, "x", json(md5), manifest(Pull.OCI_MANIFEST), "w")).hasMessageStartingWith("Unsupported digest [md5:");
        String noSize = "{\"schemaVersion\":2,\"config\":{\"digest\":\"" + D + "\"},\"layers\":[]}";
        assertThatThrownBy(() -> Pull.blobs(c, "x", json(noSize), manifest(Pull.OCI_MANIFEST), "w")).hasMessage("Invalid size of [w: " + D + "]");
    }

    @Test
    void pushTellsTheManifestType() {
        assertThat(Push.mediaType("{\"mediaType\":\"application/vnd.oci.image.index.v1+json\"}".getBytes(StandardCharsets.UTF_8))).isEqualTo(Pull.OCI_INDEX);
        assertThat(Push.mediaType("{\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\"}}".getBytes(StandardCharsets.UTF_8)))
                .isEqualTo(Pull.OCI_MANIFEST);
        assertThat(Push.mediaType("{\"config\":{}}".getBytes(StandardCharsets.UTF_8))).isEqualTo(Pull.DOCKER_MANIFEST);
    }

    @Test
    void lregQualifiesNamesAsImagesSh() {
        assertThat(Lreg.qualified("alpine")).isEqualTo("docker.io/alpine:latest");
        assertThat(Lreg.qualified("nordixorg/mconnect:v1.2")).isEqualTo("docker.io/nordixorg/mconnect:v1.2");
        assertThat(Lreg.qualified("registry.k8s.io/pause:3.9")).isEqualTo("registry.k8s.io/pause:3.9");
    }
}
