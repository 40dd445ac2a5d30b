import static org.assertj.core.api.Assertions.*;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.*;
import java.util.*;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

/**
 * `./jbang images --help` as a new user with an empty home: no Maven repository, no JBang, no
 * launch cache. JBang comes as its one `all` jar (few jars in all), then the second run takes the
 * fast path (the kept command, a class-data sharing archive) without JBang.
 */
class ColdStartTest {
    @Test
    void firstRunFetchesFewJarsThenTheFastPathRuns() throws IOException {
        Rootless.require();
        Bed.requireTools("mvn");
        Path repo = Bed.publicCopy(Bed.REPO), home = Rootless.dir("cold-home");
        Path m2 = home.resolve(".m2/repository");
        Bed.Result first = run(repo, home);
        assertThat(first.code()).as(first.toString()).isZero();
        assertThat(first.out()).contains("Usage: images", "make", "docker_ls");
        assertThat(first.stderr()).contains("Fetching JBang 0.132.1", "dev.jbang:jbang-cli:0.132.1:jar:all", "9.5 MB");
        List<Path> jars = jars(m2);
        assertThat(jars).as("jars in the empty Maven repository after the first run").hasSizeLessThanOrEqualTo(25)
                .anyMatch(j -> j.endsWith("dev/jbang/jbang-cli/0.132.1/jbang-cli-0.132.1-all.jar"));
        assertThat(jars).as("JBang's own dependencies are in its all jar").noneMatch(j -> j.toString().contains("/dev/jbang/")
                && !j.getFileName().toString().equals("jbang-cli-0.132.1-all.jar"));

        List<Path> cmds = kept(home, "cmd");
        assertThat(cmds).as("one kept launch command").hasSize(1);
        long kept = Files.getLastModifiedTime(cmds.get(0)).toMillis();
        Bed.Result second = run(repo, home);
        assertThat(second.code()).as(second.toString()).isZero();
        assertThat(second.out()).isEqualTo(first.out());
        assertThat(second.stderr()).doesNotContain("[jbang]", "Fetching");
        assertThat(Files.getLastModifiedTime(cmds.get(0)).toMillis()).as("the kept command was used, not remade").isEqualTo(kept);
        assertThat(kept(home, "app.jsa")).as("the CDS archive made on the first fast run").hasSize(1);
        assertThat(jars(m2)).isEqualTo(jars);
    }

    /** ./jbang images --help in the repo copy, as the unprivileged user, HOME and the Maven repository in `home`. */
    static Bed.Result run(Path repo, Path home) {
        return Bed.run(Map.of(), null, repo.toFile(), "runuser", "-u", Rootless.USER, "--", "env", "-i",
                "HOME=" + home, "PATH=" + System.getenv("PATH"), "MAVEN_REPO=" + home.resolve(".m2/repository"),
                "JBANG_REPO=" + home.resolve(".m2/repository"), "JBANG_DIR=" + home.resolve(".jbang"),
                "./jbang", "images", "--help");
    }

    static List<Path> jars(Path m2) {
        if (!Files.isDirectory(m2)) return List.of();
        try (Stream<Path> s = Files.walk(m2)) {
            return s.filter(p -> p.toString().endsWith(".jar")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static List<Path> kept(Path home, String name) {
        Path launch = home.resolve(".cache/xcluster-images/launch");
        if (!Files.isDirectory(launch)) return List.of();
        try (Stream<Path> s = Files.walk(launch)) {
            return s.filter(p -> p.getFileName().toString().equals(name)).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
