import static org.assertj.core.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.*;
import java.nio.charset.StandardCharsets;
import java.nio.file.*;
import java.util.*;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.compressors.zstandard.ZstdCompressorOutputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.tukaani.xz.LZMA2Options;
import org.tukaani.xz.XZOutputStream;

/**
 * The formats images come in today, native against skopeo on the same input: a two-platform OCI
 * index (zstd and gzip layers), a docker 25-style save archive (an OCI layout beside manifest.json)
 * with an xz layer, and a config with no creation time, empty-layer history and a repeated layer.
 */
class FormatsTest {
    static final String HOST_ARCH = switch (System.getProperty("os.arch")) {
        case "amd64", "x86_64" -> "amd64";
        case "aarch64" -> "arm64";
        default -> System.getProperty("os.arch");
    };
    static final String OTHER_ARCH = HOST_ARCH.equals("amd64") ? "arm64" : "amd64";
    static final String MULTIARCH = "test/multiarch:1", D25 = "test/d25:1";
    static byte[] base, upper, other;

    @BeforeAll
    static void tools() {
        Bed.requireTools("skopeo", "podman", "tar", "umount", "xz");
        Rootless.require();
        base = TestImages.base();
        upper = TestImages.upper();
        other = new TestImages.Layer().busybox().file("other.txt", 0644, "the other platform\n").bytes();
    }

    // ---- the fixtures: OCI layouts written here, blob by blob

    /** An OCI layout being written: blobs by digest, then index.json. */
    static final class Layout {
        final Path dir;

        Layout(Path dir) {
            this.dir = dir;
        }

