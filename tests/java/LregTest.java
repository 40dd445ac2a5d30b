import static org.assertj.core.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.*;
import java.util.*;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The lreg_* commands with the toolkit's registry client: no skopeo on the PATH (docker only
 * where the daemon is the source, lreg_upload and docker_save). The local registry here is a
 * fresh one at [::1] (IPv6, which skopeo cannot address), the source the test bed's registry at
 * 127.0.0.1, and one that wants a password.
 */
class LregTest {
    static String src, local;
    static Path noSkopeo, localData;

    @BeforeAll
    static void setUp() {
        Bed.requireTools("skopeo", "docker", "htpasswd");
        Bed.docker();
        src = Bed.registry();
        TestImages.multi("test/lreg-multi:1");
        TestImages.plain("test/lreg-plain:1", "lreg-says-hi");
        for (String img : List.of("test/lreg-multi:1", "test/lreg-plain:1"))
            RegistryPullTest.skopeo("copy", "--src-daemon-host", Bed.docker(), "--dest-tls-verify=false", "docker-daemon:" + img,
                    "docker://" + src + "/" + img);
        localData = Bed.tempDir("local-registry");
        local = Bed.registryAt("[::1]:" + Bed.freePort(), localData, "");
        noSkopeo = Bed.tempDir("no-skopeo"); // docker only: the client side has no skopeo
        Bed.run(Map.of(), null, "ln", "-s", Bed.which("docker"), noSkopeo.resolve("docker").toString());
    }

    static Bed.Result lreg(Map<String, String> env, String... args) {
        Map<String, String> e = new HashMap<>(Map.of("PATH", noSkopeo.toString(), "LOCAL_REGISTRY", local,
                "XCLUSTER_TMP", Bed.tempDir("xtmp").toString()));
        e.putAll(env);
        return Bed.images(e, args);
    }

    static Bed.Result lreg(String... args) {
        return lreg(Map.of(), args);
    }

    @Test
    void lsFollowsTheCatalogsPages() {
        // the same images served by a registry that gives at most 2 repositories a page (Link: <...>; rel="next")
        for (int i = 1; i <= 4; i++)
            RegistryPullTest.skopeo("copy", "--src-tls-verify=false", "--dest-tls-verify=false", "docker://" + src + "/test/lreg-plain:1",
                    "docker://" + src + "/test/page-" + i + ":1");
        String paged = Bed.registryAt("127.0.0.1:" + Bed.freePort(), Bed.registryData(), "catalog:\n  maxentries: 2\n");
        Bed.Result all = lreg(Map.of("LOCAL_REGISTRY", src), "lreg_ls");
        Bed.Result pages = lreg(Map.of("LOCAL_REGISTRY", paged), "lreg_ls", "--verbose");
        assertThat(all.code()).as(all.toString()).isZero();
        assertThat(pages.code()).as(pages.toString()).isZero();
        assertThat(all.out().lines().filter(l -> l.endsWith(":")).count()).isGreaterThan(4);
        assertThat(pages.out()).isEqualTo(all.out());
        assertThat(pages.stderr().lines().filter(l -> l.contains("/v2/_catalog")).count()).as(pages.stderr()).isGreaterThan(2);
    }

    @Test
    void cacheLsInspectIsloadedRmOverIpv6() {
        Bed.Result c = lreg("lreg_cache", "--tls-verify=false", src + "/test/lreg-multi:1");
        assertThat(c.code()).as(c.toString()).isZero();
        Bed.Result ls = lreg("lreg_ls");
        assertThat(ls.code()).as(ls.toString()).isZero();
        assertThat(ls.out()).contains("test/lreg-multi:\n  [\"1\"]\n");
        assertThat(lreg("docker_lsreg").out()).isEqualTo(ls.out());
        assertThat(lreg("lreg_ip").out()).isEqualTo(local + "\n");

        assertThat(lreg("lreg_isloaded", "test/lreg-multi:1").code()).isZero();
        assertThat(lreg("lreg_isloaded", "example.com/test/lreg-multi:1").code()).as("host part stripped").isZero();
        assertThat(lreg("lreg_isloaded", "test/lreg-multi").code()).as("latest").isEqualTo(1);
        assertThat(lreg("lreg_isloaded", "test/lreg-multi:2").code()).isEqualTo(1);

        // the copy is the source's image, byte for byte: same manifest digest
        Bed.Result i = lreg("lreg_inspect", "test/lreg-multi:1");
        assertThat(i.code()).as(i.toString()).isZero();
        JsonNode mine = json(i.out());
        JsonNode theirs = json(Bed.run(Map.of(), null, "skopeo", "inspect", "--tls-verify=false", "docker://" + src + "/test/lreg-multi:1").out());
        assertThat(mine.path("Digest")).isEqualTo(theirs.path("Digest"));
        assertThat(mine.path("Layers")).isEqualTo(theirs.path("Layers"));
        assertThat(mine.path("RepoTags")).isEqualTo(theirs.path("RepoTags"));
        assertThat(mine.path("Architecture")).isEqualTo(theirs.path("Architecture"));

        Bed.Result rm = lreg("lreg_rm", "test/lreg-multi:1");
        assertThat(rm.code()).as(rm.toString()).isZero();
        assertThat(lreg("lreg_isloaded", "test/lreg-multi:1").code()).isEqualTo(1);
    }

