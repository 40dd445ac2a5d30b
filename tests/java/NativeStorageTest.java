import static org.assertj.core.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.*;
import java.nio.charset.StandardCharsets;
import java.nio.file.*;
import java.util.*;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The native storage tar (lib.store.Storage, written by an unprivileged user) against what skopeo
 * writes as root from the same images, and read back by podman and skopeo.
 */
class NativeStorageTest {
    static final String MULTI = "test/native-multi:1", PLAIN = "test/native-plain:1", OTHER = "test/native-other:2",
            ALIAS = "native-alias:latest";
    static final List<String> REFS = List.of(MULTI, PLAIN, OTHER, ALIAS);
    static Path dir, archive, nativeTar, nativeRoot, skopeoRoot;

    @BeforeAll
    static void build() {
        Bed.requireTools("skopeo", "podman", "tar", "umount");
        Rootless.require();
        Bed.docker();
        TestImages.multi(MULTI);
        TestImages.plain(PLAIN, "plain-says-hello");
        TestImages.plain(OTHER, "other-says-hello");
        Bed.docker("tag", PLAIN, ALIAS);
        dir = Rootless.dir("native");
        archive = dir.resolve("images.tar");
        List<String> save = new ArrayList<>(List.of("save", "-o", archive.toString()));
        save.addAll(REFS);
        Bed.docker(save.toArray(String[]::new));
        Rootless.open(archive);
        nativeTar = dir.resolve("native.tar");
        Bed.Result r = Rootless.java(Map.of(), "NativeWrite", args(nativeTar, archiveSources()));
        assertThat(r.code()).as(r.toString()).isZero();
        nativeRoot = unpack(nativeTar).resolve("var/lib/containers/storage");
        // skopeo 1.9 fails on docker save's symlinked layers ("blob size mismatch"): it reads the daemon
        skopeoRoot = skopeo(REFS.stream().map(ref -> "docker-daemon:" + ref).toList()).resolve("root");
    }

    static List<String> archiveSources() {
        return REFS.stream().map(ref -> "docker-archive:" + archive + ":" + ref).toList();
    }

    static String[] args(Path out, List<String> sources) {
        List<String> a = new ArrayList<>(List.of(out.toString()));
        a.addAll(sources);
        return a.toArray(String[]::new);
    }

    /** A tree skopeo writes as root: one `skopeo copy` per source (docker-daemon:REF or TRANSPORT:PATH:REF), named REF. */
    static Path skopeo(List<String> sources) {
        Path t = Bed.tempDir("skopeo");
        for (String s : sources) {
            boolean daemon = s.startsWith("docker-daemon:");
            String name = daemon ? s.substring(14) : s.substring(s.indexOf(':', s.indexOf(':') + 1) + 1);
            Bed.Result r = skopeoCopy(s, "containers-storage:[overlay@" + t.resolve("root") + "+" + t.resolve("run") + "]" + name);
            assertThat(r.code()).as("skopeo copy " + s + ": " + r).isZero();
        }
        lib.exec.Temp.unmount(lib.exec.Run.QUIET, t); // skopeo leaves ROOT/overlay mounted on itself
        return t;
    }

    static Bed.Result skopeoCopy(String from, String to) {
        List<String> argv = new ArrayList<>(List.of("skopeo", "--insecure-policy", "copy", "-q"));
        if (from.startsWith("docker-daemon:")) argv.addAll(List.of("--src-daemon-host", Bed.docker()));
        argv.addAll(List.of(from, to));
        return Bed.run(Map.of(), null, argv.toArray(String[]::new));
    }

    /** The native tar unpacked as root the way the VM does it, into a fresh folder. */
    static Path unpack(Path tar) {
        Path t = Bed.tempDir("unpacked");
        Bed.Result r = Bed.run(Map.of(), null, "tar", "--xattrs", "--xattrs-include=*", "-xpf", tar.toString(), "-C", t.toString());
        assertThat(r.code()).as(r.toString()).isZero();
        return t;
    }

    // ---- 1. the same store as skopeo's

