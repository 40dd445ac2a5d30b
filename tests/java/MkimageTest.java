import static org.assertj.core.api.Assertions.*;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.*;
import java.util.*;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** mkimage, legacy-import and the local registry helpers, on a real dockerd and docker-registry. */
class MkimageTest {
    static final Path HELLO = Bed.REPO.resolve("examples/hello/image");
    static final Path LEGACY = Bed.REPO.resolve("examples/legacy/image");

    @BeforeAll
    static void services() {
        Bed.docker();
        Bed.registry();
    }

    /** Runs images with a private TMPDIR, and checks the run left no temporary files there. */
    static Bed.Result images(String... args) {
        Path tmp = Bed.tempDir("tmpdir");
        Bed.Result r = Bed.images(Map.of("TMPDIR", tmp.toString()), args);
        try (var s = Files.list(tmp)) {
            assertThat(s.toList()).as("temporary files left by " + String.join(" ", args)).isEmpty();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return r;
    }

    static Map<String, TarArchiveEntry> exported(String image) {
        Bed.Result r = Bed.images("docker_export", image);
        assertThat(r.code()).as(r.toString()).isZero();
        Map<String, TarArchiveEntry> m = new TreeMap<>();
        try (TarArchiveInputStream t = new TarArchiveInputStream(new ByteArrayInputStream(r.stdout()))) {
            for (TarArchiveEntry e; (e = t.getNextEntry()) != null; ) m.put(e.getName(), e);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return m;
    }

    static String runContainer(String image) {
        return Bed.docker("run", "--rm", "--network", "none", image);
    }

    /** A copy of an example image folder, to change: at examples/NAME/image in a fresh folder, with the rootfs.sh its tar script calls as $dir/../../rootfs.sh. */
    static Path copy(Path from) {
        Path examples = Bed.tempDir("examples");
        Path to = Bed.mkdirs(examples.resolve(from.getParent().getFileName()).resolve("image"));
        Bed.run(Map.of(), null, "cp", "-a", from + "/.", to.toString());
        Bed.run(Map.of(), null, "ln", "-s", Bed.REPO.resolve("examples/rootfs.sh").toString(), examples.resolve("rootfs.sh").toString());
        return to;
    }

    @Test
    void dockerfileImageHasTheTarFilesOwnedByRootAndItsCmd() {
        Bed.Result r = images("mkimage", "--tag=example/hello:1", HELLO.toString());
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).isEqualTo("example/hello:1\n");
        Map<String, TarArchiveEntry> files = exported("example/hello:1");
        assertThat(files).containsKeys("bin/hello", "bin/busybox", "etc/passwd");
        for (String f : List.of("bin/hello", "bin/busybox", "etc/passwd", "bin/")) {
            assertThat(files.get(f).getLongUserId()).as(f).isZero();
            assertThat(files.get(f).getLongGroupId()).as(f).isZero();
        }
        assertThat(files.get("bin/hello").getMode() & 07777).isEqualTo(0755);
        assertThat(files.get("tmp/").getMode() & 07777).isEqualTo(01777);
        assertThat(Bed.docker("image", "inspect", "-f", "{{json .Config.Cmd}}", "example/hello:1")).isEqualTo("[\"/bin/hello\"]");
        assertThat(runContainer("example/hello:1")).isEqualTo("Hello from xcluster");
    }

    @Test
    void exampleTarScriptsWriteRootOwnedFilesWhoeverRunsThem() throws IOException {
        Bed.requireTools("runuser");
        Path examples = Bed.publicCopy(Bed.REPO.resolve("examples"));
        for (Path dir : List.of(examples.resolve("hello/image"), examples.resolve("legacy/image"))) {
            Bed.Result r = Bed.run(Map.of(), null, Path.of("/").toFile(), "runuser", "-u", "nobody", "--", dir.resolve("tar").toString(), "-");
            assertThat(r.code()).as(r.toString()).isZero();
            try (TarArchiveInputStream t = new TarArchiveInputStream(new ByteArrayInputStream(r.stdout()))) {
                int n = 0;
                for (TarArchiveEntry e; (e = t.getNextEntry()) != null; n++) {
                    assertThat(e.getLongUserId()).as(dir + ": " + e.getName()).isZero();
                    assertThat(e.getLongGroupId()).as(dir + ": " + e.getName()).isZero();
                }
                assertThat(n).isGreaterThan(5);
            }
        }
    }

    @Test
    void legacyImportTakesNameVersionAndCmdFromTheManifest() {
        Bed.docker("image", "rm", "-f", "example/legacy:0.1");
        Bed.Result r = images("mkimage", LEGACY.toString());
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).isEqualTo("example/legacy:0.1\n");
        assertThat(Bed.docker("image", "inspect", "-f", "{{json .Config.Cmd}}", "example/legacy:0.1"))
                .isEqualTo("[\"/bin/legacy\",\"xcluster\"]");
        assertThat(runContainer("example/legacy:0.1")).isEqualTo("Hello from the old way, xcluster");
        String id = Bed.docker("image", "inspect", "-f", "{{.Id}}", "example/legacy:0.1");

        Bed.Result again = images("legacy-import", "--verbose", LEGACY.toString());
        assertThat(again.code()).as(again.toString()).isZero();
        assertThat(again.out()).isEqualTo("example/legacy:0.1\n");
        assertThat(again.stderr()).contains("Cached [example/legacy:0.1]").doesNotContain("docker import");
        assertThat(Bed.docker("image", "inspect", "-f", "{{.Id}}", "example/legacy:0.1")).isEqualTo(id);

        Bed.Result forced = images("mkimage", "--force", "--verbose", LEGACY.toString());
        assertThat(forced.code()).as(forced.toString()).isZero();
        assertThat(forced.stderr()).contains("docker import").doesNotContain("Cached");
        assertThat(Bed.docker("image", "inspect", "-f", "{{.Id}}", "example/legacy:0.1")).isNotEqualTo(id);
    }

