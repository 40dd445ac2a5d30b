package lib.source;

import lib.model.Digest;
import lib.model.JsonValue;
import lib.model.Layer;
import lib.store.GoldenInput;
import lib.tar.HashedInput;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.SortedMap;
import org.junit.jupiter.api.Test;

/** How make knows a layer of a streamed `docker save` before its bytes, and the hash taken beside the stream. */
class DaemonStreamTest {
    // Written by docker 20.10.24 (`docker save bench/debian:1 bench/app:1`): an imported image's
    // one layer (folder f175...), the same layer as the base of an image built on it (d29f..., its
    // json written after the v1 id was taken, with "os" added), and that image's top layer (3551...).
    static final String D0 = "sha256:cfc7e6b42b1160530499d3e4b9ff3ea4557b97543dc6d1efeeb1038c91407532";
    static final String D1 = "sha256:677abc460bb286675088ea31cda34fdbfa9dbd8b99d4a887ad2cba1af49be3c8";
    static final String TOP_OF_IMPORTED = "{\"id\":\"f175a7e862140e46265bbd7275c3bd92203b4bff6fd8d95889f4136ef9b16ff7\",\"comment\":\"Imported fro"
            + "m -\",\"created\":\"2026-12-01T07:41:41.406185668Z\",\"container_config\":{\"Hostname\":\"\",\"Domainname\":\""
            + "\",\"User\":\"\",\"AttachStdin\":false,\"AttachStdout\":false,\"AttachStderr\":false,\"Tty\":false,\"OpenStdin"
            + "\":false,\"StdinOnce\":false,\"Env\":null,\"Cmd\":null,\"Image\":\"\",\"Volumes\":null,\"WorkingDir\":\"\",\"Entry"
            + "point\":null,\"OnBuild\":null,\"Labels\":null},\"docker_version\":\"20.10.24+dfsg1\",\"config\":{\"Hostname\""
            + ":\"\",\"Domainname\":\"\",\"User\":\"\",\"AttachStdin\":false,\"AttachStdout\":false,\"AttachStderr\":false,\"Tty"
            + "\":false,\"OpenStdin\":false,\"StdinOnce\":false,\"Env\":null,\"Cmd\":null,\"Image\":\"\",\"Volumes\":null,\"Wor"
            + "kingDir\":\"\",\"Entrypoint\":null,\"OnBuild\":null,\"Labels\":null},\"architecture\":\"amd64\",\"os\":\"linux\"}";
    static final String BASE_OF_BUILT = "{\"id\":\"d29feec8c95726ffbfb7943980ae084a00e9fdf0d5bef402cf0601f6b1e4a63a\",\"created\":\"1970-01-01T0"
            + "0:00:00Z\",\"container_config\":{\"Hostname\":\"\",\"Domainname\":\"\",\"User\":\"\",\"AttachStdin\":false,\"Attac"
            + "hStdout\":false,\"AttachStderr\":false,\"Tty\":false,\"OpenStdin\":false,\"StdinOnce\":false,\"Env\":null,\""
            + "Cmd\":null,\"Image\":\"\",\"Volumes\":null,\"WorkingDir\":\"\",\"Entrypoint\":null,\"OnBuild\":null,\"Labels\":nu"
            + "ll},\"os\":\"linux\"}";
    static final String TOP_OF_BUILT = "{\"id\":\"3551b0d97724f2b6a3f65747a6ec61ef7a509b8f02506cc11cc9828e70bec9e9\",\"parent\":\"d29feec8c9572"
            + "6ffbfb7943980ae084a00e9fdf0d5bef402cf0601f6b1e4a63a\",\"created\":\"2026-12-01T07:41:45.619491705Z\","
            + "\"container\":\"6e038a80697dbd37630fcb31f72d13a9ac5546174419074a8fba8d4c2d20b22c\",\"container_config"
            + "\":{\"Hostname\":\"6e038a80697d\",\"Domainname\":\"\",\"User\":\"\",\"AttachStdin\":false,\"AttachStdout\":false,"
            + "\"AttachStderr\":false,\"Tty\":false,\"OpenStdin\":false,\"StdinOnce\":false,\"Env\":[\"PATH=/usr/local/sbi"
            + "n:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\"],\"Cmd\":[\"/bin/sh\",\"-c\",\"#(nop) \",\"CMD [\\\"/bin/ls"
            + "\\\" \\\"/opt\\\"]\"],\"Image\":\"sha256:ccdaaeeb18c8f6329e0f5e9635a1818d74d6fa5f2f1f6700e4386536100693cb\""
            + ",\"Volumes\":null,\"WorkingDir\":\"\",\"Entrypoint\":null,\"OnBuild\":null,\"Labels\":{}},\"docker_version\":\""
            + "20.10.24+dfsg1\",\"config\":{\"Hostname\":\"\",\"Domainname\":\"\",\"User\":\"\",\"AttachStdin\":false,\"AttachStd"
            + "out\":false,\"AttachStderr\":false,\"Tty\":false,\"OpenStdin\":false,\"StdinOnce\":false,\"Env\":[\"PATH=/us"
            + "r/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\"],\"Cmd\":[\"/bin/ls\",\"/opt\"],\"Image\":\"sh"
            + "a256:ccdaaeeb18c8f6329e0f5e9635a1818d74d6fa5f2f1f6700e4386536100693cb\",\"Volumes\":null,\"WorkingDi"
            + "r\":\"\",\"Entrypoint\":null,\"OnBuild\":null,\"Labels\":null},\"architecture\":\"amd64\",\"os\":\"linux\"}";