    @Test
    void sameLayersAsSkopeo() {
        Map<String, JsonNode> mine = StoreTrees.layers(nativeRoot), theirs = StoreTrees.layers(skopeoRoot);
        assertThat(mine).hasSize(2); // the base shared by all three images, multi's upper layer
        assertThat(mine).isEqualTo(theirs);
        for (String id : mine.keySet())
            assertThat(StoreTrees.lowers(nativeRoot, id)).as("lower of " + id).isEqualTo(StoreTrees.lowers(skopeoRoot, id));
    }

    @Test
    void sameImagesAsSkopeo() {
        JsonNode mine = StoreTrees.images(nativeRoot);
        assertThat(mine).hasSize(3);
        assertThat(mine).isEqualTo(StoreTrees.images(skopeoRoot));
        for (JsonNode img : mine) {
            String d = nativeRoot.resolve("overlay-images/" + img.path("id").asText()).toString();
            assertThat(StoreTrees.files(Path.of(d))).isEqualTo(StoreTrees.files(skopeoRoot.resolve("overlay-images/" + img.path("id").asText())));
        }
    }

    @Test
    void sameFilesAsSkopeo() {
        for (String id : StoreTrees.layers(skopeoRoot).keySet()) {
            SortedMap<String, String> mine = StoreTrees.files(nativeRoot.resolve("overlay/" + id + "/diff"));
            assertThat(mine).as("diff of " + id).isEqualTo(StoreTrees.files(skopeoRoot.resolve("overlay/" + id + "/diff")));
            assertThat(StoreTrees.tarSplit(nativeRoot, id)).as("tar-split of " + id).isEqualTo(StoreTrees.tarSplit(skopeoRoot, id));
        }
        String upper = upperLayer();
        SortedMap<String, String> files = StoreTrees.files(nativeRoot.resolve("overlay/" + upper + "/diff"));
        assertThat(files.get("./data/gone.txt")).startsWith("3 0 0:0 0 - ").contains(" 0,0 ");
        assertThat(files.get("./data/replace/")).contains("trusted.overlay.opaque=y");
        assertThat(files).doesNotContainKeys("./data/.wh.gone.txt", "./data/replace/.wh..wh..opq");
    }

    @Test
    void sameLayoutAsSkopeo() {
        assertThat(StoreTrees.layout(nativeRoot)).isEqualTo(StoreTrees.layout(skopeoRoot));
    }

    @Test
    void gzipOciArchiveLikeSkopeo() {
        Path oci = dir.resolve("multi-oci.tar");
        Bed.Result r = skopeoCopy("docker-daemon:" + MULTI, "oci-archive:" + oci + ":" + MULTI);
        assertThat(r.code()).as(r.toString()).isZero();
        Rootless.open(oci);
        sameAsSkopeo(List.of("oci-archive:" + oci + ":" + MULTI), 2);
    }

    @Test
    void ociLayoutLikeSkopeo() {
        Path oci = dir.resolve("oci-layout");
        for (String ref : List.of(MULTI, OTHER)) {
            Bed.Result r = skopeoCopy("docker-daemon:" + ref, "oci:" + oci + ":" + ref);
            assertThat(r.code()).as(r.toString()).isZero();
        }
        Bed.run(Map.of(), null, "chmod", "-R", "a+rX", oci.toString());
        sameAsSkopeo(List.of("oci:" + oci + ":" + MULTI, "oci:" + oci + ":" + OTHER), 2);
    }

    /** The native tar of these sources, written by the unprivileged user, against skopeo's tree of them. */
    static void sameAsSkopeo(List<String> sources, int compression) {
        Path tar = Rootless.dir("oci-native").resolve("native.tar");
        Bed.Result r = Rootless.java(Map.of(), "NativeWrite", args(tar, sources));
        assertThat(r.code()).as(r.toString()).isZero();
        Path mine = unpack(tar).resolve("var/lib/containers/storage"), theirs = skopeo(sources).resolve("root");
        Map<String, JsonNode> layers = StoreTrees.layers(mine);
        assertThat(layers).isEqualTo(StoreTrees.layers(theirs));
        assertThat(layers.values()).allSatisfy(l -> assertThat(l.path("compression").asInt()).isEqualTo(compression));
        assertThat(StoreTrees.images(mine)).isEqualTo(StoreTrees.images(theirs));
        for (String id : layers.keySet()) {
            assertThat(StoreTrees.files(mine.resolve("overlay/" + id + "/diff")))
                    .isEqualTo(StoreTrees.files(theirs.resolve("overlay/" + id + "/diff")));
            assertThat(StoreTrees.tarSplit(mine, id)).isEqualTo(StoreTrees.tarSplit(theirs, id));
        }
    }

