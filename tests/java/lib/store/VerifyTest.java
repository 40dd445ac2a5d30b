package lib.store;

import lib.Fail;
import lib.model.Digest;
import static org.assertj.core.api.Assertions.*;

import java.io.*;
import java.nio.charset.StandardCharsets;
import java.nio.file.*;
import java.util.*;
import java.util.function.UnaryOperator;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * images ls / inspect / verify on a storage tar the native writer makes from generated images
 * (no root, no docker): two images sharing a base layer; then the same tar tampered with, one
 * fault at a time, each giving its own ERROR.
 */
class VerifyTest {
    @TempDir static Path dir;
    static Path good;
    static String base, top; // layer ids

    @BeforeAll
    static void makeTheTar() throws IOException {
        byte[] b = layer(Map.of("bin/", "", "bin/tool", "tool body\n".repeat(1000), "etc/", "", "etc/a.conf", "a=1\n"));
        byte[] u = layer(Map.of("data/", "", "data/f.txt", "the file of the upper layer\n"));
        byte[] other = layer(Map.of("etc/", "", "etc/b.conf", "b=2\n"));
        Path a = archive("test/a:1", List.of(b, u)), o = archive("test/b:1", List.of(b, other));
        good = dir.resolve("good.tar");
        try (OutputStream out = Files.newOutputStream(good)) {
            Storage.write(lib.exec.Run.QUIET, List.of("docker-archive:" + a, "docker-archive:" + o), out);
        }
        base = Digest.of(b).hex();
        top = Digest.of(base + "+" + Digest.of(u).hex()).hex();
    }

    @Test
    void aGoodTarVerifies() {
        assertThat(Verify.run(good.toString())).startsWith("OK " + good + ": 2 images, 3 layers, ");
    }

    @Test
    void lsShowsNamesLayersAndShared() {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        Ls.ls(good.toString(), false, new PrintStream(buf, true));
        String id = StoreTar.read(good.toString()).find("test/a:1").id().substring(0, 12);
        assertThat(buf.toString().lines().toList()).satisfiesExactly(
                l -> assertThat(l).matches("docker\\.io/test/a:1 " + id + " [0-9.]+ kB 2 layers \\(1 shared\\)"),
                l -> assertThat(l).matches("docker\\.io/test/b:1 [0-9a-f]{12} [0-9.]+ kB 2 layers \\(1 shared\\)"));
    }

    @Test
    void lsReadsAStream() throws IOException {
        try (InputStream in = Files.newInputStream(good)) {
            StoreTar t = StoreTar.read(in, "stdin", null);
            assertThat(Ls.rows(t)).extracting(Ls.Row::layers).containsExactly(2, 2);
            assertThat(t.chain(t.find("docker.io/test/a:1"))).extracting(StoreTar.Layer::id).containsExactly(base, top);
        }
    }

    @Test
    void inspectShowsTheConfigAndManifest() {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        Ls.inspect(good.toString(), "test/a:1", "config", new PrintStream(buf, true));
        String config = buf.toString().trim();
        StoreTar t = StoreTar.read(good.toString());
        assertThat(Digest.of(config.getBytes(StandardCharsets.UTF_8)).hex()).isEqualTo(t.find("test/a:1").id());
        buf.reset();
        Ls.inspect(good.toString(), t.find("test/b:1").id().substring(0, 12), "all", new PrintStream(buf, true));
        assertThat(buf.toString()).contains("\"Names\" : [ \"docker.io/test/b:1\" ]", "\"Manifest\" : {", "\"Config\" : {", base);
        assertThatThrownBy(() -> Ls.inspect(good.toString(), "test/c:1", "all", System.out)).hasMessage("No image [test/c:1] in [" + good + "]");
    }

    /** A tar cut short: verify and ls say so in one clean Fail, naming the file. */
    @Test
    void aTruncatedTar() throws IOException {
        byte[] all = Files.readAllBytes(good);
        Path cut = dir.resolve("cut.tar");
        Files.write(cut, Arrays.copyOf(all, all.length / 2 + 100));
        assertThatThrownBy(() -> Verify.run(cut.toString())).isInstanceOf(Fail.class).hasMessageContaining(cut.toString())
                .hasMessageContaining("cut short").hasMessageNotContaining("\n");
        assertThatThrownBy(() -> Ls.ls(cut.toString(), false, new java.io.PrintStream(OutputStream.nullOutputStream())))
                .isInstanceOf(Fail.class).hasMessageContaining("cut short");
    }

    @Test
    void aByteChangedInAFileOfALayer() throws IOException {
        Path bad = tamper("byte", (name, body) -> name.endsWith("/diff/data/f.txt") ? flip(body) : body);
        assertThatThrownBy(() -> Verify.run(bad.toString()))
                .hasMessage("Image [docker.io/test/a:1] layer [" + top + "]: file [data/f.txt] differs from its tar-split (CRC-64)");
    }

