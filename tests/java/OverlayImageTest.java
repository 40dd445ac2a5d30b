import static org.assertj.core.api.Assertions.*;

import java.io.*;
import java.nio.file.*;
import java.security.MessageDigest;
import java.util.*;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Overlay images made without docker (mkimage --output) equal what docker build / docker import
 * make of the same folder: the same file tree with owners and modes, the same config.
 */
class OverlayImageTest {
    static final Path HELLO = Bed.REPO.resolve("examples/hello/image");
    static final Path LEGACY = Bed.REPO.resolve("examples/legacy/image");
    static final List<String> FIELDS = List.of("Cmd", "Entrypoint", "Env", "WorkingDir", "User", "Labels", "ExposedPorts");

    @BeforeAll
    static void docker() {
        Bed.docker();
    }

    /** A Dockerfile overlay using every instruction of the subset, and a tar with links, owners and modes. */
    static Path rich() {
        Path dir = Bed.tempDir("rich");
        Bed.write(dir.resolve("tar"), "#!/bin/sh\nset -e\nt=$(mktemp -d)\n" + Bed.REPO.resolve("examples/rootfs.sh") + " $t\n"
                + "mkdir -p $t/srv/data $t/empty\necho data > $t/srv/data/file\nln $t/srv/data/file $t/srv/data/hard\n"
                + "ln -s ../data/file $t/srv/link\nchmod 4755 $t/srv/data/file\nchown 1000:1001 $t/srv/data\n"
                + "printf '#!/bin/sh\\necho \"rich $A $B in $(pwd) as $(id -u)\" \"$@\"\\n' > $t/bin/rich\nchmod 755 $t/bin/rich\n"
                + "tar -C $t --sort=name --numeric-owner -cf \"$1\" .\nrm -rf $t\n");
        Bed.run(Map.of(), null, "chmod", "755", dir.resolve("tar").toString());
        Bed.write(dir.resolve("Dockerfile"), """
                # every instruction overlays use
                FROM scratch
                ADD --chown=0:0 ovl.tar /
                ENV A=1 B="two words"
                ENV C three
                WORKDIR /srv/app
                USER 1000:1001
                LABEL org.example.name="rich image" version=2
                EXPOSE 80 53/udp
                ENTRYPOINT ["/bin/rich"]
                CMD ["--flag", \\
                     "arg"]
                """);
        return dir;
    }

