import static org.assertj.core.api.Assertions.*;

import java.io.*;
import java.nio.charset.StandardCharsets;
import java.nio.file.*;
import java.util.*;
import lib.store.LayerSafetyTest.Raw;
import org.junit.jupiter.api.Test;

/**
 * Hostile images and hostile paths, generated here: each refused with one ERROR: line, exit 1, no output,
 * no partial, no temporary folder, nothing written elsewhere, within a time limit; odd output targets
 * handled; a dead docker daemon said in one line; --dry-run changes nothing.
 */
class HostileTest {
    static final String NO_DOCKER = "ERROR: Can't reach the docker daemon [unix:///nonexistent]: is it running? (DOCKER_HOST)\n";

    /** `images ARGS` bounded by a timeout, with a private TMPDIR to check that no temporary folder is left. */
    static Bed.Result images(Path tmpdir, Map<String, String> env, String... args) {
        Map<String, String> e = new HashMap<>(env);
        e.put("TMPDIR", tmpdir.toString());
        List<String> a = new ArrayList<>(List.of("timeout", "120"));
        a.addAll(Bed.java("images"));
        a.addAll(Arrays.asList(args));
        Map<String, String> all = new HashMap<>(Map.of("XCLUSTER_TMP", Bed.WORK.resolve("xcluster-tmp").toString()));
        all.putAll(e);
        return Bed.run(all, null, a.toArray(String[]::new));
    }

    static Bed.Result refused(String source, String error) {
        Path tmp = Bed.tempDir("tmp"), out = Bed.tempDir("out").resolve("images.tar"); // make wants the folder there (issue 23)
        Bed.Result r = images(tmp, Map.of(), "make", "--no-pause", "--tar=" + out, source);
        assertThat(r.code()).as(r.toString()).isEqualTo(1);
        assertThat(r.stderr()).as(r.toString()).startsWith("ERROR: ").contains(error).hasLineCount(1);
        assertThat(out.getParent().toFile().list()).as("nothing half-written").isEmpty();
        assertThat(tmp.toFile().list()).as("no temporary folder left").isEmpty();
        return r;
    }

    static byte[] layer(Raw r) {
        return r.end();
    }

    /** The hostile layers: each with the words of its ERROR: line. */
    static Map<String, byte[]> corpus() {
        Map<String, byte[]> m = new LinkedHashMap<>();
        m.put("invalid PAX record (NUL in path)", new Raw().pax("path", "a\0/../../x").file("a", "x").end());
        m.put("whiteout of nothing, . or .. [d/.wh...]", new Raw().file("d/.wh...", "").end());
        m.put("hard link to itself [self]", new Raw().entry("self", '1', 0, "self", 0, 0).end());
        m.put("uid or gid out of range (-1:0) [f]", new Raw().pax("uid", "-1").file("f", "x").end());
        m.put("name longer than 255 bytes", new Raw().pax("path", "n".repeat(256)).file("f", "x").end());
        m.put("path with .. [../evil]", new Raw().file("../evil", "x").end());
        return m;
    }

    @Test
    void hostileLayersAreRefusedFromEveryTransport() throws IOException {
        for (Map.Entry<String, byte[]> c : corpus().entrySet()) {
            byte[] l = c.getValue();
            Path d = Bed.tempDir("hostile");
            Path archive = d.resolve("docker.tar");
            Files.write(archive, TestImages.archive("test/hostile:1", List.of("/x"), List.of(l)));
            refused("docker-archive:" + archive, c.getKey());
            Path oci = oci(d.resolve("oci"), l);
            refused("oci:" + oci + ":test/hostile:1", c.getKey());
            Path ociTar = d.resolve("oci.tar");
            Bed.run(Map.of(), null, "tar", "-C", oci.toString(), "-cf", ociTar.toString(), ".");
            refused("oci-archive:" + ociTar + ":test/hostile:1", c.getKey());
        }
    }