    /**
     * Odd but valid layers, as skopeo takes them: a root entry, xattrs, sub-second and big numbers,
     * devices, a fifo, a long link target, names that are not UTF-8 or need escaping in JSON,
     * folders never listed, an opaque marker far from its folder, whiteouts in unlisted folders.
     */
    @Test
    void oddLayersLikeSkopeo() throws IOException {
        byte[] base = layer(t -> {
            dirEntry(t, "./", 0755);
            dirEntry(t, "a/", 0750);
            var f = fileEntry("a/file", 0644, "xattr and a fraction of a second\n");
            f.addPaxHeader("SCHILY.xattr.user.note", "hello");
            f.setLastModifiedTime(FileTime.from(Instant.ofEpochSecond(1_600_000_000L, 500_000_000)));
            put(t, f, "xattr and a fraction of a second\n");
            var big = fileEntry("a/big-uid", 0600, "big\n");
            big.setUserId(3_000_000);
            big.setGroupId(3_000_001);
            put(t, big, "big\n");
            var fifo = entry("a/fifo", TarConstants.LF_FIFO);
            put(t, fifo, null);
            var dev = entry("a/null", TarConstants.LF_CHR);
            dev.setDevMajor(1);
            dev.setDevMinor(3);
            dev.setMode(0666);
            put(t, dev, null);
            var sym = entry("a/sym", TarConstants.LF_SYMLINK);
            sym.setLinkName("target/" + "x".repeat(150));
            put(t, sym, null);
            put(t, fileEntry("caf\u00e9", 0644, "latin-1 name\n"), "latin-1 name\n");
            put(t, fileEntry("x<y&z>", 0644, "escaped\n"), "escaped\n");
            put(t, fileEntry("deep/er/file", 0644, "in folders never listed\n"), "in folders never listed\n");
            var hl = entry("a/hl", TarConstants.LF_LINK);
            hl.setLinkName("a/file");
            put(t, hl, null);
        });
        byte[] upper = layer(t -> {
            dirEntry(t, "a/", 0755);
            put(t, fileEntry("a/f2", 0644, "new\n"), "new\n");
            put(t, fileEntry("a/.wh..wh..opq", 0644, ""), "");
            put(t, fileEntry("deep/er/.wh.file", 0644, ""), "");
            put(t, fileEntry("newdir/.wh..wh..opq", 0644, ""), "");
            put(t, fileEntry(".wh.caf\u00e9", 0644, ""), "");
        });
        Path f = Rootless.dir("odd").resolve("odd.tar");
        Files.write(f, TestImages.archive("test/odd:1", List.of("/bin/true"), List.of(base, upper)));
        Rootless.open(f);
        sameAsSkopeo(List.of("docker-archive:" + f + ":test/odd:1"), 0);
        Path tar = dir.resolve("odd-native.tar");
        Bed.Result r = Rootless.java(Map.of(), "NativeWrite", args(tar, List.of("docker-archive:" + f)));
        assertThat(r.code()).as(r.toString()).isZero();
        Path root = unpack(tar).resolve("var/lib/containers/storage");
        String top = StoreTrees.images(root).get(0).path("layer").asText();
        SortedMap<String, String> files = StoreTrees.files(root.resolve("overlay/" + top + "/diff"));
        assertThat(files.get("./a/")).contains("trusted.overlay.opaque=y");
        assertThat(files.get("./newdir/")).contains("trusted.overlay.opaque=y");
        assertThat(files.get("./deep/er/file")).startsWith("3 0 ");
    }

    interface TarBody {
        void write(TarArchiveOutputStream t) throws IOException;
    }

