import static org.assertj.core.api.Assertions.*;

import java.io.ByteArrayInputStream;
import java.util.*;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The docker helpers of images.sh against a real, private dockerd. */
class DockerHelpersTest {
    static String multi;

    @BeforeAll
    static void image() {
        Bed.docker();
        multi = TestImages.multi("test/helpers:1");
    }

    static List<String> tarNames(byte[] tar) {
        return lib.tar.Tars.names(new ByteArrayInputStream(tar));
    }

    @Test
    void dockerLsListsTheMergedFilesSorted() {
        Bed.Result r = Bed.images("docker_ls", multi);
        assertThat(r.code()).as(r.toString()).isZero();
        List<String> lines = List.of(r.out().split("\n"));
        assertThat(lines).isSorted();
        assertThat(lines).contains("bin/busybox", "data/keep/k.txt", "data/replace/new.txt", "data/added.txt",
                "data/hard", "data/link", TestImages.LONG);
        assertThat(lines).doesNotContain("data/gone.txt", "data/replace/old1.txt", "data/replace/sub/old2.txt",
                "data/.wh.gone.txt", "data/replace/.wh..wh..opq");
        assertThat(Bed.docker("ps", "-a", "-q")).as("no container left").isEmpty();
    }

    @Test
    void dockerExportWritesTheTarOnStdout() {
        Bed.Result r = Bed.images("docker_export", multi);
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(tarNames(r.stdout())).contains("data/replace/new.txt").doesNotContain("data/gone.txt");
    }

    @Test
    void dockerLsLayersShowsEachLayerBaseFirst() {
        Bed.Result r = Bed.images("docker_ls_layers", multi);
        assertThat(r.code()).as(r.toString()).isZero();
        String[] parts = r.out().split("(?m)^=== Layer; ");
        assertThat(parts).hasSize(3); // "" + two layers
        assertThat(parts[1]).matches("(?s)[0-9a-f]{64}/layer\\.tar\n.*").contains("\nbin/busybox\n", "\ndata/gone.txt\n");
        assertThat(parts[2]).contains("\ndata/.wh.gone.txt\n", "\ndata/replace/.wh..wh..opq\n", "\ndata/replace/new.txt\n")
                .doesNotContain("bin/busybox");
    }

    @Test
    void dockerSaveLayersMergesTheChosenLayers() {
        String out = Bed.images("docker_ls_layers", multi).out();
        List<String> layers = new ArrayList<>();
        for (String l : out.split("\n")) if (l.startsWith("=== Layer; ")) layers.add(l.substring(11));
        Bed.Result upperOnly = Bed.images("docker_save_layers", multi, layers.get(1));
        assertThat(upperOnly.code()).as(upperOnly.toString()).isZero();
        assertThat(tarNames(upperOnly.stdout())).contains("./data/replace/new.txt", "./data/added.txt")
                .doesNotContain("./bin/busybox");
        Bed.Result both = Bed.images("docker_save_layers", multi, layers.get(0), layers.get(1));
        assertThat(tarNames(both.stdout())).contains("./bin/busybox", "./data/replace/new.txt", "./data/replace/old1.txt");
    }

    @Test
    void badReferencesGiveTheOriginalMessages() {
        Bed.Result noVersion = Bed.images("docker_ls", "test/helpers");
        assertThat(noVersion.code()).isEqualTo(1);
        assertThat(noVersion.stderr()).isEqualTo("ERROR: Image must have a version [test/helpers] (give a tag, e.g. test/helpers:latest)\n");
        Bed.Result missing = Bed.images("docker_export", "test/nothing:1");
        assertThat(missing.code()).isEqualTo(1);
        assertThat(missing.stderr()).isEqualTo("ERROR: Can't find image [test/nothing:1]\n");
        assertThat(missing.stdout()).isEmpty();
        assertThat(Bed.images("in_docker", multi).code()).isZero();
        assertThat(Bed.images("in_docker", "test/nothing:1").code()).isEqualTo(1);
    }

    @Test
    void dockerFlushRefusesWithoutReally() {
        List<String> before = Bed.dockerImages();
        Bed.Result r = Bed.images("docker_flush");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.stderr()).startsWith("ERROR: THIS WILL WIPE YOUR ENTIRE DOCKER. Invoke with --really");
        assertThat(Bed.dockerImages()).isEqualTo(before).contains(Bed.docker("image", "inspect", "-f", "{{.Id}}", multi));
    }

    @Test
    void dryRunChangesNothing() {
        List<String> before = Bed.dockerImages();
        Bed.Result r = Bed.images("docker_flush", "--really", "--dry-run");
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.stderr()).contains("dry-run: docker rmi -f ");
        assertThat(Bed.dockerImages()).isEqualTo(before);
    }

    @Test
    void verboseShowsEveryCommand() {
        Bed.Result r = Bed.images("docker_ls", "--verbose", multi);
        assertThat(r.code()).isZero();
        assertThat(r.stderr()).contains("+ docker image inspect", "+ docker create " + multi + " sh", "+ docker export ", "+ docker rm ");
    }

    @Test
    void aDeadDockerHostIsNamedNotTakenForAMissingImage() {
        String dead = "unix://" + Bed.WORK.resolve("no-such.sock");
        for (String cmd : List.of("docker_ls", "in_docker", "docker_export")) {
            Bed.Result r = Bed.images(Map.of("DOCKER_HOST", dead), cmd, multi);
            assertThat(r.code()).as(cmd).isEqualTo(1);
            assertThat(r.stderr()).as(cmd).isEqualTo("ERROR: Can't reach the docker daemon [" + dead + "]: is it running? (DOCKER_HOST)\n");
        }
    }
}
