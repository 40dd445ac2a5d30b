import static org.assertj.core.api.Assertions.*;

import java.nio.file.*;
import java.util.*;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * make --via=native with no docker daemon and no root: the example overlays built by the
 * toolkit itself and docker:// images from the local registry, as an unprivileged user; then
 * the tar is used the way a VM uses it and podman runs every image.
 */
class RootlessMakeTest {
    static Path examples, xtmp;
    static String reg;

    @BeforeAll
    static void setUp() {
        Rootless.require();
        Bed.requireTools("skopeo", "podman");
        Bed.docker();
        reg = Bed.registry();
        TestImages.multi("test/multi:1");
        TestImages.plain("test/plain:1", "plain-says-hi");
        for (String img : List.of("test/multi:1", "test/plain:1")) {
            Bed.Result r = Bed.images("lreg_upload", img);
            assertThat(r.code()).as(r.toString()).isZero();
        }
        examples = Bed.publicCopy(Bed.REPO.resolve("examples"));
        xtmp = Rootless.dir("xtmp");
        // the default output folder must be the user's own and closed to others (make refuses a loose one)
        Bed.run(Map.of(), null, "chown", Rootless.USER, xtmp.toString());
        Bed.run(Map.of(), null, "chmod", "0700", xtmp.toString());
    }

    /** images ARGS as the unprivileged user, who has no docker daemon. */
    static Bed.Result asUser(String... args) {
        return Rootless.java(Map.of("HOME", "/home/" + Rootless.USER, "XCLUSTER_TMP", xtmp.toString(),
                "DOCKER_HOST", "unix:///nonexistent/docker.sock", "XCLUSTER_OVLPATH", examples.toString()), "images", args);
    }

    @Test
    void overlaysAndRegistryImagesWithoutDockerOrRoot() {
        String multi = "docker://" + reg + "/test/multi:1", plain = "docker://" + reg + "/test/plain:1";
        Bed.Result r = asUser("make", "--via=native", "--tls-verify=false", "--pause=" + plain,
                examples.resolve("hello") + "=example/hello:1", "legacy", multi);
        assertThat(r.code()).as(r.toString()).isZero();
        Path tar = xtmp.resolve("images.tar");
        assertThat(tar).isRegularFile();
        assertThat(Bed.run(Map.of(), null, "stat", "-c", "%U", tar.toString()).out().trim()).isEqualTo(Rootless.USER);

        Path tree = MakeTest.unpack(tar);
        Bed.Result imgs = MakeTest.podman(tree, "images", "--format", "{{.Repository}}:{{.Tag}}");
        assertThat(imgs.out().split("\n")).containsExactlyInAnyOrder(reg + "/test/plain:1", reg + "/test/multi:1",
                "docker.io/example/hello:1", "docker.io/example/legacy:0.1");
        assertThat(MakeTest.podmanRun(tree, reg + "/test/plain:1")).isEqualTo("plain-says-hi\n");
        assertThat(MakeTest.podmanRun(tree, "example/hello:1")).isEqualTo("Hello from xcluster\n");
        assertThat(MakeTest.podmanRun(tree, "example/legacy:0.1")).isEqualTo("Hello from the old way, xcluster\n");
        String out = MakeTest.podmanRun(tree, reg + "/test/multi:1");
        assertThat(out).contains("./replace/new.txt", "gone-is-gone").doesNotContain("old1", "gone.txt");

        assertThat(r.stderr()).as("quiet when stderr is no terminal").doesNotContain("Adding [", "Layer 1/");
        assertThat(r.stderr()).as("one line on success").contains("Wrote " + tar + ": 4 images, ");

        // looked into as the same user, nothing unpacked
        Bed.Result ls = asUser("ls", tar.toString());
        assertThat(ls.code()).as(ls.toString()).isZero();
        assertThat(ls.out().lines()).hasSize(4).anyMatch(l -> l.matches("docker\\.io/example/hello:1 [0-9a-f]{12} .* 1 layers \\(0 shared\\)"));
        Bed.Result v = asUser("verify", tar.toString());
        assertThat(v.code()).as(v.toString()).isZero();
        assertThat(v.out()).startsWith("OK " + tar + ": 4 images, ");
        Bed.Result cfg = asUser("inspect", "--config", tar.toString(), "example/hello:1");
        assertThat(cfg.code()).as(cfg.toString()).isZero();
        String id = MakeTest.podman(tree, "image", "inspect", "--format", "{{.Id}}", "example/hello:1").out().trim();
        assertThat(TestImages.sha256(cfg.out().trim().getBytes(java.nio.charset.StandardCharsets.UTF_8))).isEqualTo(id);
        Bed.Result mv = asUser("make", "--verify", "--no-pause", "--tar=" + xtmp.resolve("verified.tar"), "legacy");
        assertThat(mv.code()).as(mv.toString()).isZero();
        assertThat(mv.stderr()).contains("OK " + xtmp.resolve("verified.tar") + ": 1 images, 1 layers, ");

        // registry images are cached under XCLUSTER_TMP: a second run does not fetch them again
        Bed.Result again = asUser("make", "--via=native", "--verbose", "--tls-verify=false", "--no-pause", "--tar=" + xtmp.resolve("again.tar"), multi);
        assertThat(again.code()).as(again.toString()).isZero();
        assertThat(again.stderr()).contains("Adding [" + multi + "]", "Layer 1/2 ", "Layer 2/2 ").doesNotContain("skopeo copy");
        assertThat(again.stderr()).contains("Cached [" + reg + "/test/multi:1]");
    }

    /** An overlay image folder the user can read: a `tar` script and a Dockerfile. */
    static Path overlay(String name, String script, String dockerfile) {
        Path ovl = Rootless.dir(name).resolve("image");
        Bed.mkdirs(ovl);
        Bed.write(ovl.resolve("tar"), "#!/bin/sh\n" + script + "\n");
        Bed.write(ovl.resolve("Dockerfile"), dockerfile);
        Bed.run(Map.of(), null, "chmod", "-R", "a+rX", ovl.getParent().toString());
        Bed.run(Map.of(), null, "chmod", "755", ovl.resolve("tar").toString());
        return ovl;
    }

    @Test
    void failingOverlayTarScriptWritesNothing() throws Exception {
        Path ovl = overlay("broken", "echo 'the rootfs is missing' >&2\nexit 1", "FROM scratch\nADD ovl.tar /\n");
        Path out = xtmp.resolve("broken.tar");
        Bed.Result r = asUser("make", "--via=native", "--no-pause", "--tar=" + out, ovl + "=x/broken:1");
        assertThat(r.code()).as(r.toString()).isEqualTo(1);
        assertThat(r.stderr()).contains("the rootfs is missing", "ERROR: Failed to create ovl.tar");
        try (var s = Files.list(xtmp)) {
            assertThat(s.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith("broken") || n.contains(".partial"));
        }
    }

    @Test
    void aDockerfileWithRunNeedsDocker() {
        Path ovl = overlay("run", "exit 0", "FROM scratch\nADD ovl.tar /\nRUN make\n");
        Bed.Result r = asUser("make", "--via=native", "--no-pause", "--tar=" + xtmp.resolve("run.tar"), ovl + "=x/run:1");
        assertThat(r.code()).as(r.toString()).isEqualTo(1);
        assertThat(r.stderr()).contains("ERROR: RUN needs docker [" + ovl.resolve("Dockerfile") + ":3]");
    }
}