    @Test
    void uploadThenListInspectAndRemove() {
        String reg = Bed.registry();
        Bed.Result r = images("mkimage", "--upload", "--tag=example/up:2", HELLO.toString());
        assertThat(r.code()).as(r.toString()).isZero();
        Bed.Result ls = images("lreg_ls");
        assertThat(ls.code()).as(ls.toString()).isZero();
        assertThat(ls.out()).contains("example/up:\n  [\"2\"]\n");
        Bed.Result inspect = images("lreg_inspect", "example/up:2");
        assertThat(inspect.code()).as(inspect.toString()).isZero();
        assertThat(inspect.out()).containsPattern("\"Digest\": \"sha256:[0-9a-f]{64}\"").contains(reg + "/example/up");

        Bed.Result strip = images("mkimage", "--upload", "--strip-host", "--tag=" + reg + "/xc/stripped:3", HELLO.toString());
        assertThat(strip.code()).as(strip.toString()).isZero();
        assertThat(strip.out()).isEqualTo(reg + "/xc/stripped:3\n");
        assertThat(images("lreg_ls").out()).contains("xc/stripped:\n  [\"3\"]\n").doesNotContain("127.0.0.1");
        // an image docker has under a registry host's name goes in without the host
        Bed.docker("tag", "example/up:2", "example.com/xc/other:4");
        Bed.Result upload = images("lreg_upload", "--strip-host", "example.com/xc/other:4");
        assertThat(upload.code()).as(upload.toString()).isZero();
        assertThat(images("lreg_ls").out()).contains("xc/other:\n  [\"4\"]\n").doesNotContain("example.com");
        Bed.Result missing = images("lreg_upload", "example/not-in-docker:1");
        assertThat(missing.code()).isEqualTo(1);
        assertThat(missing.stderr()).as(missing.toString()).contains("ERROR: Upload failed [example/not-in-docker:1]");

        Bed.Result rm = images("lreg_rm", "example/up:2");
        assertThat(rm.code()).as(rm.toString()).isZero();
        assertThat(images("lreg_inspect", "example/up:2").code()).isEqualTo(1);
    }

