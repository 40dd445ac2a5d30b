package lib.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** ImageConfig: docker build's rules for each instruction, and the JSON docker writes under "config". */
class ImageConfigTest {
    /** The JSON ImageConfig writes under "config". */
    static String json(ImageConfig c) {
        return new String(JsonWriter.write(c::write), java.nio.charset.StandardCharsets.UTF_8);
    }

    @Test
    void emptyConfigWritesAnEmptyObject() {
        assertThat(json(ImageConfig.empty())).isEqualTo("{}");
    }

    @Test
    void everyFieldWithDockersNamesInDockersOrder() {
        ImageConfig c = ImageConfig.empty().withEnv("A=1").withEntrypoint(List.of("/e")).withCmd(List.of("x", "y"))
                .withWorkdir("/w").withUser("1:2").withLabels(Map.of("b", "2", "a", "1")).withPort("80/tcp").withPort("53/udp");
        assertThat(json(c)).isEqualTo("{\"User\":\"1:2\",\"ExposedPorts\":{\"53/udp\":{},\"80/tcp\":{}},"
                + "\"Env\":[\"A=1\"],\"Entrypoint\":[\"/e\"],\"Cmd\":[\"x\",\"y\"],\"WorkingDir\":\"/w\",\"Labels\":{\"a\":\"1\",\"b\":\"2\"}}");
    }

    @Test
    void envReplacesAKeyInPlaceAndMatchesWholeKeys() {
        ImageConfig c = ImageConfig.empty().withEnv("A=1").withEnv("AB=2").withEnv("A=3");
        assertThat(c.env()).containsExactly("A=3", "AB=2");
        assertThat(c.withEnv("EMPTY=").env()).containsExactly("A=3", "AB=2", "EMPTY=");
    }

    @Test
    void workdirIsRelativeToTheLastOneAndAlwaysAbsolute() {
        assertThat(ImageConfig.empty().withWorkdir("rel").workdir()).isEqualTo("/rel");
        assertThat(ImageConfig.empty().withWorkdir("/a").withWorkdir("b/c").workdir()).isEqualTo("/a/b/c");
        assertThat(ImageConfig.empty().withWorkdir("/a").withWorkdir("/z").workdir()).isEqualTo("/z");
    }

    @Test
    void entrypointResetsCmdButCmdKeepsEntrypoint() {
        ImageConfig c = ImageConfig.empty().withCmd(List.of("c")).withEntrypoint(List.of("e"));
        assertThat(c.cmd()).isNull();
        assertThat(c.withCmd(List.of("d")).entrypoint()).containsExactly("e");
    }

    @Test
    void laterLabelsWinAndTheConfigIsAValue() {
        ImageConfig a = ImageConfig.empty().withLabels(Map.of("k", "1"));
        ImageConfig b = a.withLabels(Map.of("k", "2"));
        assertThat(a.labels()).containsEntry("k", "1");
        assertThat(b.labels()).containsEntry("k", "2");
        assertThat(b).isEqualTo(ImageConfig.empty().withLabels(Map.of("k", "2")));
    }
}
