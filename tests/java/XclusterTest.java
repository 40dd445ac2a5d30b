import static org.assertj.core.api.Assertions.*;

import java.nio.file.*;
import java.util.*;
import org.junit.jupiter.api.Test;

/** The xcluster context: XCLUSTER_TMP, overlay folders, image folders and their manifests. */
class XclusterTest {
    static final Path EXAMPLES = Bed.REPO.resolve("examples");

    /** xcluster's two commands that images uses, `env` and `ovld`, as a script (xcluster itself is not installed here). */
    static Path xcluster(Path tmp) {
        Path x = Bed.tempDir("xcluster").resolve("xcluster.sh");
        Bed.write(x, "#!/bin/sh\ncase $1 in\n"
                + "env) echo \"export XCLUSTER_TMP='" + tmp + "'\"; echo 'XCLUSTER_WORKSPACE=/w';;\n"
                + "ovld) test -d \"" + EXAMPLES + "/$2\" || { echo \"Ovl not found [$2]\" >&2; exit 1; }; echo \"" + EXAMPLES + "/$2\";;\n"
                + "*) exit 1;;\nesac\n");
        Bed.run(Map.of(), null, "chmod", "755", x.toString());
        return x;
    }

    static Bed.Result images(Map<String, String> env, String... args) {
        Map<String, String> e = new HashMap<>(Map.of("XCLUSTER", "", "XCLUSTER_OVLPATH", "", "XCLUSTER_TMP", ""));
        e.putAll(env);
        return Bed.images(e, args);
    }

    @Test
    void xclusterTmpFromTheEnvironmentThenXclusterEnvThenTheDefault() {
        assertThat(images(Map.of("XCLUSTER_TMP", "/a/b"), "env").out()).contains("XCLUSTER_TMP=/a/b\n");
        Path x = xcluster(Path.of("/from/xcluster env"));
        assertThat(images(Map.of("XCLUSTER", x.toString()), "env").out()).contains("XCLUSTER_TMP=/from/xcluster env\n");
        assertThat(images(Map.of("USER", "someone"), "env").out()).contains("XCLUSTER_TMP=/tmp/someone/xcluster/tmp\n");
    }

    @Test
    void overlaysThroughXclusterOvldOrTheOvlPath() {
        Path x = xcluster(Path.of("/t"));
        for (Map<String, String> env : List.of(Map.of("XCLUSTER", x.toString()), Map.of("XCLUSTER_OVLPATH", "/nowhere:" + EXAMPLES))) {
            assertThat(images(env, "get_rootfs", "hello").out()).isEqualTo(EXAMPLES.resolve("hello/image") + "\n");
            assertThat(images(env, "get_rootfs", "legacy/image").out()).isEqualTo(EXAMPLES.resolve("legacy/image") + "\n");
            Bed.Result missing = images(env, "get_rootfs", "no-such-ovl");
            assertThat(missing.code()).isEqualTo(1);
            assertThat(missing.stderr()).startsWith("ERROR: Can't find ovl [no-such-ovl]");
            Bed.Result noDir = images(env, "get_rootfs", "hello/nope");
            assertThat(noDir.code()).isEqualTo(1);
            assertThat(noDir.stderr()).isEqualTo("ERROR: Not a directory [" + EXAMPLES.resolve("hello/nope") + "]\n");
        }
    }

    @Test
    void aFolderPathWorksWhereAnOverlayNameDoes() {
        assertThat(images(Map.of(), "get_rootfs", EXAMPLES.resolve("hello").toString()).out()).isEqualTo(EXAMPLES.resolve("hello/image") + "\n");
        assertThat(images(Map.of(), "get_rootfs", EXAMPLES.resolve("legacy/image").toString()).out()).isEqualTo(EXAMPLES.resolve("legacy/image") + "\n");
        Bed.Result r = images(Map.of(), "get_rootfs", "hello");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.stderr()).isEqualTo("ERROR: Not set [$XCLUSTER]: export XCLUSTER=/path/to/xcluster/xcluster.sh (xcluster's own script)\n");
    }

    @Test
    void manifestBesideOrInTheImageFolder() {
        assertThat(images(Map.of(), "get_manifest", EXAMPLES.resolve("legacy/image").toString()).out())
                .isEqualTo(EXAMPLES.resolve("legacy/image/manifest.json") + "\n");
        Path ovl = Bed.tempDir("ovl");
        Bed.mkdirs(ovl.resolve("image"));
        Bed.write(ovl.resolve("x.json"), "{}");
        assertThat(images(Map.of(), "get_manifest", ovl.resolve("image").toString()).out()).isEqualTo(ovl.resolve("x.json") + "\n");
        assertThat(images(Map.of(), "get_manifest", EXAMPLES.resolve("hello/image").toString()).out()).isEmpty();
    }
}