    static byte[] layer(TarBody body) {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        try (TarArchiveOutputStream t = new TarArchiveOutputStream(buf, "ISO-8859-1")) {
            t.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            t.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
            body.write(t);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return buf.toByteArray();
    }

    static TarArchiveEntry entry(String name, byte type) {
        var e = new TarArchiveEntry(name, type);
        e.setModTime(1_600_000_000_000L);
        return e;
    }

    static void dirEntry(TarArchiveOutputStream t, String name, int mode) throws IOException {
        var e = entry(name, TarConstants.LF_DIR);
        e.setMode(mode);
        put(t, e, null);
    }

    static TarArchiveEntry fileEntry(String name, int mode, String content) {
        var e = entry(name, TarConstants.LF_NORMAL);
        e.setMode(mode);
        e.setSize(content.getBytes(StandardCharsets.UTF_8).length);
        return e;
    }

    static void put(TarArchiveOutputStream t, TarArchiveEntry e, String content) throws IOException {
        t.putArchiveEntry(e);
        if (content != null) t.write(content.getBytes(StandardCharsets.UTF_8));
        t.closeArchiveEntry();
    }

    static String upperLayer() {
        return StoreTrees.layers(nativeRoot).values().stream().filter(l -> l.has("parent")).findFirst().orElseThrow()
                .path("id").asText();
    }

    // ---- 2. podman serves it

    @Test
    void podmanListsAndRunsTheImages() throws IOException {
        Path t = unpack(nativeTar);
        Path conf = t.resolve("containers.conf");
        Bed.write(conf, "[containers]\ndefault_ulimits = []\n");
        Path runroot = Files.createTempDirectory(Path.of("/tmp"), "nrun"); // podman wants a run root under 50 characters
        try {
            Bed.Result images = podman(t, runroot, conf, "images", "--format", "{{.Repository}}:{{.Tag}}");
            assertThat(images.code()).as(images.toString()).isZero();
            assertThat(images.out().lines().toList()).containsExactlyInAnyOrder("docker.io/test/native-multi:1",
                    "docker.io/test/native-plain:1", "docker.io/test/native-other:2", "docker.io/library/native-alias:latest");
            Bed.Result multi = podman(t, runroot, conf, "run", "--rm", "--network", "none", MULTI);
            assertThat(multi.code()).as(multi.toString()).isZero();
            assertThat(multi.out()).contains("./replace/new.txt\n", "./added.txt\n", "./hard\n", "./empty\n", "new\n", "gone-is-gone\n")
                    .contains(TestImages.LONG.substring("data/".length()))
                    .doesNotContain("gone.txt\n", "old1.txt", "old2.txt", "./replace/sub");
            Bed.Result plain = podman(t, runroot, conf, "run", "--rm", "--network", "none", ALIAS);
            assertThat(plain.out()).as(plain.toString()).isEqualTo("plain-says-hello\n");
            Bed.Result other = podman(t, runroot, conf, "run", "--rm", "--network", "none", OTHER);
            assertThat(other.out()).as(other.toString()).isEqualTo("other-says-hello\n");
        } finally {
            lib.exec.Temp.unmount(lib.exec.Run.QUIET, t);
            lib.exec.Temp.unmount(lib.exec.Run.QUIET, runroot);
            Bed.run(Map.of(), null, "rm", "-rf", "--one-file-system", runroot.toString());
        }
    }

    static Bed.Result podman(Path t, Path runroot, Path conf, String... args) {
        List<String> argv = new ArrayList<>(List.of("podman", "--root", t.resolve("var/lib/containers/storage").toString(),
                "--runroot", runroot.toString(), "--storage-driver", "overlay"));
        argv.addAll(Arrays.asList(args));
        return Bed.run(Map.of("CONTAINERS_CONF", conf.toString()), null, argv.toArray(String[]::new));
    }

    // ---- 3. skopeo reads it back with the original layers

    @Test
    void skopeoCopiesTheLayersBackUnchanged() throws IOException {
        Path t = unpack(nativeTar);
        try {
            for (String ref : List.of(MULTI, OTHER)) {
                Path out = t.resolve(ref.replaceAll("[^a-z0-9]", "_") + ".tar");
                Bed.Result r = Bed.run(Map.of(), null, "skopeo", "--insecure-policy", "copy", "-q",
                        "containers-storage:[overlay@" + t.resolve("var/lib/containers/storage") + "+" + t.resolve("var/run/containers/storage") + "]" + ref,
                        "docker-archive:" + out + ":" + ref);
                assertThat(r.code()).as(r.toString()).isZero();
                assertThat(layerDigests(out)).isEqualTo(diffIds(ref));
            }
        } finally {
            lib.exec.Temp.unmount(lib.exec.Run.QUIET, t);
        }
    }

    /** sha256 of each layer file of a docker-archive, in manifest order. */
    static List<String> layerDigests(Path archive) throws IOException {
        Bed.Result m = Bed.run(Map.of(), null, "tar", "-xOf", archive.toString(), "manifest.json");
        List<String> out = new ArrayList<>();
        for (JsonNode l : StoreTrees.JSON.readTree(m.stdout()).get(0).path("Layers")) {
            Bed.Result b = Bed.run(Map.of(), null, "tar", "-xOf", archive.toString(), l.asText());
            out.add("sha256:" + TestImages.sha256(b.stdout()));
        }
        return out;
    }

    static List<String> diffIds(String ref) throws IOException {
        List<String> out = new ArrayList<>();
        StoreTrees.JSON.readTree(Bed.docker("image", "inspect", ref)).get(0).path("RootFS").path("Layers").forEach(l -> out.add(l.asText()));
        return out;
    }

    // ---- 5. same input, same bytes

    @Test
    void sameInputSameBytes() throws IOException {
        Path again = dir.resolve("again.tar");
        Bed.Result r = Rootless.java(Map.of(), "NativeWrite", args(again, archiveSources()));
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(Files.mismatch(again, nativeTar)).isEqualTo(-1);
    }

    @Test
    void theDaemonGivesTheSameTarAsItsArchive() throws IOException {
        Path fromDaemon = dir.resolve("daemon.tar");
        List<String> argv = Bed.java("NativeWrite");
        argv.add(fromDaemon.toString());
        argv.addAll(REFS);
        Bed.Result r = Bed.run(Map.of("DOCKER_HOST", Bed.docker()), null, argv.toArray(String[]::new));
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(Files.mismatch(fromDaemon, nativeTar)).isEqualTo(-1);
    }

    // ---- 4. broken input: a clear error, no output left behind

    @Test
    void truncatedLayer() {
        byte[] base = TestImages.base();
        byte[] cut = Arrays.copyOf(base, base.length / 2 + 100);
        broken(dockerArchive(List.of(cut), List.of(sha(cut))), "truncated", TestImages.sha256(cut) + "/layer.tar");
    }

    @Test
    void diffIdMismatch() {
        byte[] upper = TestImages.upper();
        broken(dockerArchive(List.of(upper), List.of(sha("something else".getBytes()))), "mismatch",
                TestImages.sha256(upper) + "/layer.tar");
    }

    @Test
    void ociBlobDigestMismatch() throws IOException {
        Path oci = Rootless.dir("bad-oci");
        byte[] layer = TestImages.upper();
        String config = config(List.of(sha(layer)));
        String manifest = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":{\"mediaType\":"
                + "\"application/vnd.oci.image.config.v1+json\",\"digest\":\"" + sha(config.getBytes()) + "\",\"size\":" + config.length()
                + "},\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"" + sha(layer) + "\",\"size\":"
                + layer.length + "}]}";
        blob(oci, config.getBytes());
        blob(oci, manifest.getBytes());
        byte[] tampered = layer.clone();
        tampered[600] ^= 1; // in the body of the first file
        Files.write(oci.resolve("blobs/sha256/" + TestImages.sha256(layer)), tampered);
        Bed.write(oci.resolve("index.json"), "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
                + "\"digest\":\"" + sha(manifest.getBytes()) + "\",\"size\":" + manifest.length()
                + ",\"annotations\":{\"org.opencontainers.image.ref.name\":\"test/bad:1\"}}]}");
        Bed.run(Map.of(), null, "chmod", "-R", "a+rX", oci.toString());
        broken("oci:" + oci + ":test/bad:1", "digest mismatch", "blobs/sha256/" + TestImages.sha256(layer));
    }

    @Test
    void pathWithDotDot() {
        byte[] layer = rawLayer("../evil.txt", false, null);
        broken(dockerArchive(List.of(layer), List.of(sha(layer))), "path with ..", "../evil.txt");
    }

    @Test
    void absolutePath() {
        byte[] layer = rawLayer("/etc/evil.txt", false, null);
        broken(dockerArchive(List.of(layer), List.of(sha(layer))), "absolute path", "/etc/evil.txt");
    }

    @Test
    void hardLinkToAMissingFile() {
        byte[] layer = rawLayer("data/link", true, "data/not-there");
        broken(dockerArchive(List.of(layer), List.of(sha(layer))), "hard link to a missing file", "data/not-there");
    }

    /** NativeWrite as the unprivileged user fails with a message naming what is wrong, and leaves no output. */
    static void broken(String source, String... messages) {
        Path out = Rootless.dir("broken").resolve("out.tar");
        Bed.Result r = Rootless.java(Map.of(), "NativeWrite", out.toString(), source);
        assertThat(r.code()).as(r.toString()).isEqualTo(1);
        assertThat(r.stderr()).startsWith("ERROR: ").contains(messages);
        assertThat(out).doesNotExist();
        assertThat(out.getParent().toFile().list()).as("nothing left in the output folder").isEmpty();
    }

    static int brokenCount;

    /** A one-image docker-archive with the given layers and diff IDs (which may lie), readable by the user. */
    static String dockerArchive(List<byte[]> layers, List<String> diffIds) {
        Path dir = Rootless.dir("broken-archive");
        Path f = dir.resolve("bad.tar");
        try (var t = new org.apache.commons.compress.archivers.tar.TarArchiveOutputStream(Files.newOutputStream(f))) {
            List<String> paths = new ArrayList<>();
            for (byte[] l : layers) {
                String p = TestImages.sha256(l) + "/layer.tar";
                paths.add("\"" + p + "\"");
                add(t, p, l);
            }
            byte[] config = config(diffIds).getBytes(StandardCharsets.UTF_8);
            add(t, "config.json", config);
            add(t, "manifest.json", ("[{\"Config\":\"config.json\",\"RepoTags\":[\"test/broken:" + ++brokenCount + "\"],\"Layers\":["
                    + String.join(",", paths) + "]}]").getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Rootless.open(f);
        return "docker-archive:" + f;
    }

    static String config(List<String> diffIds) {
        return "{\"architecture\":\"amd64\",\"os\":\"linux\",\"created\":\"2020-09-13T12:26:40Z\",\"config\":{},"
                + "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" + String.join("\",\"", diffIds) + "\"]}}";
    }

    /** A layer with one entry whose name or link target would be refused. */
    static byte[] rawLayer(String name, boolean hardLink, String target) {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        try (var t = new org.apache.commons.compress.archivers.tar.TarArchiveOutputStream(buf)) {
            t.setLongFileMode(org.apache.commons.compress.archivers.tar.TarArchiveOutputStream.LONGFILE_POSIX);
            var dirEntry = new org.apache.commons.compress.archivers.tar.TarArchiveEntry("data/");
            t.putArchiveEntry(dirEntry);
            t.closeArchiveEntry();
            var e = hardLink
                    ? new org.apache.commons.compress.archivers.tar.TarArchiveEntry(name, org.apache.commons.compress.archivers.tar.TarConstants.LF_LINK)
                    : new org.apache.commons.compress.archivers.tar.TarArchiveEntry(name, true);
            if (hardLink) e.setLinkName(target);
            else e.setSize(5);
            t.putArchiveEntry(e);
            if (!hardLink) t.write("evil\n".getBytes());
            t.closeArchiveEntry();
        } catch (IOException x) {
            throw new UncheckedIOException(x);
        }
        return buf.toByteArray();
    }

    static void add(org.apache.commons.compress.archivers.tar.TarArchiveOutputStream t, String name, byte[] b) throws IOException {
        var e = new org.apache.commons.compress.archivers.tar.TarArchiveEntry(name);
        e.setSize(b.length);
        t.putArchiveEntry(e);
        t.write(b);
        t.closeArchiveEntry();
    }

    static void blob(Path oci, byte[] b) throws IOException {
        Path p = oci.resolve("blobs/sha256/" + TestImages.sha256(b));
        Files.createDirectories(p.getParent());
        Files.write(p, b);
    }

    static String sha(byte[] b) {
        return "sha256:" + TestImages.sha256(b);
    }
}