        String blob(byte[] b) {
            try {
                Path p = dir.resolve("blobs/sha256/" + TestImages.sha256(b));
                Files.createDirectories(p.getParent());
                Files.write(p, b);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return "sha256:" + TestImages.sha256(b);
        }

        String descriptor(String mediaType, byte[] b, String extra) {
            return "{\"mediaType\":\"" + mediaType + "\",\"digest\":\"" + blob(b) + "\",\"size\":" + b.length + extra + "}";
        }

        /** An image manifest: its config and layers (blob, media type suffix), as a descriptor with these extra fields. */
        String image(byte[] config, List<byte[]> layers, List<String> types, String extra) {
            List<String> ls = new ArrayList<>();
            for (int i = 0; i < layers.size(); i++)
                ls.add(descriptor("application/vnd.oci.image.layer.v1.tar" + types.get(i), layers.get(i), ""));
            String m = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":"
                    + descriptor("application/vnd.oci.image.config.v1+json", config, "") + ",\"layers\":[" + String.join(",", ls) + "]}";
            return descriptor("application/vnd.oci.image.manifest.v1+json", bytes(m), extra);
        }

        String index(List<String> manifests, String extra) {
            String i = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":["
                    + String.join(",", manifests) + "]}";
            return descriptor("application/vnd.oci.image.index.v1+json", bytes(i), extra);
        }

        void finish(String... entries) {
            Bed.write(dir.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
            Bed.write(dir.resolve("index.json"), "{\"schemaVersion\":2,\"manifests\":[" + String.join(",", entries) + "]}");
            Bed.run(Map.of(), null, "chmod", "-R", "a+rX", dir.toString());
        }
    }

    static String platform(String arch, String variant) {
        return ",\"platform\":{\"architecture\":\"" + arch + "\",\"os\":\"linux\"" + (variant == null ? "" : ",\"variant\":\"" + variant + "\"") + "}";
    }

    static String ref(String name) {
        return ",\"annotations\":{\"org.opencontainers.image.ref.name\":\"" + name + "\"}";
    }

    /** An image config; created: null for none; history: raw JSON entries. */
    static byte[] config(String arch, String created, List<String> cmd, List<byte[]> layers, String history) {
        List<String> ids = layers.stream().map(l -> "\"sha256:" + TestImages.sha256(l) + "\"").toList();
        String cmdJson = String.join(",", cmd.stream().map(c -> "\"" + c.replace("\"", "\\\"") + "\"").toList());
        return bytes("{\"architecture\":\"" + arch + "\",\"os\":\"linux\"" + (created == null ? "" : ",\"created\":\"" + created + "\"")
                + ",\"config\":{\"Env\":[\"PATH=/bin\"],\"Cmd\":[" + cmdJson + "]},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":["
                + String.join(",", ids) + "]}" + (history == null ? "" : ",\"history\":[" + history + "]") + "}");
    }

    /** The host entry: base as zstd, upper as gzip; the other platform: one gzip layer. Under index.json as one index. */
    static Path multiArchLayout() throws IOException {
        Layout l = new Layout(Rootless.dir("multiarch-oci"));
        String host = l.image(config(HOST_ARCH, "2021-01-02T03:04:05Z", List.of("/bin/sh", "-c", TestImages.MULTI_CMD), List.of(base, upper), null),
                List.of(zstd(base), gzip(upper)), List.of("+zstd", "+gzip"), platform(HOST_ARCH, null));
        String otherVariant = OTHER_ARCH.equals("arm64") ? "v8" : null;
        String second = l.image(config(OTHER_ARCH, "2021-01-02T03:04:05Z", List.of("/bin/cat", "/other.txt"), List.of(other), null),
                List.of(gzip(other)), List.of("+gzip"), platform(OTHER_ARCH, otherVariant));
        l.finish(l.index(List.of(second, host), ref(MULTIARCH)));
        return l.dir;
    }

    // ---- 1. a multi-arch index

    @Test
    void multiArchIndexLikeSkopeo() throws IOException {
        Path oci = multiArchLayout();
        List<String> sources = List.of("oci:" + oci + ":" + MULTIARCH);
        Path mine = nativeTree(sources);
        sameTrees(mine, skopeoTree(sources, List.of()));
        Map<String, JsonNode> layers = StoreTrees.layers(mine);
        assertThat(layers.values()).extracting(n -> n.path("compression").asInt()).containsExactlyInAnyOrder(4, 2);
        assertThat(layers).containsKey(TestImages.sha256(base));
        JsonNode img = StoreTrees.images(mine).get(0);
        assertThat(img.path("names").get(0).asText()).isEqualTo("docker.io/" + MULTIARCH);
        assertThat(img.path("big-data-names").size()).as("config, index, manifest-DIGEST, manifest, signature").isEqualTo(5);
        Path tree = mine.getParent().getParent().getParent().getParent();
        assertThat(podmanRun(tree, MULTIARCH)).contains("./replace/new.txt\n", "./added.txt\n", "gone-is-gone\n");
    }

    @Test
    void platformChoosesTheOtherEntry() throws IOException {
        Path oci = multiArchLayout();
        String wanted = "linux/" + OTHER_ARCH + (OTHER_ARCH.equals("arm64") ? "/v8" : "");
        Path out = Bed.tempDir("platform").resolve("other.tar");
        Bed.Result r = Bed.images("make", "--plain", "--no-pause", "--platform=" + wanted, "--tar=" + out, "oci:" + oci + ":" + MULTIARCH);
        assertThat(r.code()).as(r.toString()).isZero();
        Path mine = MakeTest.unpack(out).resolve("var/lib/containers/storage");
        assertThat(StoreTrees.layers(mine).keySet()).containsExactly(TestImages.sha256(other));
        List<String> skopeoArgs = new ArrayList<>(List.of("--override-arch", OTHER_ARCH));
        if (OTHER_ARCH.equals("arm64")) skopeoArgs.addAll(List.of("--override-variant", "v8"));
        sameTrees(mine, skopeoTree(List.of("oci:" + oci + ":" + MULTIARCH), skopeoArgs));
    }

    @Test
    void noEntryForThePlatform() throws IOException {
        Path oci = multiArchLayout();
        Path out = Bed.tempDir("platform").resolve("none.tar");
        Bed.Result r = Bed.images("make", "--no-pause", "--platform=linux/s390x", "--tar=" + out, "oci:" + oci + ":" + MULTIARCH);
        assertThat(r.code()).as(r.toString()).isEqualTo(1);
        String hostVariant = "";
        assertThat(r.stderr()).startsWith("ERROR: No image for linux/s390x in [oci:" + oci + ":" + MULTIARCH + ": sha256:")
                .contains("]: it has linux/" + OTHER_ARCH + (OTHER_ARCH.equals("arm64") ? "/v8" : "") + ", linux/" + HOST_ARCH + hostVariant
                        + "; choose one with --platform");
        assertThat(out).doesNotExist();
        Bed.Result bad = Bed.images("make", "--no-pause", "--platform=s390x", "--tar=" + out, "oci:" + oci + ":" + MULTIARCH);
        assertThat(bad.code()).isEqualTo(2);
        assertThat(bad.stderr()).contains("Invalid platform [s390x]");
    }

    /**
     * An index inside an index, followed down to the host's manifest. skopeo 1.9.3 refuses it ("Unexpectedly
     * received a manifest list instead of a manifest for a single image"): nothing to compare with.
     */
    @Test
    void nestedIndexes() throws IOException {
        Layout l = new Layout(Rootless.dir("nested-oci"));
        String host = l.image(config(HOST_ARCH, "2021-01-02T03:04:05Z", List.of("/bin/true"), List.of(base, upper), null),
                List.of(zstd(base), gzip(upper)), List.of("+zstd", "+gzip"), platform(HOST_ARCH, null));
        String inner = l.index(List.of(host), platform(HOST_ARCH, null));
        l.finish(l.index(List.of(inner), ref("test/nested:1")));
        Path mine = nativeTree(List.of("oci:" + l.dir + ":test/nested:1"));
        String top = StoreTrees.images(mine).get(0).path("layer").asText();
        assertThat(StoreTrees.lowers(mine, top)).containsExactly(TestImages.sha256(base));
    }

    // ---- 2. a docker 25 save archive: manifest.json beside an OCI layout, an xz layer

    static Path docker25Archive(boolean withManifestJson) throws IOException {
        Layout l = new Layout(Rootless.dir("d25-layout"));
        byte[] xzUpper = xz(upper);
        byte[] cfg = config(HOST_ARCH, "2022-02-03T04:05:06Z", List.of("/bin/sh", "-c", TestImages.MULTI_CMD), List.of(base, upper), null);
        String m = l.image(cfg, List.of(base, xzUpper), List.of("", "+xz"),
                ",\"annotations\":{\"io.containerd.image.name\":\"docker.io/" + D25 + "\",\"org.opencontainers.image.ref.name\":\"1\"}");
        l.finish(m);
        if (withManifestJson)
            Bed.write(l.dir.resolve("manifest.json"), "[{\"Config\":\"blobs/sha256/" + TestImages.sha256(cfg) + "\",\"RepoTags\":[\"" + D25
                    + "\"],\"Layers\":[\"blobs/sha256/" + TestImages.sha256(base) + "\",\"blobs/sha256/" + TestImages.sha256(xzUpper) + "\"]}]");
        Path tar = Rootless.dir("d25").resolve("save.tar");
        Bed.Result r = Bed.run(Map.of(), null, "tar", "--sort=name", "-C", l.dir.toString(), "-cf", tar.toString(), ".");
        assertThat(r.code()).as(r.toString()).isZero();
        Rootless.open(tar);
        return tar;
    }

    @Test
    void docker25ArchiveLikeSkopeo() throws IOException {
        Path tar = docker25Archive(true);
        List<String> sources = List.of("docker-archive:" + tar + ":" + D25);
        Path mine = nativeTree(sources);
        sameTrees(mine, skopeoTree(sources, List.of()));
        // docker-archive layers are stored decompressed, as skopeo stores them
        assertThat(StoreTrees.layers(mine).values()).extracting(n -> n.path("compression").asInt()).containsOnly(0);
        Path tree = mine.getParent().getParent().getParent().getParent();
        assertThat(podmanRun(tree, D25)).contains("./added.txt\n", "gone-is-gone\n");
    }

    @Test
    void docker25ArchiveWithOnlyItsOciLayout() throws IOException {
        Path tar = docker25Archive(false);
        Path mine = nativeTree(List.of("docker-archive:" + tar));
        JsonNode img = StoreTrees.images(mine).get(0);
        assertThat(img.path("names").get(0).asText()).as("the containerd name, not the bare tag").isEqualTo("docker.io/" + D25);
        // read as its OCI layout, the xz blob is kept as it is: same tree as skopeo's oci-archive read
        sameTrees(mine, skopeoTree(List.of("oci-archive:" + tar + ":1"), List.of(), "docker.io/" + D25));
        assertThat(StoreTrees.layers(mine).values()).extracting(n -> n.path("compression").asInt()).containsExactlyInAnyOrder(0, 3);
    }

    // ---- 3. no creation time, empty layers in the history, a layer repeated

    @Test
    void noCreatedEmptyLayersRepeatedLayer() throws IOException {
        Layout l = new Layout(Rootless.dir("odd-config"));
        byte[] small = new TestImages.Layer().dir("data", 0755).file("data/x.txt", 0644, "x\n").bytes();
        String history = "{\"created_by\":\"ADD base\"},{\"created_by\":\"ENV A=1\",\"empty_layer\":true},"
                + "{\"created_by\":\"ADD x\"},{\"created_by\":\"ADD x again\"},{\"created_by\":\"CMD\",\"empty_layer\":true}";
        byte[] cfg = config(HOST_ARCH, null, List.of("/bin/cat", "/data/x.txt"), List.of(base, small, small), history);
        l.finish(l.image(cfg, List.of(gzip(base), gzip(small), gzip(small)), List.of("+gzip", "+gzip", "+gzip"), ref("test/odd-config:1")));
        List<String> sources = List.of("oci:" + l.dir + ":test/odd-config:1");
        Path mine = nativeTree(sources), theirs = skopeoTree(sources, List.of());
        assertThat(StoreTrees.layers(mine)).hasSize(3).isEqualTo(StoreTrees.layers(theirs));
        // skopeo stamps an image with no creation time with the wall clock; the native way, to stay reproducible, with the epoch
        JsonNode img = StoreTrees.images(mine).get(0);
        assertThat(img.path("created").asText()).isEqualTo("1970-01-01T00:00:00Z");
        java.time.Instant stamped = java.time.OffsetDateTime.parse(StoreTrees.images(theirs).get(0).path("created").asText()).toInstant();
        assertThat(stamped).isAfter(java.time.Instant.now().minusSeconds(3600));
        assertThat(withoutCreated(StoreTrees.images(mine))).isEqualTo(withoutCreated(StoreTrees.images(theirs)));
        Path tree = mine.getParent().getParent().getParent().getParent();
        assertThat(podmanRun(tree, "test/odd-config:1")).isEqualTo("x\n");
    }

    static JsonNode withoutCreated(JsonNode images) {
        for (JsonNode i : images) ((com.fasterxml.jackson.databind.node.ObjectNode) i).remove("created");
        return images;
    }

    // ---- helpers

    /** The native tar of these sources, written by the unprivileged user, unpacked: its graph root. */
    static Path nativeTree(List<String> sources) {
        Path tar = Rootless.dir("formats-native").resolve("native.tar");
        Bed.Result r = Rootless.java(Map.of(), "NativeWrite", NativeStorageTest.args(tar, sources));
        assertThat(r.code()).as(r.toString()).isZero();
        return MakeTest.unpack(tar).resolve("var/lib/containers/storage");
    }

    /** skopeo's graph root for one source, with extra global options, named `name` (default: the source's REF). */
    static Path skopeoTree(List<String> sources, List<String> options, String... name) {
        Path t = Bed.tempDir("formats-skopeo");
        for (String s : sources) {
            String n = name.length > 0 ? name[0] : s.substring(s.indexOf(':', s.indexOf(':') + 1) + 1);
            List<String> argv = new ArrayList<>(List.of("skopeo", "--insecure-policy"));
            argv.addAll(options);
            argv.addAll(List.of("copy", "-q", s, "containers-storage:[overlay@" + t.resolve("root") + "+" + t.resolve("run") + "]" + n));
            Bed.Result r = Bed.run(Map.of(), null, argv.toArray(String[]::new));
            assertThat(r.code()).as("skopeo copy " + s + ": " + r).isZero();
        }
        lib.exec.Temp.unmount(lib.exec.Run.QUIET, t);
        return t.resolve("root");
    }

    static void sameTrees(Path mine, Path theirs) {
        Map<String, JsonNode> layers = StoreTrees.layers(mine);
        assertThat(layers).isEqualTo(StoreTrees.layers(theirs));
        assertThat(StoreTrees.images(mine)).isEqualTo(StoreTrees.images(theirs));
        for (JsonNode img : StoreTrees.images(mine)) {
            String d = "overlay-images/" + img.path("id").asText();
            assertThat(StoreTrees.files(mine.resolve(d))).isEqualTo(StoreTrees.files(theirs.resolve(d)));
        }
        for (String id : layers.keySet()) {
            assertThat(StoreTrees.files(mine.resolve("overlay/" + id + "/diff"))).as("diff of " + id)
                    .isEqualTo(StoreTrees.files(theirs.resolve("overlay/" + id + "/diff")));
            assertThat(StoreTrees.tarSplit(mine, id)).isEqualTo(StoreTrees.tarSplit(theirs, id));
            assertThat(StoreTrees.lowers(mine, id)).isEqualTo(StoreTrees.lowers(theirs, id));
        }
    }

    static String podmanRun(Path tree, String image) {
        Bed.Result r = MakeTest.podman(tree, "run", "--rm", "--network", "none", image);
        try {
            assertThat(r.code()).as(r.toString()).isZero();
            return r.out();
        } finally {
            lib.exec.Temp.unmount(lib.exec.Run.QUIET, tree);
        }
    }

    interface Wrap {
        OutputStream wrap(OutputStream o) throws IOException;
    }

    static byte[] compress(Wrap w, byte[] b) {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        try (OutputStream o = w.wrap(buf)) {
            o.write(b);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return buf.toByteArray();
    }

    static byte[] gzip(byte[] b) {
        return compress(GZIPOutputStream::new, b);
    }

    static byte[] zstd(byte[] b) {
        return compress(ZstdCompressorOutputStream::new, b);
    }

    static byte[] xz(byte[] b) {
        return compress(o -> new XZOutputStream(o, new LZMA2Options(1)), b);
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