    @Test
    void aMissingTarSplit() throws IOException {
        Path bad = tamper("split", (name, body) -> name.endsWith(base + ".tar-split.gz") ? null : body);
        assertThatThrownBy(() -> Verify.run(bad.toString()))
                .hasMessage("Image [docker.io/test/a:1] layer [" + base + "]: missing tar-split [overlay-layers/" + base + ".tar-split.gz]");
    }

    @Test
    void anImageNamingAMissingLayer() throws IOException {
        String missing = "f".repeat(64);
        Path bad = tamper("image", (name, body) -> name.endsWith("images.json") ? replace(body, "\"layer\":\"" + top, "\"layer\":\"" + missing) : body);
        assertThatThrownBy(() -> Verify.run(bad.toString()))
                .hasMessage("Image [docker.io/test/a:1]: its layer [" + missing + "] is not in layers.json");
    }

    @Test
    void aWrongParent() throws IOException {
        StoreTar t = StoreTar.read(good.toString());
        String otherTop = t.find("test/b:1").topLayer();
        Path bad = tamper("parent", (name, body) -> name.endsWith("layers.json")
                ? replace(body, "\"id\":\"" + top + "\",\"parent\":\"" + base, "\"id\":\"" + top + "\",\"parent\":\"" + otherTop) : body);
        assertThatThrownBy(() -> Verify.run(bad.toString())).hasMessageStartingWith("Image [docker.io/test/a:1] layer [" + top
                + "]: the id is not the id of parent [" + otherTop + "] and diff digest [sha256:");
    }

    // ---- generated inputs ----

    /** A layer tar with folders (names ending in /) and files, in the map's sorted order. */
    static byte[] layer(Map<String, String> entries) throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        try (TarArchiveOutputStream t = new TarArchiveOutputStream(buf)) {
            for (Map.Entry<String, String> e : new TreeMap<>(entries).entrySet()) {
                TarArchiveEntry te = new TarArchiveEntry(e.getKey());
                byte[] body = e.getValue().getBytes(StandardCharsets.UTF_8);
                te.setSize(e.getKey().endsWith("/") ? 0 : body.length);
                te.setModTime(1_600_000_000_000L);
                t.putArchiveEntry(te);
                if (!e.getKey().endsWith("/")) t.write(body);
                t.closeArchiveEntry();
            }
        }
        return buf.toByteArray();
    }

    /** A docker-archive of one image, as `docker save` writes it. */
    static Path archive(String name, List<byte[]> layers) throws IOException {
        Path p = dir.resolve(name.replaceAll("[^a-z0-9]", "_") + ".tar");
        List<String> diffIds = new ArrayList<>(), paths = new ArrayList<>();
        try (TarArchiveOutputStream t = new TarArchiveOutputStream(Files.newOutputStream(p))) {
            for (byte[] l : layers) {
                String h = Digest.of(l).hex();
                diffIds.add("\"sha256:" + h + "\"");
                paths.add("\"" + h + "/layer.tar\"");
                put(t, h + "/layer.tar", l);
            }
            byte[] config = ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"created\":\"2020-09-13T12:26:40Z\",\"config\":{},"
                    + "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[" + String.join(",", diffIds) + "]}}").getBytes(StandardCharsets.UTF_8);
            put(t, Digest.of(config).hex() + ".json", config);
            put(t, "manifest.json", ("[{\"Config\":\"" + Digest.of(config).hex() + ".json\",\"RepoTags\":[\"" + name + "\"],\"Layers\":["
                    + String.join(",", paths) + "]}]").getBytes(StandardCharsets.UTF_8));
        }
        return p;
    }

    private static void put(TarArchiveOutputStream t, String name, byte[] b) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(name);
        e.setSize(b.length);
        t.putArchiveEntry(e);
        t.write(b);
        t.closeArchiveEntry();
    }

    interface Change {
        /** The new body of a regular file, or null to leave the entry out. */
        byte[] apply(String name, byte[] body);
    }

    /** The good tar copied entry by entry, with one change. */
    static Path tamper(String what, Change change) throws IOException {
        Path bad = dir.resolve(what + ".tar");
        try (TarArchiveInputStream in = new TarArchiveInputStream(Files.newInputStream(good));
             TarArchiveOutputStream out = new TarArchiveOutputStream(Files.newOutputStream(bad))) {
            out.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            out.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
            for (TarArchiveEntry e; (e = in.getNextEntry()) != null; ) {
                byte[] body = e.isFile() ? change.apply(e.getName(), in.readAllBytes()) : new byte[0];
                if (body == null) continue;
                if (e.isFile()) e.setSize(body.length);
                out.putArchiveEntry(e);
                out.write(body);
                out.closeArchiveEntry();
            }
        }
        return bad;
    }

    static byte[] flip(byte[] b) {
        byte[] c = b.clone();
        c[3] ^= 1;
        return c;
    }

    static byte[] replace(byte[] body, String from, String to) {
        String s = new String(body, StandardCharsets.UTF_8);
        assertThat(s).contains(from);
        return s.replace(from, to).getBytes(StandardCharsets.UTF_8);
    }
}
