import static org.assertj.core.api.Assertions.*;

import java.io.*;
import java.nio.file.*;
import java.util.*;
import java.util.concurrent.TimeUnit;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * make --via=skopeo, the classic way (docker, skopeo as root, tar), checked the way a VM uses the tar:
 * unpacked as root keeping xattrs, then read by podman with the containers/storage library.
 */
class MakeTest {
    static final Path EXAMPLES = Bed.REPO.resolve("examples");
    static Path tar;
    static Path tree;

    @BeforeAll
    static void makeTheTar() {
        Bed.docker();
        Bed.requireTools("skopeo", "podman", "tar");
        TestImages.multi("test/multi:1");
        TestImages.plain("test/plain:1", "plain-says-hi");
        TestImages.load("registry.k8s.io/pause:3.9", List.of("/bin/sh", "-c", "echo pause"), List.of(new TestImages.Layer().busybox().bytes()));
        tar = Bed.tempDir("make").resolve("images.tar");
        Bed.Result r = make(Map.of("XCLUSTER_OVLPATH", EXAMPLES.toString()), "--tar=" + tar,
                "test/multi:1", "test/plain:1", "hello=example/hello:1", "legacy");
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.stdout()).isEmpty();
        assertThat(r.stderr()).contains("Adding [registry.k8s.io/pause:3.9]", "Adding [test/multi:1]", "Adding [example/hello:1]",
                "Adding [example/legacy:0.1]");
        tree = unpack(tar);
    }

    static Bed.Result make(Map<String, String> env, String... args) {
        String[] a = new String[args.length + 2];
        a[0] = "make";
        a[1] = "--via=skopeo";
        System.arraycopy(args, 0, a, 2, args.length);
        return Bed.images(env, a);
    }

    /** As the VM does: unpack as root, keeping xattrs. */
    static Path unpack(Path tar) {
        Path t = Bed.shortDir();
        Bed.Result r = Bed.run(Map.of(), null, "tar", "--xattrs", "--xattrs-include=*", "-xpf", tar.toString(), "-C", t.toString());
        assertThat(r.code()).as(r.toString()).isZero();
        return t;
    }

    static Bed.Result podman(Path tree, String... args) {
        Path conf = Bed.WORK.resolve("containers.conf");
        Bed.write(conf, "[containers]\ndefault_ulimits = []\n");
        List<String> argv = new ArrayList<>(List.of("podman", "--root", tree.resolve("var/lib/containers/storage").toString(),
                "--runroot", tree.resolve("var/run/containers/storage").toString(), "--storage-driver", "overlay"));
        argv.addAll(Arrays.asList(args));
        return Bed.run(Map.of("CONTAINERS_CONF", conf.toString()), null, argv.toArray(String[]::new));
    }

    static String podmanRun(Path tree, String... args) {
        List<String> a = new ArrayList<>(List.of("run", "--rm", "--network", "none"));
        a.addAll(Arrays.asList(args));
        Bed.Result r = podman(tree, a.toArray(String[]::new));
        assertThat(r.code()).as(r.toString()).isZero();
        return r.out();
    }

    @Test
    void lsAndVerifyReadTheClassicTarAsAnyUser() {
        Rootless.require();
        Path copy = Rootless.dir("classic").resolve("images.tar");
        Bed.run(Map.of(), null, "cp", tar.toString(), copy.toString());
        Rootless.open(copy);
        Bed.Result ls = Rootless.java(Map.of(), "images", "ls", copy.toString());
        assertThat(ls.code()).as(ls.toString()).isZero();
        assertThat(ls.out().lines()).hasSize(5).anyMatch(l -> l.matches("docker\\.io/test/multi:1 [0-9a-f]{12} .* 2 layers \\(1 shared\\)"));
        Bed.Result v = Rootless.java(Map.of(), "images", "verify", copy.toString());
        assertThat(v.code()).as(v.toString()).isZero();
        assertThat(v.out()).startsWith("OK " + copy + ": 5 images, ");
        Bed.Result in = Rootless.java(Map.of(), "images", "inspect", copy.toString(), "test/plain:1");
        assertThat(in.code()).as(in.toString()).isZero();
        assertThat(in.out()).contains("\"Id\" : \"" + Bed.docker("image", "inspect", "-f", "{{.Id}}", "test/plain:1").trim().replace("sha256:", ""));
    }

    @Test
    void podmanListsEveryImageUnderItsName() {
        Bed.Result r = podman(tree, "images", "--format", "{{.Repository}}:{{.Tag}}");
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out().split("\n")).containsExactlyInAnyOrder("registry.k8s.io/pause:3.9", "docker.io/test/multi:1",
                "docker.io/test/plain:1", "docker.io/example/hello:1", "docker.io/example/legacy:0.1");
        for (String img : List.of("test/multi:1", "example/hello:1")) {
            String id = Bed.docker("image", "inspect", "-f", "{{.Id}}", img).replace("sha256:", "");
            Bed.Result p = podman(tree, "image", "inspect", "--format", "{{.Id}}", img);
            assertThat(p.out().trim()).as(img).isEqualTo(id);
        }
    }

    @Test
    void everyImageRunsWithTheRightOutput() {
        assertThat(podmanRun(tree, "registry.k8s.io/pause:3.9")).isEqualTo("pause\n");
        assertThat(podmanRun(tree, "test/plain:1")).isEqualTo("plain-says-hi\n");
        assertThat(podmanRun(tree, "example/hello:1")).isEqualTo("Hello from xcluster\n");
        assertThat(podmanRun(tree, "example/legacy:0.1")).isEqualTo("Hello from the old way, xcluster\n");
    }

    @Test
    void deletedFilesAreGoneAndTheReplacedFolderShowsOnlyItsNewContent() {
        String out = podmanRun(tree, "test/multi:1");
        List<String> lines = List.of(out.split("\n"));
        assertThat(lines).contains("./keep/k.txt", "./replace", "./replace/new.txt", "./added.txt", "./hard", "./link",
                "./empty", "./" + TestImages.LONG.substring(5), "new", "gone-is-gone");
        assertThat(out).doesNotContain("gone.txt", "old1", "old2", "./replace/sub", ".wh.");
        String stat = podmanRun(tree, "test/multi:1", "stat", "-c", "%u:%g %a %h %F %n", "/data/owned", "/data/suid",
                "/data/hard", "/data/replace", "/data/empty");
        assertThat(stat).isEqualTo("1000:1001 640 1 regular file /data/owned\n0:0 4755 1 regular file /data/suid\n"
                + "0:0 644 2 regular file /data/hard\n0:0 750 1 directory /data/replace\n0:0 700 2 directory /data/empty\n");
        // replace/ is opaque in its layer: the tar carries it as whiteouts, so overlayfs merges it (link count 1, not 2)
        assertThat(podmanRun(tree, "test/multi:1", "cat", "/data/link", "/data/hard")).isEqualTo("keep\nkeep\n");
    }

    /** The opaque folder data/replace reaches the VM as whiteouts of what the base layer has in it (busybox sets no xattrs). */
    @Test
    void theTarKeepsWhiteoutsAndOpaqueFoldersAsWhiteouts() throws IOException {
        int whiteouts = 0, files = 0, opaque = 0, hidden = 0;
        try (TarArchiveInputStream t = new TarArchiveInputStream(new BufferedInputStream(Files.newInputStream(tar)))) {
            for (TarArchiveEntry e; (e = t.getNextEntry()) != null; ) {
                if (e.getName().endsWith("/diff/data/gone.txt") && e.getLinkFlag() == org.apache.commons.compress.archivers.tar.TarConstants.LF_NORMAL) files++; // in the base layer
                if (e.getName().endsWith("/diff/data/gone.txt") && e.isCharacterDevice()) { // the upper layer's whiteout
                    assertThat(e.getDevMajor()).isZero();
                    assertThat(e.getDevMinor()).isZero();
                    whiteouts++;
                }
                if (e.getName().endsWith("/diff/data/replace/") && "y".equals(e.getExtraPaxHeader("SCHILY.xattr.trusted.overlay.opaque")))
                    opaque++;
                if ((e.getName().endsWith("/diff/data/replace/old1.txt") || e.getName().endsWith("/diff/data/replace/sub")) && e.isCharacterDevice())
                    hidden++;
            }
        }
        assertThat(files).isEqualTo(1);
        assertThat(whiteouts).isEqualTo(1);
        assertThat(opaque).as("the whiteouts do the opaque mark's work").isZero();
        assertThat(hidden).isEqualTo(2);
    }

    @Test
    void layersSharedByTwoImagesAreStoredOnce() throws IOException {
        Path layers = tree.resolve("var/lib/containers/storage/overlay-layers/layers.json");
        var json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(layers.toFile());
        List<String> diffs = new ArrayList<>();
        json.forEach(l -> diffs.add(l.get("diff-digest").asText()));
        assertThat(diffs).doesNotHaveDuplicates();
        String base = "sha256:" + TestImages.sha256(TestImages.base());
        assertThat(diffs).contains(base);
        try (var s = Files.list(tree.resolve("var/lib/containers/storage/overlay"))) {
            assertThat(s.filter(p -> p.getFileName().toString().length() == 64).count()).isEqualTo(diffs.size());
        }
    }

    @Test
    void outputToStdout() {
        Bed.Result r = make(Map.of(), "--no-pause", "--tar=-", "test/plain:1");
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(podmanRun(unpack(write(r.stdout())), "test/plain:1")).isEqualTo("plain-says-hi\n");
    }

    @Test
    void defaultOutputIsXclusterTmp() {
        Path xtmp = Bed.tempDir("xcluster-tmp");
        Bed.Result r = make(Map.of("XCLUSTER_TMP", xtmp.toString()), "--pause=test/plain:1", "test/multi:1");
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(xtmp.resolve("images.tar")).isRegularFile();
        Bed.Result imgs = podman(unpack(xtmp.resolve("images.tar")), "images", "--format", "{{.Repository}}:{{.Tag}}");
        assertThat(imgs.out().split("\n")).containsExactlyInAnyOrder("docker.io/test/plain:1", "docker.io/test/multi:1");
    }

    static Path write(byte[] b) {
        try {
            Path p = Bed.tempDir("stdout").resolve("images.tar");
            Files.write(p, b);
            return p;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // --- bad input: the original's messages, exit 1, no output file, no temporary folders or mounts

    static void fails(String expected, String... args) {
        Path out = Bed.tempDir("fail").resolve("images.tar");
        Path tmp = Bed.tempDir("tmpdir");
        List<String> a = new ArrayList<>(List.of("--tar=" + out));
        a.addAll(Arrays.asList(args));
        Bed.Result r = make(Map.of("TMPDIR", tmp.toString(), "XCLUSTER_OVLPATH", EXAMPLES.toString()), a.toArray(String[]::new));
        assertThat(r.code()).as(r.toString()).isEqualTo(1);
        assertThat(r.stderr()).as(r.toString()).contains("ERROR: " + expected);
        assertNothingLeft(out, tmp);
    }

    static void assertNothingLeft(Path out, Path tmp) {
        try (var s = Files.list(out.getParent()); var t = Files.list(tmp)) {
            assertThat(s.toList()).as("output folder").isEmpty();
            assertThat(t.toList()).as("TMPDIR").isEmpty();
            assertThat(Files.readString(Path.of("/proc/self/mountinfo"))).doesNotContain(tmp.toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void referenceWithoutVersion() {
        fails("Image must have a version [127.0.0.1:5000/x/y]", "--no-pause", "127.0.0.1:5000/x/y");
    }

    @Test
    void unknownOverlay() {
        fails("Can't find ovl [no-such-ovl]", "--no-pause", "test/plain:1", "no-such-ovl");
    }

    @Test
    void overlayWithADockerfileNeedsATag() {
        fails("No tag for [hello]: give it as hello=NAME:TAG", "--no-pause", "hello");
    }

    @Test
    void transportItemsNeedTheNativeWay() {
        fails("Only --via=native reads [docker://127.0.0.1:1/x:1]", "--no-pause", "docker://127.0.0.1:1/x:1");
    }

    @Test
    void pullThatFails() {
        fails("Pull failed [127.0.0.1:1/nope:1]", "--no-pause", "test/plain:1", "127.0.0.1:1/nope:1");
    }

    @Test
    void skopeoFailing() {
        Path out = Bed.tempDir("fail").resolve("images.tar");
        Path tmp = Bed.tempDir("tmpdir");
        Bed.Result r = Bed.images(Map.of("TMPDIR", tmp.toString()), "mktar", "--tar=" + out, "test/plain:1", "test/not-in-docker:1");
        assertThat(r.code()).as(r.toString()).isEqualTo(1);
        assertThat(r.stderr()).contains("Adding [test/plain:1]", "ERROR: skopeo failed [test/not-in-docker:1]", "test/not-in-docker");
        assertNothingLeft(out, tmp);
    }

    @Test
    void ctrlCLeavesNothingBehindTheClassicWay() throws Exception {
        interrupt("skopeo", "Adding [test/big:1]");
    }

    @Test
    void ctrlCLeavesNothingBehindTheNativeWay() throws Exception {
        interrupt("native", "Layer 1/");
    }

    /** test/big:1, a 400 MB layer of random bytes on test/plain:1. */
    static String big() {
        String big = "test/big:1";
        if (Bed.images("in_docker", big).code() != 0) {
            Path ctx = Bed.tempDir("big");
            Bed.write(ctx.resolve("Dockerfile"), "FROM test/plain:1\nRUN head -c 400000000 /dev/urandom > /big\n");
            Bed.docker("build", "-q", "-t", big, ctx.toString());
        }
        return big;
    }

    @Test
    void nativeMemoryStaysFlat() {
        String big = big();
        Path out = Bed.tempDir("mem").resolve("images.tar");
        List<String> argv = Bed.java("images");
        argv.add(1, "-Xmx32m"); // far below the 400 MB layer: layers must stream
        argv.addAll(List.of("make", "--via=native", "--no-pause", "--tar=" + out, big));
        Bed.Result r = Bed.run(Map.of("DOCKER_HOST", Bed.docker()), null, argv.toArray(String[]::new));
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(out.toFile().length()).isGreaterThan(400_000_000L);
    }

    /** Starts make on a big image, sends SIGINT once stderr shows `when`, then checks what is left. */
    static void interrupt(String via, String when) throws Exception {
        Bed.requireTools("kill");
        String big = big();
        Path out = Bed.tempDir("int").resolve("images.tar");
        Path tmp = Bed.tempDir("tmpdir");
        List<String> argv = Bed.java("images");
        argv.addAll(List.of("make", "--via=" + via, "--verbose", "--no-pause", "--tar=" + out, "test/plain:1", big, "test/multi:1"));
        if (via.equals("native")) argv.add(argv.indexOf("make") + 1, "--no-cache"); // from a warm layer cache the make would end before the signal
        ProcessBuilder pb = new ProcessBuilder(argv).redirectOutput(ProcessBuilder.Redirect.DISCARD);
        pb.environment().putAll(Map.of("DOCKER_HOST", Bed.docker(), "TMPDIR", tmp.toString()));
        Process p = pb.start();
        BufferedReader err = new BufferedReader(new InputStreamReader(p.getErrorStream()));
        StringBuilder seen = new StringBuilder();
        for (String line; (line = err.readLine()) != null; ) {
            seen.append(line).append('\n');
            if (line.startsWith(when)) break;
        }
        Bed.sleep(300); // the big layer is on its way now
        new ProcessBuilder("kill", "-INT", Long.toString(p.pid())).start().waitFor();
        err.transferTo(Writer.nullWriter());
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(seen.toString()).isNotZero();
        assertThat(seen.toString()).contains(when);
        assertNothingLeft(out, tmp);
    }
}
