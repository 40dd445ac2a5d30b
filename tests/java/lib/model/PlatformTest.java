package lib.model;

import lib.Fail;
import static org.assertj.core.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Choosing a manifest from an index as containers/image does. */
class PlatformTest {
    static Platform.Entry e(String platform, String digest) {
        return new Platform.Entry(platform == null ? null : Platform.parse(platform), false, digest);
    }

    @Test
    void acceptedPlatformsInContainersImageOrder() {
        assertThat(Platform.parse("linux/amd64").accepted()).map(Platform::toString).containsExactly("linux/amd64");
        assertThat(Platform.parse("linux/arm64").accepted()).map(Platform::toString).containsExactly("linux/arm64", "linux/arm64/v8");
        assertThat(Platform.parse("linux/arm64/v8").accepted()).map(Platform::toString).containsExactly("linux/arm64/v8", "linux/arm64");
        assertThat(Platform.parse("linux/arm/v7").accepted()).map(Platform::toString)
                .containsExactly("linux/arm/v7", "linux/arm/v6", "linux/arm/v5", "linux/arm");
        assertThat(Platform.parse("linux/arm/v9").accepted()).map(Platform::toString).containsExactly("linux/arm/v9", "linux/arm");
    }

    @Test
    void theMostPreferredPlatformWinsOverListOrder() {
        List<Platform.Entry> index = List.of(e("linux/arm/v5", "a"), e("linux/amd64", "b"), e("linux/arm/v6", "c"), e("linux/arm/v7", "d"));
        assertThat(Platform.parse("linux/arm/v7").choose(index, "x").digest()).isEqualTo("d");
        assertThat(Platform.parse("linux/arm/v6").choose(index, "x").digest()).isEqualTo("c");
        assertThat(Platform.parse("linux/amd64").choose(index, "x").digest()).isEqualTo("b");
    }

    @Test
    void firstListedAmongEqualsUnlessOneIsZstd() {
        List<Platform.Entry> index = List.of(e("linux/amd64", "a"), e("linux/amd64", "b"));
        assertThat(Platform.parse("linux/amd64").choose(index, "x").digest()).isEqualTo("a");
        List<Platform.Entry> zstd = List.of(e("linux/amd64", "a"), new Platform.Entry(Platform.parse("linux/amd64"), true, "z"));
        assertThat(Platform.parse("linux/amd64").choose(zstd, "x").digest()).isEqualTo("z");
    }

    @Test
    void anEntryWithoutPlatformIsTheLastResort() {
        List<Platform.Entry> index = List.of(e(null, "any"), e("linux/arm64", "arm"));
        assertThat(Platform.parse("linux/arm64").choose(index, "x").digest()).isEqualTo("arm");
        assertThat(Platform.parse("linux/s390x").choose(index, "x").digest()).isEqualTo("any");
    }

    @Test
    void noMatchNamesWhatTheIndexHas() {
        List<Platform.Entry> index = List.of(e("linux/arm64/v8", "a"), e("linux/arm/v7", "b"), e("unknown/unknown", "c"));
        assertThatThrownBy(() -> Platform.parse("linux/amd64").choose(index, "oci:/x: sha256:1"))
                .isInstanceOf(Fail.class).hasMessage("No image for linux/amd64 in [oci:/x: sha256:1]: it has linux/arm64/v8, "
                        + "linux/arm/v7, unknown/unknown; choose one with --platform");
        // an older variant than wanted is fine, a newer one is not
        assertThatThrownBy(() -> Platform.parse("linux/arm/v6").choose(List.of(e("linux/arm/v7", "b")), "y")).isInstanceOf(Fail.class);
    }

    @Test
    void parseRefusesOtherShapes() {
        assertThat(Platform.parse("linux/arm/v7")).isEqualTo(new Platform("linux", "arm", "v7"));
        for (String bad : List.of("linux", "amd64", "linux/", "linux/arm/v7/x", "Linux/AMD64"))
            assertThatThrownBy(() -> Platform.parse(bad)).as(bad).isInstanceOf(Fail.class).hasMessageContaining("[" + bad + "]");
    }

    @Test
    void hostAsGoNamesIt() throws Exception {
        assertThat(Platform.goArch("x86_64")).isEqualTo("amd64");
        assertThat(Platform.goArch("aarch64")).isEqualTo("arm64");
        assertThat(Platform.goArch("arm")).isEqualTo("arm");
        assertThat(Platform.goArch("i686")).isEqualTo("386");
        assertThat(Platform.goArch("ppc64le")).isEqualTo("ppc64le");
        assertThat(Platform.host().os()).isEqualTo("linux");
        Path cpuinfo = Files.createTempFile("cpuinfo", "");
        Files.writeString(cpuinfo, "processor\t: 0\nCPU implementer\t: 0x41\nCPU architecture: 7\n");
        assertThat(Platform.cpuVariant(cpuinfo)).isEqualTo("v7");
        Files.writeString(cpuinfo, "CPU architecture: 8\n");
        assertThat(Platform.cpuVariant(cpuinfo)).isEqualTo("v8");
        Files.writeString(cpuinfo, "model name : x86\n");
        assertThat(Platform.cpuVariant(cpuinfo)).isEmpty();
        Files.delete(cpuinfo);
    }

    @Test
    void entriesOfAnIndex() throws Exception {
        JsonValue index = JsonValue.parse(("{\"manifests\":[{\"digest\":\"sha256:a\",\"platform\":{\"os\":\"linux\","
                + "\"architecture\":\"arm\",\"variant\":\"v7\"}},{\"digest\":\"sha256:b\",\"annotations\":{\""
                + Platform.ZSTD_ANNOTATION + "\":\"true\"}}]}").getBytes());
        assertThat(Platform.entries(index)).containsExactly(new Platform.Entry(new Platform("linux", "arm", "v7"), false, "sha256:a"),
                new Platform.Entry(null, true, "sha256:b"));
        assertThat(Platform.isIndex(index, JsonValue.MISSING)).isTrue();
    }
}