    /**
     * A gzip bomb as a docker-archive layer (issue 23): the archive names only the diff ID of the
     * decompressed tar, so nothing can be checked before decompressing. A tar end followed by 1 GiB
     * of zeros (gzip members of 64 MiB each) is refused once 64 MiB follow the end of the archive,
     * in one ERROR: line naming the item and the layer, in about a second (skopeo 1.9 reads it all,
     * to a temporary file, before its digest error; see README's Safety).
     */
    @Test
    void aGzipBombInADockerArchiveLayerIsRefusedAfter64MiB() throws IOException {
        ByteArrayOutputStream member = new ByteArrayOutputStream();
        try (var g = new java.util.zip.GZIPOutputStream(member)) {
            g.write(new byte[64 << 20]);
        }
        ByteArrayOutputStream bomb = new ByteArrayOutputStream();
        try (var g = new java.util.zip.GZIPOutputStream(bomb)) {
            g.write(new Raw().file("f", "x").end());
        }
        for (int i = 0; i < 16; i++) bomb.writeBytes(member.toByteArray());
        Path archive = Bed.tempDir("bomb").resolve("docker.tar");
        Files.write(archive, TestImages.archive("test/bomb:1", List.of("/x"), List.of(bomb.toByteArray())));
        long t0 = System.nanoTime();
        Bed.Result r = refused("docker-archive:" + archive, "after the end of the archive");
        assertThat((System.nanoTime() - t0) / 1_000_000).as("ms").isLessThan(5000);
        assertThat(r.stderr()).startsWith("ERROR: Can't read layer [docker-archive:" + archive + ": ").contains("/layer.tar]: ");
    }

    /** An OCI layout of one image with this layer. */
    static Path oci(Path dir, byte[] layer) throws IOException {
        String config = NativeStorageTest.config(List.of(NativeStorageTest.sha(layer)));
        String manifest = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":{\"mediaType\":"
                + "\"application/vnd.oci.image.config.v1+json\",\"digest\":\"" + NativeStorageTest.sha(config.getBytes()) + "\",\"size\":"
                + config.length() + "},\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\""
                + NativeStorageTest.sha(layer) + "\",\"size\":" + layer.length + "}]}";
        NativeStorageTest.blob(dir, config.getBytes());
        NativeStorageTest.blob(dir, manifest.getBytes());
        NativeStorageTest.blob(dir, layer);
        Bed.write(dir.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
        Bed.write(dir.resolve("index.json"), "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
                + "\"digest\":\"" + NativeStorageTest.sha(manifest.getBytes()) + "\",\"size\":" + manifest.length()
                + ",\"annotations\":{\"org.opencontainers.image.ref.name\":\"test/hostile:1\"}}]}");
        return dir;
    }

    @Test
    void anOciBlobThatIsNotARegularFileIsRefusedBeforeReading() throws IOException {
        byte[] l = new Raw().file("f", "x").end();
        Path oci = oci(Bed.tempDir("oci-dev").resolve("oci"), l);
        Path blob = oci.resolve("blobs/sha256/" + TestImages.sha256(l));
        Files.delete(blob);
        Files.createSymbolicLink(blob, Path.of("/dev/zero"));
        refused("oci:" + oci + ":test/hostile:1", "Not a regular file: layer [" + blob + "]");
        Files.delete(blob);
        Bed.run(Map.of(), null, "mkfifo", blob.toString());
        refused("oci:" + oci + ":test/hostile:1", "Not a regular file: layer [" + blob + "]");
    }

    static String goodArchive(int bodyBytes) throws IOException {
        Path a = Bed.tempDir("good").resolve("good.tar");
        Files.write(a, TestImages.archive("test/good:1", List.of("/x"), List.of(new Raw().file("f", "y".repeat(bodyBytes)).end())));
        return "docker-archive:" + a;
    }

    @Test
    void aSymlinkTargetIsFollowedADeviceWrittenThrough() throws IOException {
        String src = goodArchive(10);
        Path d = Bed.tempDir("targets"), real = d.resolve("real.tar"), link = d.resolve("link.tar");
        Files.writeString(real, "old");
        Files.createSymbolicLink(link, real);
        Bed.Result r = images(Bed.tempDir("tmp"), Map.of(), "make", "--verbose", "--no-pause", "--tar=" + link, src);
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.stderr()).contains("Following the link [" + link + "] to [" + real + "]");
        assertThat(Files.isSymbolicLink(link)).isTrue();
        assertThat(Files.size(real)).isGreaterThan(1024);
        Bed.requireRoot();
        Bed.Result n = images(Bed.tempDir("tmp"), Map.of(), "make", "--verbose", "--no-pause", "--tar=/dev/null", src);
        assertThat(n.code()).as(n.toString()).isZero();
        assertThat(n.stderr()).contains("Writing through [/dev/null]");
        assertThat(Bed.run(Map.of(), null, "stat", "-c", "%F", "/dev/null").out()).isEqualTo("character special file\n");
    }