    @Test
    void v1IdsAsDocker20TakesThem() {
        String chain1 = Digest.of(D0 + " " + D1).toString(); // docker's chain id of the second layer
        assertThat(DaemonStream.v1Id(bytes(TOP_OF_IMPORTED), D0, true)).isEqualTo("f175a7e862140e46265bbd7275c3bd92203b4bff6fd8d95889f4136ef9b16ff7");
        assertThat(DaemonStream.v1Id(bytes(BASE_OF_BUILT), D0, false)).isEqualTo("d29feec8c95726ffbfb7943980ae084a00e9fdf0d5bef402cf0601f6b1e4a63a");
        assertThat(DaemonStream.v1Id(bytes(TOP_OF_BUILT), chain1, true)).isEqualTo("3551b0d97724f2b6a3f65747a6ec61ef7a509b8f02506cc11cc9828e70bec9e9");
    }

    @Test
    void aWrongGuessIsNoMatch() {
        String chain1 = Digest.of(D0 + " " + D1).toString();
        assertThat(DaemonStream.v1Id(bytes(BASE_OF_BUILT), D0, true)).isNotEqualTo("d29feec8c95726ffbfb7943980ae084a00e9fdf0d5bef402cf0601f6b1e4a63a");
        assertThat(DaemonStream.v1Id(bytes(TOP_OF_BUILT), D0, true)).isNotEqualTo("3551b0d97724f2b6a3f65747a6ec61ef7a509b8f02506cc11cc9828e70bec9e9");
        assertThat(DaemonStream.v1Id(bytes(TOP_OF_IMPORTED), chain1, true)).isNotEqualTo("f175a7e862140e46265bbd7275c3bd92203b4bff6fd8d95889f4136ef9b16ff7");
        assertThat(DaemonStream.v1Id(bytes("[1]"), D0, true)).isNull();
    }

    @Test
    void rawFieldsKeepEachValueAsWritten() {
        SortedMap<String, String> f = JsonValue.rawFields(bytes("{\"b\":\"x\\\"y\\u003c\",\"a\":{\"k\":[1, 2]},\"c\":1.5e3,\"d\":null,\"e\":true}"));
        assertThat(f).containsExactly(
                java.util.Map.entry("a", "{\"k\":[1, 2]}"), java.util.Map.entry("b", "\"x\\\"y\\u003c\""),
                java.util.Map.entry("c", "1.5e3"), java.util.Map.entry("d", "null"), java.util.Map.entry("e", "true"));
        assertThat(JsonValue.rawFields(bytes("[]"))).isNull();
        assertThat(JsonValue.rawFields(bytes("{\"a\":1} x"))).isNull();
        assertThat(JsonValue.rawFields(bytes("{\"a\":"))).isNull();
    }

    @Test
    void hashedInputPassesEveryByteAndHashesThem() throws IOException {
        byte[] data = new byte[3 * (1 << 20) + 12345]; // more chunks than the pool holds
        new Random(7).nextBytes(data);
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        try (HashedInput in = new HashedInput(new ByteArrayInputStream(data) {
            @Override
            public synchronized int read(byte[] b, int off, int len) {
                return super.read(b, off, Math.min(len, 1000)); // a pipe gives little at a time
            }
        })) {
            got.write(in.read());
            byte[] buf = new byte[777];
            for (int n; (n = in.read(buf, 0, buf.length)) > 0; ) got.write(buf, 0, n);
            assertThat(in.read()).isEqualTo(-1);
            assertThat(got.toByteArray()).isEqualTo(data);
            assertThat(in.digest()).isEqualTo(Digest.of(data));
        }
        try (HashedInput empty = new HashedInput(new ByteArrayInputStream(new byte[0]))) {
            assertThat(empty.read()).isEqualTo(-1);
            assertThat(empty.digest()).isEqualTo(Digest.of(new byte[0]));
        }
    }

    // ---- the stream: what is handed over as it passes, what is spooled, and for how long

    static final byte[] L0 = "the base layer's bytes ".repeat(5000).getBytes(StandardCharsets.UTF_8);
    static final byte[] L1 = "the top layer's bytes ".repeat(3000).getBytes(StandardCharsets.UTF_8);

