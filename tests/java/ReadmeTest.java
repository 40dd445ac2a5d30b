import static org.assertj.core.api.Assertions.*;

import java.nio.file.*;
import java.util.*;
import org.junit.jupiter.api.Test;

/** The README's first command, as written, on a copy of the repo, as an ordinary user with no docker. */
class ReadmeTest {
    /** The first command line of the first code block under "## The two commands". */
    static String firstCommand() {
        String readme = Bed.read(Bed.REPO.resolve("README.md"));
        String section = readme.substring(readme.indexOf("## The two commands"));
        String block = section.substring(section.indexOf("```\n") + 4);
        return block.substring(0, block.indexOf('\n'));
    }

    @Test
    void theFirstCommandMakesTheExampleTarWithoutDockerOrRoot() {
        Rootless.require();
        Bed.requireTools("mvn", "podman", "busybox");
        String command = firstCommand();
        assertThat(command).startsWith("./jbang images make ").contains("--tar=/tmp/images.tar");
        Path repo = Bed.publicCopy(Bed.REPO);
        Path out = Rootless.dir("readme").resolve("images.tar");
        Bed.Result r = Bed.run(Map.of(), null, repo.toFile(), "runuser", "-u", Rootless.USER, "--", "env",
                "HOME=/home/" + Rootless.USER, "DOCKER_HOST=unix:///nonexistent/docker.sock", "PATH=" + System.getenv("PATH"),
                "bash", "-c", command.replace("/tmp/images.tar", out.toString()));
        assertThat(r.code()).as(r.toString()).isZero();
        Path tree = MakeTest.unpack(out);
        assertThat(MakeTest.podmanRun(tree, "example/hello:1")).isEqualTo("Hello from xcluster\n");
        assertThat(MakeTest.podmanRun(tree, "example/legacy:0.1")).isEqualTo("Hello from the old way, xcluster\n");
    }
}