    static JsonNode json(String s) {
        try {
            return StoreTrees.JSON.readTree(s);
        } catch (Exception e) {
            return fail("not JSON: " + s);
        }
    }

    @Test
    void uploadFromTheDaemonWithoutSkopeo() {
        Bed.Result u = lreg(Map.of("DOCKER_HOST", Bed.docker()), "lreg_upload", "test/lreg-plain:1");
        assertThat(u.code()).as(u.toString()).isZero();
        // pulled back by make, the image is docker's: same id (config) and layers as from the daemon
        Path x = Bed.tempDir("xtmp");
        Bed.Result m = lreg(Map.of("XCLUSTER_TMP", x.toString()), "make", "--no-pause", "--tls-verify=false", "--tar=" + x.resolve("r.tar"),
                "docker://" + local + "/test/lreg-plain:1");
        assertThat(m.code()).as(m.toString()).isZero();
        Bed.Result d = Bed.images(Map.of("XCLUSTER_TMP", x.toString()), "make", "--no-pause", "--tar=" + x.resolve("d.tar"), "test/lreg-plain:1");
        assertThat(d.code()).as(d.toString()).isZero();
        Path fromReg = NativeStorageTest.unpack(x.resolve("r.tar")).resolve("var/lib/containers/storage");
        Path fromDaemon = NativeStorageTest.unpack(x.resolve("d.tar")).resolve("var/lib/containers/storage");
        assertThat(StoreTrees.layers(fromReg)).isEqualTo(StoreTrees.layers(fromDaemon));
        assertThat(StoreTrees.images(fromReg).get(0).path("id")).isEqualTo(StoreTrees.images(fromDaemon).get(0).path("id"));
        // a second upload finds every blob there
        Bed.Result again = lreg(Map.of("DOCKER_HOST", Bed.docker()), "lreg_upload", "--verbose", "test/lreg-plain:1");
        assertThat(again.code()).as(again.toString()).isZero();
        assertThat(again.stderr()).contains("+ exists sha256:").doesNotContain("+ PUT http://" + local + "/v2/test/lreg-plain/blobs/");
    }

    @Test
    void getimagesMissingimagesPreload() {
        Path ovl = Bed.tempDir("ovl");
        Bed.write(ovl.resolve("default/etc/kubernetes/load/app.yaml"), "spec:\n  containers:\n  - name: a\n    image: \"" + src
                + "/test/lreg-plain:1\"\n  - name: b\n    image: '" + src + "/test/lreg-multi:1'\n  - name: c\n    image: example.com/x:local\n");
        Bed.write(ovl.resolve("other.yaml"), "      image: " + src + "/test/lreg-plain:1\n");
        Bed.Result g = lreg("getimages", ovl.toString());
        assertThat(g.out()).isEqualTo(src + "/test/lreg-multi:1\n" + src + "/test/lreg-plain:1\nexample.com/x:local\n");

        Bed.Result miss = lreg("lreg_missingimages", ovl.toString());
        assertThat(miss.code()).isEqualTo(1);
        assertThat(miss.out().lines()).contains("registry.k8s.io/pause:3.9", src + "/test/lreg-plain:1", "example.com/x:local");

        // the pause image cannot be fetched here (no internet): --keep-going does the rest, exit 1
        Bed.Result pre = lreg("lreg_preload", "--keep-going", "--tls-verify=false", ovl.toString());
        assertThat(pre.code()).as(pre.toString()).isEqualTo(1);
        assertThat(pre.stderr()).contains("=== " + src + "/test/lreg-plain:1", "=== " + src + "/test/lreg-multi:1", "=== registry.k8s.io/pause:3.9")
                .doesNotContain("=== example.com/x:local");
        assertThat(lreg("lreg_isloaded", src + "/test/lreg-plain:1").code()).isZero();
        assertThat(lreg("lreg_missingimages", ovl.toString()).out().lines()).containsExactlyInAnyOrder("registry.k8s.io/pause:3.9", "example.com/x:local");
    }