    @Test
    void aFifoTargetIsWrittenThrough() throws Exception {
        String src = goodArchive(10);
        Path fifo = Bed.tempDir("fifo").resolve("out");
        Bed.run(Map.of(), null, "mkfifo", fifo.toString());
        var reader = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return Files.readAllBytes(fifo).length;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        Bed.Result r = images(Bed.tempDir("tmp"), Map.of(), "make", "--no-pause", "--tar=" + fifo, src);
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(reader.get(60, java.util.concurrent.TimeUnit.SECONDS)).isGreaterThan(1024);
        assertThat(Files.isRegularFile(fifo)).as("still a FIFO").isFalse();
    }

    @Test
    void aDefaultOutputFolderOthersCanWriteIsRefused() throws IOException {
        Path x = Bed.tempDir("xtmp");
        Bed.run(Map.of(), null, "chmod", "0777", x.toString());
        Bed.Result r = images(Bed.tempDir("tmp"), Map.of("XCLUSTER_TMP", x.toString()), "make", "--no-pause", goodArchive(10));
        assertThat(r.code()).as(r.toString()).isEqualTo(1);
        assertThat(r.stderr()).isEqualTo("ERROR: Unsafe output folder [" + x + "]: [" + x
                + "] is writable by group or others; give --tar=FILE or fix its owner and mode\n");
        assertThat(x.toFile().list()).isEmpty();
        Bed.run(Map.of(), null, "chmod", "0700", x.toString());
        Bed.run(Map.of(), null, "chown", "nobody", x.toString());
        Bed.Result o = images(Bed.tempDir("tmp"), Map.of("XCLUSTER_TMP", x.toString()), "make", "--no-pause", goodArchive(10));
        assertThat(o.stderr()).contains("is owned by uid 65534");
    }

    @Test
    void staleLeftoversOfKilledRunsAreCleaned() throws IOException {
        Path d = Bed.tempDir("stale"), tmp = Bed.tempDir("tmp");
        Path partial = d.resolve(".images.tar.partial-999999999-abc"), folder = tmp.resolve("images-make-999999999-123");
        Files.writeString(partial, "half");
        Files.createDirectories(folder.resolve("x"));
        Path alive = d.resolve(".images.tar.partial-1-abc"); // PID 1 lives: not ours to remove
        Files.writeString(alive, "half");
        Bed.Result r = images(tmp, Map.of(), "make", "--no-pause", "--tar=" + d.resolve("images.tar"), goodArchive(10));
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(partial).doesNotExist();
        assertThat(folder).doesNotExist();
        assertThat(alive).exists();
    }