    @Test
    void aLayerBeforeItsTurnIsSpooledTheWantedOnePassesThrough(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp) throws Exception {
        byte[] stream = dockerSave(true);
        DaemonStream s = stream(tmp);
        java.util.List<Layer> layers = s.images().get("a:1").layers();
        Thread docker = new Thread(() -> s.read(new ByteArrayInputStream(stream)));
        docker.start();
        try (java.io.InputStream base = layers.get(0).opener().open()) {
            assertThat(base.readAllBytes()).isEqualTo(L0);
            assertThat(files(tmp)).hasSize(1); // the top layer came first: spooled; the base was not
        }
        try (java.io.InputStream top = layers.get(1).opener().open()) {
            assertThat(top.readAllBytes()).isEqualTo(L1);
        }
        docker.join();
        assertThat(files(tmp)).isEmpty(); // the spool goes once read
    }

    @Test
    void layersNotKnownByNameAreFoundAtTheEnd(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp) throws Exception {
        byte[] stream = dockerSave(false); // v1 ids that are not what docker would take: known by manifest.json only
        DaemonStream s = stream(tmp);
        java.util.List<Layer> layers = s.images().get("a:1").layers();
        Thread docker = new Thread(() -> s.read(new ByteArrayInputStream(stream)));
        docker.start();
        try (java.io.InputStream base = layers.get(0).opener().open(); java.io.InputStream top = layers.get(1).opener().open()) {
            assertThat(base.readAllBytes()).isEqualTo(L0);
            assertThat(top.readAllBytes()).isEqualTo(L1);
        }
        docker.join();
    }

    @Test
    void aStreamWithoutTheLayerSaysSo(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp) throws Exception {
        DaemonStream s = stream(tmp);
        Layer base = s.images().get("a:1").layers().get(0);
        s.read(new ByteArrayInputStream(tar(t -> GoldenInput.add(t, "manifest.json", bytes("[]")))));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> base.opener().open())
                .hasMessage("docker save did not write layer [" + Digest.of(L0) + "] (docker save a:1)");
    }

    private static DaemonStream stream(java.nio.file.Path tmp) {
        DaemonStream s = new DaemonStream(lib.exec.Run.QUIET, java.util.List.of("a:1"), tmp);
        s.plan("a:1", Digest.of(config()).toString(), java.time.OffsetDateTime.parse("2026-01-02T03:04:05Z"),
                java.util.List.of(Digest.of(L0), Digest.of(L1)));
        return s;
    }

    /** What docker 20.10 sends for one image of two layers: v1 folders in name order (top first here), config, manifest.json. */
    private static byte[] dockerSave(boolean realV1Ids) throws IOException {
        String c0 = Digest.of(L0).toString(), c1 = Digest.of(c0 + " " + Digest.of(L1)).toString();
        String base = "{\"created\":\"1970-01-01T00:00:00Z\"}", top = "{\"created\":\"2026-01-02T03:04:05Z\",\"os\":\"linux\"}";
        String v0 = realV1Ids ? DaemonStream.v1Id(bytes(base), c0, true) : "b".repeat(64);
        String v1 = realV1Ids ? DaemonStream.v1Id(bytes(top.replace("{", "{\"parent\":\"" + v0 + "\",")), c1, true) : "a".repeat(64);
        String json0 = base.replace("{", "{\"id\":\"" + v0 + "\",");
        String json1 = top.replace("{", "{\"id\":\"" + v1 + "\",\"parent\":\"" + v0 + "\",");
        String id = Digest.of(config()).hex();
        String manifest = "[{\"Config\":\"" + id + ".json\",\"RepoTags\":[\"a:1\"],\"Layers\":[\"" + v0 + "/layer.tar\",\"" + v1 + "/layer.tar\"]}]";
        String first = v0.compareTo(v1) < 0 ? v1 : v0; // the top layer first: it comes before its turn
        return tar(t -> {
            for (String v : first.equals(v1) ? new String[] {v1, v0} : new String[] {v0, v1}) {
                GoldenInput.add(t, v + "/VERSION", bytes("1.0"));
                GoldenInput.add(t, v + "/json", bytes(v.equals(v0) ? json0 : json1));
                GoldenInput.add(t, v + "/layer.tar", v.equals(v0) ? L0 : L1);
            }
            GoldenInput.add(t, id + ".json", config());
            GoldenInput.add(t, "manifest.json", bytes(manifest));
        });
    }

    private static byte[] config() {
        return bytes("{\"created\":\"2026-01-02T03:04:05Z\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\""
                + Digest.of(L0) + "\",\"" + Digest.of(L1) + "\"]}}");
    }

    interface Entries {
        void write(org.apache.commons.compress.archivers.tar.TarArchiveOutputStream t) throws IOException;
    }

    private static byte[] tar(Entries entries) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try (var t = new org.apache.commons.compress.archivers.tar.TarArchiveOutputStream(b)) {
            entries.write(t);
        }
        return b.toByteArray();
    }

    private static java.util.List<java.nio.file.Path> files(java.nio.file.Path dir) throws IOException {
        try (var s = java.nio.file.Files.list(dir)) {
            return s.toList();
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
