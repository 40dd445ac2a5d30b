package lib.overlay;

import lib.Fail;
import lib.model.ImageConfig;
import static org.assertj.core.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The Dockerfile subset read without docker: every instruction, and the errors that send the user to docker. */
class DockerfileTest {
    @TempDir
    Path dir;

    Dockerfile read(String text) throws IOException {
        return Dockerfile.read(Files.writeString(dir.resolve("Dockerfile"), text));
    }

    /** The ERROR: line a Dockerfile gives. */
    String error(String text) throws IOException {
        Path f = Files.writeString(dir.resolve("Dockerfile"), text);
        Fail e = catchThrowableOfType(Fail.class, () -> Dockerfile.read(f));
        assertThat(e).as("no error for:\n" + text).isNotNull();
        assertThat(e.status).isEqualTo(1);
        return e.getMessage().replace(f.toString(), "DF");
    }

    @Test
    void everyInstructionOfTheSubset() throws IOException {
        Dockerfile d = read("""
                # a comment
                FROM scratch
                ADD --chown=1000:1001 ovl.tar /
                ENV A=1 B="two words"
                ENV C three words
                WORKDIR /srv
                WORKDIR app
                USER 1000:1001
                LABEL org.example.name="rich image" version=2
                EXPOSE 80 53/udp
                ENTRYPOINT ["/bin/rich"]
                CMD ["--flag", \\
                     "arg"]
                """);
        ImageConfig c = d.config();
        assertThat(c.env()).containsExactly(Dockerfile.DEFAULT_PATH, "A=1", "B=two words", "C=three words");
        assertThat(c.workdir()).isEqualTo("/srv/app");
        assertThat(c.user()).isEqualTo("1000:1001");
        assertThat(c.labels()).isEqualTo(Map.of("org.example.name", "rich image", "version", "2"));
        assertThat(c.ports()).containsExactly("53/udp", "80/tcp");
        assertThat(c.entrypoint()).containsExactly("/bin/rich");
        assertThat(c.cmd()).containsExactly("--flag", "arg");
        assertThat(d).extracting(Dockerfile::source, Dockerfile::dest, Dockerfile::extract, Dockerfile::chown)
                .containsExactly("ovl.tar", "/", true, "1000:1001");
    }

    @Test
    void copyDoesNotExtractAndAddOnlyExtractsTars() throws IOException {
        assertThat(read("FROM scratch\nCOPY ovl.tar /opt/\n")).extracting(Dockerfile::dest, Dockerfile::extract, Dockerfile::chown)
                .containsExactly("/opt/", false, null);
        assertThat(read("FROM scratch\nADD ovl.tgz /\n").extract()).isFalse();
    }

    @Test
    void lowerCaseInstructionsCommentsInsideContinuationsAndBlankLines() throws IOException {
        Dockerfile d = read("from scratch\n\nadd ovl.tar /\nenv A=1 \\\n# a comment in between\n    B=2\n");
        assertThat(d.config().env()).containsExactly(Dockerfile.DEFAULT_PATH, "A=1", "B=2");
    }

    @ParameterizedTest(name = "CMD {0}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', textBlock = """
            ["/bin/hello"]              | /bin/hello
            ["a", "b c"]                | a,b c
            echo hello world            | /bin/sh,-c,echo hello world
            [not json                   | /bin/sh,-c,[not json
            """)
    void execAndShellForms(String args, String want) throws IOException {
        assertThat(read("FROM scratch\nADD ovl.tar /\nCMD " + args + "\n").config().cmd()).containsExactly(want.split(","));
    }

    @Test
    void entrypointResetsAnEarlierCmd() throws IOException {
        Dockerfile d = read("FROM scratch\nADD ovl.tar /\nCMD [\"x\"]\nENTRYPOINT [\"/e\"]\n");
        assertThat(d.config().cmd()).isNull();
        assertThat(d.config().entrypoint()).containsExactly("/e");
    }

    @Test
    void envSetsPathInPlace() throws IOException {
        assertThat(read("FROM scratch\nADD ovl.tar /\nENV PATH=/opt/bin A=1\n").config().env()).containsExactly("PATH=/opt/bin", "A=1");
    }

    @Test
    void quotesAndEscapesInKeyValuePairs() throws IOException {
        Dockerfile d = read("FROM scratch\nADD ovl.tar /\nLABEL a='single \"q\"' b=esc\\ aped \"c d\"=e\n");
        assertThat(d.config().labels()).isEqualTo(Map.of("a", "single \"q\"", "b", "esc aped", "c d", "e"));
    }

    @ParameterizedTest(name = "{1}")
    @CsvSource(delimiter = '|', textBlock = """
            FROM scratch\\nADD ovl.tar /\\nRUN echo no                   | RUN needs docker [DF:3]; use make --via=skopeo or mkimage with docker
            FROM debian:11\\nADD ovl.tar /                                | FROM debian:11 needs docker [DF:1]; use make --via=skopeo or mkimage with docker
            FROM scratch\\nADD ovl.tar /\\nHEALTHCHECK NONE               | HEALTHCHECK needs docker [DF:3]; use make --via=skopeo or mkimage with docker
            FROM scratch\\nCOPY --from=build /x /                        | COPY --from=build needs docker [DF:2]
            FROM scratch\\nADD a.tar b.tar /                             | ADD of anything but one ovl.tar needs docker [DF:2]
            FROM scratch\\nADD ovl.tar /\\nADD more.tar /                  | ADD of anything but one ovl.tar needs docker [DF:3]
            FROM scratch\\nADD ovl.tar /\\nENV LONELY                     | Missing value [DF:3]
            FROM scratch\\nADD ovl.tar /\\nLABEL a=1 =2                   | Not KEY=VALUE [=2] [DF:3]
            ADD ovl.tar /                                               | No FROM scratch [DF]
            FROM scratch\\nCMD ["x"]                                     | No ADD of ovl.tar [DF]
            """)
    void whatNeedsDockerOrIsWrong(String text, String want) throws IOException {
        assertThat(error(text.replace("\\n", "\n") + "\n")).isEqualTo(want);
    }

    @Test
    void anUnreadableFile() {
        Path missing = dir.resolve("nope");
        assertThatThrownBy(() -> Dockerfile.read(missing)).isInstanceOf(Fail.class).hasMessage("Not readable [" + missing + "]");
    }

    @Test
    void instructionsKeepTheirFirstLineNumber() {
        List<Dockerfile.Instruction> ins = Dockerfile.instructions(List.of("# c", "FROM scratch", "", "CMD a \\", "  b", "USER 1"));
        assertThat(ins).extracting(i -> i.line() + "|" + i.op() + "|" + i.args()).containsExactly("2|FROM|scratch", "4|CMD|a   b", "6|USER|1");
    }
}