    @Test
    void aFullDiskSaysWriteAndLeavesNothing() throws IOException {
        Bed.requireRoot();
        Path mnt = Bed.tempDir("full");
        Bed.Result m = Bed.run(Map.of(), null, "mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", mnt.toString());
        assertThat(m.code()).as(m.toString()).isZero();
        try {
            Path out = mnt.resolve("images.tar");
            Bed.Result r = images(Bed.tempDir("tmp"), Map.of(), "make", "--no-pause", "--tar=" + out, goodArchive(3 << 20));
            assertThat(r.code()).as(r.toString()).isEqualTo(1);
            assertThat(r.stderr()).contains("ERROR: Can't write [" + out + "]: No space left on device\n").doesNotContain("read layer");
            assertThat(mnt.toFile().list()).isEmpty();
        } finally {
            Bed.run(Map.of(), null, "umount", mnt.toString());
        }
    }

    @Test
    void aPermissionErrorKeepsItsReason() throws IOException {
        Rootless.require();
        Path d = Rootless.dir("perm");
        Path a = d.resolve("good.tar");
        Files.write(a, TestImages.archive("test/good:1", List.of("/x"), List.of(new Raw().file("f", "y").end())));
        Rootless.open(a);
        Path closed = Bed.tempDir("closed"); // root's, 0700
        Bed.run(Map.of(), null, "chmod", "0755", closed.toString());
        Bed.Result r = Rootless.java(Map.of(), "NativeWrite", closed.resolve("out.tar").toString(), "docker-archive:" + a);
        assertThat(r.code()).as(r.toString()).isEqualTo(1);
        assertThat(r.stderr()).isEqualTo("ERROR: Can't write [" + closed.resolve("out.tar") + "]: Permission denied\n");
        Bed.Result m = Rootless.java(Map.of(), "NativeWrite", closed.resolve("sub/out.tar").toString(), "docker-archive:" + a);
        assertThat(m.stderr()).isEqualTo("ERROR: Can't create folder [" + closed.resolve("sub") + "]: Permission denied\n");
    }

    @Test
    void aClosedStdoutEndsQuietly() throws IOException {
        String src = goodArchive(1 << 20);
        String cmd = String.join(" ", Bed.java("images")) + " make --no-pause --tar=- " + src
                + " | head -c 100 >/dev/null; echo ${PIPESTATUS[0]}";
        Bed.Result r = Bed.run(Map.of("XCLUSTER_TMP", Bed.WORK.resolve("xcluster-tmp").toString()), null, "timeout", "120", "bash", "-c", cmd);
        assertThat(r.out()).isEqualTo("141\n");
        assertThat(r.stderr()).isEmpty();
    }

    @Test
    void aDeadDockerDaemonIsSaidInOneLine() {
        Map<String, String> env = Map.of("DOCKER_HOST", "unix:///nonexistent", "XCLUSTER_OVLPATH", MakeTest.EXAMPLES.toString());
        Path legacy = MakeTest.EXAMPLES.resolve("legacy/image");
        for (String[] args : List.of(new String[] {"legacy-import", legacy.toString()}, new String[] {"in_docker", "x/y:1"},
                new String[] {"make", "--via=skopeo", "--no-pause", "--tar=" + Bed.WORK.resolve("no.tar"), "legacy"},
                new String[] {"make", "--no-pause", "--tar=" + Bed.WORK.resolve("no.tar"), "x/y:1"},
                new String[] {"mkimage", "--force", legacy.toString()})) {
            Bed.Result r = images(Bed.tempDir("tmp"), env, args);
            assertThat(r.code()).as(r.toString()).isEqualTo(1);
            assertThat(r.stderr().lines().filter(l -> l.startsWith("ERROR")).toList()).as(r.toString()).containsExactly(NO_DOCKER.trim());
            assertThat(r.stderr()).as(r.toString()).endsWith(NO_DOCKER);
        }
    }

    @Test
    void dryRunChangesNothing() {
        Bed.docker();
        Path legacy = MakeTest.EXAMPLES.resolve("legacy/image");
        Bed.Result i = Bed.images("legacy-import", legacy.toString());
        assertThat(i.code()).as(i.toString()).isZero();
        String id = Bed.docker("image", "inspect", "-f", "{{.Id}}", "example/legacy:0.1");
        for (String cmd : List.of("legacy-import", "mkimage")) {
            Bed.Result r = Bed.images(cmd, "--force", "--dry-run", legacy.toString());
            assertThat(r.code()).as(r.toString()).isZero();
            assertThat(r.stderr()).contains("dry-run: docker rmi example/legacy:0.1");
            assertThat(Bed.docker("image", "inspect", "-f", "{{.Id}}", "example/legacy:0.1")).isEqualTo(id);
        }
    }