    static void compare(Path dir, String dockerName, String nativeName, String... mkimageArgs) {
        List<String> a = new ArrayList<>(List.of("mkimage"));
        a.addAll(Arrays.asList(mkimageArgs));
        Path out = Bed.tempDir("out").resolve("image.tar");
        a.addAll(List.of("--tag=" + nativeName, "--output=docker-archive:" + out, dir.toString()));
        Bed.Result r = Bed.images(Map.of("DOCKER_HOST", "unix:///nonexistent.sock"), a.toArray(String[]::new));
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).isEqualTo(nativeName + "\n");
        Bed.docker("load", "-i", out.toString());
        for (String f : FIELDS)
            assertThat(inspect(nativeName, f)).as(f).isEqualTo(inspect(dockerName, f));
        assertThat(tree(nativeName)).isEqualTo(tree(dockerName));
        assertThat(Bed.docker("run", "--rm", "--network", "none", nativeName))
                .isEqualTo(Bed.docker("run", "--rm", "--network", "none", dockerName));
    }

    static String inspect(String image, String field) {
        return Bed.docker("image", "inspect", "-f", "{{json .Config." + field + "}}", image);
    }

    /** The merged files of an image: path, type, mode, owner, size, content hash, link target. */
    static Map<String, String> tree(String image) {
        Bed.Result r = Bed.images("docker_export", image);
        assertThat(r.code()).as(r.toString()).isZero();
        Map<String, String> m = new TreeMap<>();
        try (TarArchiveInputStream t = new TarArchiveInputStream(new ByteArrayInputStream(r.stdout()))) {
            for (TarArchiveEntry e; (e = t.getNextEntry()) != null; ) {
                String hash = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(t.readAllBytes()));
                m.put(e.getName(), e.getLinkFlag() + " " + Integer.toOctalString(e.getMode() & 07777) + " " + e.getLongUserId()
                        + ":" + e.getLongGroupId() + " " + e.getSize() + " " + hash + " " + e.getLinkName());
            }
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        assertThat(m).hasSizeGreaterThan(5);
        return m;
    }

    @Test
    void dockerfileOverlayEqualsDockerBuild() {
        assertThat(Bed.images("mkimage", "--tag=example/hello:docker", HELLO.toString()).code()).isZero();
        compare(HELLO, "example/hello:docker", "example/hello:native");
    }

    @Test
    void everyInstructionOfTheSubsetEqualsDockerBuild() {
        Path dir = rich();
        Bed.Result d = Bed.images("mkimage", "--tag=example/rich:docker", dir.toString());
        assertThat(d.code()).as(d.toString()).isZero();
        compare(dir, "example/rich:docker", "example/rich:native");
        assertThat(Bed.docker("run", "--rm", "--network", "none", "example/rich:native"))
                .isEqualTo("rich 1 two words in /srv/app as 1000 --flag arg");
        assertThat(inspect("example/rich:native", "ExposedPorts")).isEqualTo("{\"53/udp\":{},\"80/tcp\":{}}");
    }

    @Test
    void manifestOverlayEqualsDockerImport() {
        Bed.docker("image", "rm", "-f", "example/legacy:0.1");
        assertThat(Bed.images("mkimage", LEGACY.toString()).code()).isZero();
        compare(LEGACY, "example/legacy:0.1", "example/legacy:native");
    }

    @Test
    void ociArchiveServesSkopeoAndTheNameComesFromTheManifest() throws IOException {
        Path out = Bed.tempDir("oci").resolve("legacy.tar");
        Bed.Result r = Bed.images("mkimage", "--output=oci-archive:" + out, LEGACY.toString());
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).isEqualTo("example/legacy:0.1\n");
        Bed.Result inspect = Bed.run(Map.of(), null, "skopeo", "inspect", "--config", "oci-archive:" + out);
        assertThat(inspect.code()).as(inspect.toString()).isZero();
        assertThat(inspect.out()).contains("\"/bin/legacy\"", "\"xcluster\"");
    }

    @Test
    void mkimageTakesTheOverlayNamesOfMake() throws IOException {
        Path ovlpath = Bed.REPO.resolve("examples");
        java.util.Map<String, String> env = Map.of("XCLUSTER_OVLPATH", ovlpath.toString());
        byte[] want = null;
        for (String name : new String[] {"legacy", "legacy/image", ovlpath.resolve("legacy").toString(), LEGACY.toString()}) {
            Path out = Bed.tempDir("names").resolve("legacy.tar");
            Bed.Result r = Bed.images(env, "mkimage", "--output=docker-archive:" + out, name);
            assertThat(r.code()).as(name + ": " + r).isZero();
            assertThat(r.out()).isEqualTo("example/legacy:0.1\n");
            if (want == null) want = Files.readAllBytes(out);
            else assertThat(Files.readAllBytes(out)).as(name).isEqualTo(want);
        }
    }

    @Test
    void sameInputSameBytes() throws IOException {
        Path a = Bed.tempDir("a").resolve("x.tar"), b = Bed.tempDir("b").resolve("x.tar");
        assertThat(Bed.images("mkimage", "--tag=x/y:1", "--output=docker-archive:" + a, HELLO.toString()).code()).isZero();
        assertThat(Bed.images("mkimage", "--tag=x/y:1", "--output=docker-archive:" + b, HELLO.toString()).code()).isZero();
        assertThat(Files.readAllBytes(a)).isEqualTo(Files.readAllBytes(b));
    }

    @Test
    void uploadWithoutDocker() {
        Bed.registry();
        Path out = Bed.tempDir("up").resolve("hello.tar");
        Bed.Result r = Bed.images(Map.of("DOCKER_HOST", "unix:///nonexistent.sock"), "mkimage", "--tag=example/nodocker:1",
                "--output=oci-archive:" + out, "--upload", HELLO.toString());
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(Bed.images("lreg_ls").out()).contains("example/nodocker:\n  [\"1\"]\n");
    }

    // --- what needs docker, and failing tar scripts

    static void fails(Path dir, String expected) {
        Path out = Bed.tempDir("fail").resolve("image.tar");
        Bed.Result r = Bed.images("mkimage", "--tag=x/fail:1", "--output=docker-archive:" + out, dir.toString());
        assertThat(r.code()).as(r.toString()).isEqualTo(1);
        assertThat(r.stderr()).contains("ERROR: " + expected);
        assertThat(out.getParent().toFile().list()).as("nothing written").isEmpty();
    }

    @Test
    void runOrFromAnImageNeedDocker() {
        Path dir = rich();
        Bed.write(dir.resolve("Dockerfile"), "FROM scratch\nADD ovl.tar /\nRUN echo no\n");
        fails(dir, "RUN needs docker [" + dir.resolve("Dockerfile") + ":3]");
        Bed.write(dir.resolve("Dockerfile"), "FROM debian\nADD ovl.tar /\n");
        fails(dir, "FROM debian needs docker [" + dir.resolve("Dockerfile") + ":1]");
    }

    @Test
    void failingTarScriptShowsItsStderr() {
        Path dir = rich();
        Bed.write(dir.resolve("tar"), "#!/bin/sh\necho 'no rootfs here' >&2\nexit 2\n");
        fails(dir, "Failed to create ovl.tar");
        Bed.Result r = Bed.images("mkimage", "--tag=x/fail:1", "--output=docker-archive:" + Bed.WORK.resolve("never.tar"), dir.toString());
        assertThat(r.stderr()).contains("no rootfs here");
        assertThat(Bed.WORK.resolve("never.tar")).doesNotExist();
    }
}