    @Test
    void namesWithRegistryHostAndPortWork() {
        String reg = Bed.registry();
        Path dir = copy(LEGACY);
        Bed.write(dir.resolve("manifest.json"), Bed.read(dir.resolve("manifest.json")).replace("\"example/legacy\"", "\"127.0.0.1:5000/x/y\"")
                .replace("\"0.1\"", "\"1.0\""));
        Bed.Result r = images("mkimage", "--upload", dir.toString());
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).isEqualTo("127.0.0.1:5000/x/y:1.0\n");
        assertThat(Bed.images("in_docker", "127.0.0.1:5000/x/y:1.0").code()).isZero();
        assertThat(images("lreg_ls").out()).contains("x/y:\n  [\"1.0\"]\n");
        assertThat(images("docker_ls", "127.0.0.1:5000/x/y:1.0").out()).contains("bin/legacy\n");
        // a host:port is no valid path element: the upload drops it (the bed's registry listens elsewhere)
        assertThat(images("lreg_ls").out()).doesNotContain("127.0.0.1:5000");
        Bed.Result inspect = images("lreg_inspect", "x/y:1.0");
        assertThat(inspect.code()).as(inspect.toString()).isZero();
        assertThat(inspect.out()).contains(reg + "/x/y");
    }

    // --- bad input: the original's messages, exit 1, nothing left in docker or on disk

    static void fails(String expected, String... args) {
        List<String> before = Bed.dockerImages();
        Bed.Result r = images(args);
        assertThat(r.code()).as(r.toString()).isEqualTo(1);
        assertThat(r.stderr()).as(r.toString()).contains("ERROR: " + expected);
        assertThat(r.stdout()).isEmpty();
        assertThat(Bed.dockerImages()).as("docker images after " + String.join(" ", args)).isEqualTo(before);
    }

    @Test
    void noFolder() {
        fails("Not a directory [/no/such/dir]", "mkimage", "--tag=x/y:1", "/no/such/dir");
    }

    @Test
    void tarNotExecutable() throws IOException {
        Path dir = copy(HELLO);
        Files.setPosixFilePermissions(dir.resolve("tar"), java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        fails("Not executable [" + dir.resolve("tar") + "]", "mkimage", "--tag=x/y:1", dir.toString());
    }

    @Test
    void dockerfileWithoutTag() {
        fails("No --tag specified", "mkimage", HELLO.toString());
    }

    @Test
    void manifestUnreadableMalformedOrMissingAField() {
        Path dir = copy(LEGACY);
        fails("Not readable [" + dir.resolve("nope.json") + "]", "mkimage", "--manifest=" + dir.resolve("nope.json"), dir.toString());
        Bed.write(dir.resolve("manifest.json"), "{\"name\": \"x/y\", \"labels\": [");
        fails("Malformed manifest [" + dir.resolve("manifest.json") + "]", "mkimage", dir.toString());
        Bed.write(dir.resolve("manifest.json"), "{\"labels\": [{\"name\":\"version\",\"value\":\"1\"}], \"app\": {\"exec\": [\"/bin/sh\"]}}");
        fails("No .name in manifest", "mkimage", dir.toString());
        Bed.write(dir.resolve("manifest.json"), "{\"name\": \"x/y\", \"labels\": [], \"app\": {\"exec\": [\"/bin/sh\"]}}");
        fails("No version label in .labels of manifest", "mkimage", dir.toString());
        Bed.write(dir.resolve("manifest.json"), "{\"name\": \"x/y\", \"labels\": [{\"name\":\"version\",\"value\":\"1\"}], \"app\": {}}");
        fails("No .app.exec array in manifest", "legacy-import", dir.toString());
    }

    @Test
    void tarScriptThatFailsOrWritesNothing() {
        for (Path base : List.of(HELLO, LEGACY)) {
            Path dir = copy(base);
            if (base == LEGACY) // a name docker does not have: else it is Cached and the script never runs
                Bed.write(dir.resolve("manifest.json"), Bed.read(dir.resolve("manifest.json")).replace("\"example/legacy\"", "\"example/legacy-nothing\"")
                        .replace("\"0.1\"", "\"1\""));
            Path tar = dir.resolve("tar");
            Bed.write(tar, "#!/bin/sh\necho 'cannot find the files' >&2\nexit 3\n");
            Bed.Result r = images("mkimage", "--tag=x/fail:1", dir.toString());
            assertThat(r.code()).isEqualTo(1);
            assertThat(r.stderr()).as(r.toString()).contains("cannot find the files\n");
            fails("Failed to create ovl.tar [" + tar + "]", "mkimage", "--tag=x/fail:1", dir.toString());
            Bed.write(tar, "#!/bin/sh\nexit 0\n");
            fails(base == HELLO ? "Failed to create ovl.tar [" + tar + " wrote nothing]" : "No output from [" + tar + "]",
                    "mkimage", "--tag=x/fail:1", dir.toString());
        }
        assertThat(Bed.images("in_docker", "example/legacy-nothing:1").code()).isEqualTo(1);
    }

    @Test
    void lregCacheNeedsAHostThatResolves() {
        Bed.Result r = images("lreg_cache", "no-such-host.invalid/library/alpine:3.8");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.stderr()).isEqualTo("ERROR: Unknown host [no-such-host.invalid]\n");
    }

    @Test
    void registryThatDoesNotAnswer() {
        Bed.Result r = Bed.images(Map.of("LOCAL_REGISTRY", "127.0.0.1:" + Bed.freePort()), "lreg_ls");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.stderr()).startsWith("ERROR: Registry not answering [127.0.0.1:");
        Bed.Result up = Bed.images(Map.of("LOCAL_REGISTRY", "127.0.0.1:" + Bed.freePort()), "mkimage", "--upload", "--tag=example/hello:1", HELLO.toString());
        assertThat(up.code()).isEqualTo(1);
        assertThat(up.stderr()).contains("ERROR: Upload failed [example/hello:1]");
    }
}