    @Test
    void anImageWithoutItsVersionIsNotAMissingXcluster() {
        Map<String, String> env = Map.of("XCLUSTER", "", "XCLUSTER_OVLPATH", "");
        Bed.Result r = images(Bed.tempDir("tmp"), env, "make", "--no-pause", "--tar=" + Bed.WORK.resolve("no.tar"), "nordixorg/mconnect");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.stderr()).endsWith("ERROR: Can't find [nordixorg/mconnect]: no such folder, and no $XCLUSTER_OVLPATH or $XCLUSTER to find an"
                + " overlay; an image needs its version, like nordixorg/mconnect:TAG\n");
        Bed.Result o = images(Bed.tempDir("tmp"), Map.of("XCLUSTER_OVLPATH", "/nowhere"), "make", "--no-pause", "--tar=" + Bed.WORK.resolve("no.tar"), "nope");
        assertThat(o.stderr()).endsWith("ERROR: Can't find ovl [nope] in $XCLUSTER_OVLPATH [/nowhere]\n");
    }

    /** An overlay whose tar script writes these bytes, with this Dockerfile. */
    static Path overlay(byte[] tar, String dockerfile) throws IOException {
        Path d = Bed.tempDir("ovl");
        Files.write(d.resolve("ovl.bin"), tar);
        Bed.write(d.resolve("tar"), "#!/bin/sh\ncp \"$(dirname \"$0\")/ovl.bin\" \"$1\"\n");
        d.resolve("tar").toFile().setExecutable(true);
        Bed.write(d.resolve("Dockerfile"), dockerfile);
        return d;
    }

    @Test
    void mkimageOutputAppliesTheSameChecks() throws IOException {
        byte[] good = new Raw().file("bin/x", "x").end();
        Path wd = overlay(good, "FROM scratch\nADD ovl.tar /\nWORKDIR /../..\n");
        Path out = Bed.tempDir("mk").resolve("out.tar");
        Bed.Result r = images(Bed.tempDir("tmp"), Map.of(), "mkimage", "--tag=x/y:1", "--output=docker-archive:" + out, wd.toString());
        assertThat(r.code()).as(r.toString()).isEqualTo(1);
        assertThat(r.stderr()).isEqualTo("ERROR: WORKDIR with .. [/../..] [" + wd.resolve("Dockerfile") + ":3]\n");
        assertThat(out.getParent().toFile().list()).isEmpty();
        Path dotdot = overlay(new Raw().file("../../x", "x").end(), "FROM scratch\nADD ovl.tar /\n");
        Bed.Result m = images(Bed.tempDir("tmp"), Map.of(), "mkimage", "--tag=x/y:1", "--output=oci-archive:" + out, dotdot.toString());
        assertThat(m.code()).as(m.toString()).isEqualTo(1);
        assertThat(m.stderr()).isEqualTo("ERROR: Unsafe member [../../x] in the ovl.tar of the tar script: path with ..\n");
        Path self = overlay(new Raw().entry("self", '1', 0, "self", 0, 0).end(), "FROM scratch\nADD ovl.tar /\n");
        Bed.Result s = images(Bed.tempDir("tmp"), Map.of(), "mkimage", "--tag=x/y:1", "--output=oci-archive:" + out, self.toString());
        assertThat(s.code()).as(s.toString()).isEqualTo(1);
        assertThat(s.stderr()).startsWith("ERROR: Can't read layer [ovl.tar of x/y:1]: hard link to itself [self]");
        assertThat(out.getParent().toFile().list()).isEmpty();
    }
}
