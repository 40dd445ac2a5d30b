import static org.assertj.core.api.Assertions.*;

import java.nio.file.*;
import java.util.*;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The pause image without docker (issue 23 item 3): make takes a plain-reference pause image
 * from the local registry ($LOCAL_REGISTRY, where lreg_cache puts it: host part stripped) with
 * the registry client, and stores it under the pause image's own name. The registry is a private
 * docker-registry seeded by skopeo from a docker archive; the docker daemon is a dead socket.
 */
class PauseImageTest {
    static final Path EXAMPLES = Bed.REPO.resolve("examples");
    static final String PAUSE = "registry.k8s.io/pause:3.9";
    static final Map<String, String> NO_DOCKER = Map.of("XCLUSTER_OVLPATH", EXAMPLES.toString(), "DOCKER_HOST", "unix:///no/such/docker.sock");
    static String local, empty, id;

    @BeforeAll
    static void seed() throws Exception {
        Bed.requireTools("skopeo", "docker-registry");
        local = Bed.registryAt("127.0.0.1:" + Bed.freePort(), Bed.tempDir("pause-registry"), "");
        empty = Bed.registryAt("127.0.0.1:" + Bed.freePort(), Bed.tempDir("empty-registry"), "");
        Path archive = Bed.tempDir("pause-archive").resolve("pause.tar");
        Files.write(archive, TestImages.archive("test/pause:1", List.of("/bin/echo", "paused"), List.of(TestImages.base())));
        RegistryPullTest.skopeo("copy", "--dest-tls-verify=false", "docker-archive:" + archive, "docker://" + local + "/pause:3.9");
        Bed.Result cfg = Bed.run(Map.of(), null, "skopeo", "inspect", "--config", "--raw", "docker-archive:" + archive);
        assertThat(cfg.code()).as(cfg.toString()).isZero();
        id = sha256(cfg.out().getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    static String sha256(byte[] b) throws Exception {
        return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(b));
    }

    static Bed.Result make(Map<String, String> env, String... args) {
        Map<String, String> e = new HashMap<>(NO_DOCKER);
        e.put("XCLUSTER_TMP", Bed.tempDir("pause-xtmp").toString());
        e.putAll(env);
        return Bed.images(e, args);
    }

    @Test
    void withoutDockerThePauseImageComesFromTheLocalRegistry() {
        Path out = Bed.tempDir("pause-local").resolve("images.tar");
        Bed.Result r = make(Map.of("LOCAL_REGISTRY", local), "make", "--verbose", "--tar=" + out, "legacy");
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.stderr()).contains("+ the pause image [" + PAUSE + "]: from the local registry, docker://" + local + "/pause:3.9\n");
        Bed.Result ls = Bed.images("ls", out.toString());
        assertThat(ls.code()).as(ls.toString()).isZero();
        assertThat(ls.out()).contains(PAUSE).contains("example/legacy").doesNotContain(local);
        Bed.Result inspect = Bed.images("inspect", out.toString(), PAUSE);
        assertThat(inspect.code()).as(inspect.toString()).isZero();
        assertThat(inspect.out()).contains(id);
        Bed.Result verify = Bed.images("verify", out.toString());
        assertThat(verify.code()).as(verify.toString()).isZero();
    }

    @Test
    void aLocalRegistryWithoutItAndNoDockerNamesThePauseImageAndTheWaysOut() {
        Path out = Bed.tempDir("pause-none").resolve("images.tar");
        Bed.Result r = make(Map.of("LOCAL_REGISTRY", empty), "make", "--verbose", "--tar=" + out, "legacy");
        assertThat(r.code()).as(r.toString()).isEqualTo(1);
        assertThat(r.stderr()).contains("+ the pause image [" + PAUSE + "]: not in the local registry [" + empty + "], from the docker daemon\n");
        String error = r.stderr().lines().filter(l -> l.startsWith("ERROR")).reduce("", (a, b) -> a + b + "\n");
        assertThat(error).startsWith("ERROR: Can't get the pause image [" + PAUSE + "]: ")
                .endsWith("; no local registry ($LOCAL_REGISTRY) has it (give --pause=IMG, or --no-pause to leave it out)\n");
        assertThat(out).doesNotExist();
    }

    @Test
    void anExplicitDaemonPauseImageIsNotLookedForInTheLocalRegistry() {
        Path out = Bed.tempDir("pause-daemon").resolve("images.tar");
        Bed.Result r = make(Map.of("LOCAL_REGISTRY", local), "make", "--pause=docker-daemon:" + PAUSE, "--tar=" + out, "legacy");
        assertThat(r.code()).as(r.toString()).isEqualTo(1);
        assertThat(r.stderr()).startsWith("ERROR: Can't get the pause image [docker-daemon:" + PAUSE + "]: ")
                .doesNotContain("local registry");
        assertThat(out).doesNotExist();
    }
}