    @Test
    void cacheFromARegistryWithAPassword() {
        Path auth = Bed.tempDir("auth");
        String password = "lreg-secret-" + System.nanoTime();
        Bed.write(auth.resolve("htpasswd"), Bed.run(Map.of(), null, "htpasswd", "-Bbn", "lregger", password).out());
        String at = Bed.registryAt("127.0.0.1:" + Bed.freePort(), Bed.registryData(),
                "auth:\n  htpasswd:\n    realm: test\n    path: " + auth.resolve("htpasswd") + "\n");
        Bed.write(auth.resolve("auth.json"), "{\"auths\":{\"http://" + at + "/v1/\":{\"auth\":\""
                + Base64.getEncoder().encodeToString(("lregger:" + password).getBytes(StandardCharsets.UTF_8)) + "\"}}}");
        Bed.Result c = lreg(Map.of("REGISTRY_AUTH_FILE", auth.resolve("auth.json").toString()), "lreg_cache", "--verbose", "--tls-verify=false",
                at + "/test/lreg-plain:1");
        assertThat(c.stderr()).doesNotContain(password);
        assertThat(c.code()).as(c.toString()).isZero();
        assertThat(lreg("lreg_isloaded", "test/lreg-plain:1").code()).isZero();
        Bed.Result ls = lreg(Map.of("LOCAL_REGISTRY", at, "REGISTRY_AUTH_FILE", auth.resolve("auth.json").toString()), "lreg_ls");
        assertThat(ls.code()).as(ls.toString()).isZero();
        assertThat(ls.out()).contains("test/lreg-plain:\n  [\"1\"]\n");
        assertThat(lreg(Map.of("LOCAL_REGISTRY", at), "lreg_ls").stderr()).contains("ERROR: Unauthorized [" + at + "]");
    }

    /** mkimage --output=...:FILE --upload pushes the file without skopeo; pulled back, it is the file's image. */
    @Test
    void mkimageOutputUploadWithoutSkopeo() {
        for (String transport : List.of("oci-archive", "docker-archive")) {
            Path x = Bed.tempDir("xtmp");
            Path file = x.resolve("hello.tar");
            String name = "example/hello-" + transport + ":1";
            Bed.Result up = lreg(Map.of("XCLUSTER_TMP", x.toString(), "PATH", System.getenv("PATH"), "SKOPEO", "/nonexistent/skopeo"), "mkimage", "--upload", "--tag=" + name,
                    "--output=" + transport + ":" + file, MkimageTest.HELLO.toString());
            assertThat(up.code()).as(up.toString()).isZero();
            Bed.Result pulled = lreg(Map.of("XCLUSTER_TMP", x.toString()), "make", "--no-pause", "--tls-verify=false", "--tar=" + x.resolve("r.tar"),
                    "docker://" + local + "/" + name);
            assertThat(pulled.code()).as(pulled.toString()).isZero();
            Bed.Result direct = lreg(Map.of("XCLUSTER_TMP", x.toString()), "make", "--no-pause", "--tar=" + x.resolve("f.tar"),
                    transport + ":" + file + ":" + name);
            assertThat(direct.code()).as(direct.toString()).isZero();
            Path fromReg = NativeStorageTest.unpack(x.resolve("r.tar")).resolve("var/lib/containers/storage");
            Path fromFile = NativeStorageTest.unpack(x.resolve("f.tar")).resolve("var/lib/containers/storage");
            assertThat(StoreTrees.layers(fromReg)).as(transport).isEqualTo(StoreTrees.layers(fromFile));
            JsonNode a = StoreTrees.images(fromReg).get(0), b = StoreTrees.images(fromFile).get(0);
            assertThat(a.path("id")).as(transport).isEqualTo(b.path("id"));
            if (transport.equals("oci-archive")) assertThat(a.path("digest")).as("the manifest as it is").isEqualTo(b.path("digest"));
        }
    }
}
