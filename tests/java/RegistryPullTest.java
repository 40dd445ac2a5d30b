import static org.assertj.core.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.*;
import java.util.*;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * make docker://REF with the toolkit's own registry client: no skopeo on the PATH, no docker
 * daemon. The registry is Debian's docker-registry, seeded by skopeo (the test's side); the tree
 * must equal skopeo's own copy of the same image into containers-storage. Also: an index, a
 * corrupt blob, IPv6, a registry that wants a password.
 */
class RegistryPullTest {
    static String reg;
    static Path noTools;

    @BeforeAll
    static void seed() {
        Bed.requireTools("skopeo", "tar", "umount");
        Bed.docker();
        reg = Bed.registry();
        TestImages.multi("test/pull-multi:1");
        TestImages.plain("test/pull-plain:1", "pull-says-hi");
        TestImages.load("test/pull-corrupt:1", List.of("/bin/echo", "x"),
                List.of(TestImages.base(), new TestImages.Layer().file("only-here.txt", 0644, "corrupt me " + System.nanoTime() + "\n").bytes()));
        for (String img : List.of("test/pull-multi:1", "test/pull-plain:1", "test/pull-corrupt:1"))
            skopeo("copy", "--src-daemon-host", Bed.docker(), "--dest-tls-verify=false", "docker-daemon:" + img, "docker://" + reg + "/" + img);
        index("test/pull-index:1");
        noTools = Bed.tempDir("no-tools"); // the PATH of the client side: no skopeo, no docker
    }

    static void skopeo(String... args) {
        List<String> argv = new ArrayList<>(List.of("skopeo", "--insecure-policy"));
        argv.addAll(Arrays.asList(args));
        Bed.Result r = Bed.run(Map.of(), null, argv.toArray(String[]::new));
        assertThat(r.code()).as("skopeo " + String.join(" ", args) + ": " + r).isZero();
    }

    /**
     * A two-platform OCI index in the registry: linux/arm64 is test/pull-plain:1, the host's
     * platform (linux/amd64 here) test/pull-multi:1; pushed with skopeo copy --all.
     */
    static void index(String name) {
        Path oci = Bed.tempDir("index-oci");
        skopeo("copy", "--src-tls-verify=false", "docker://" + reg + "/test/pull-multi:1", "oci:" + oci + ":multi");
        skopeo("copy", "--src-tls-verify=false", "docker://" + reg + "/test/pull-plain:1", "oci:" + oci + ":plain");
        JsonNode idx = StoreTrees.json(oci.resolve("index.json"));
        StringBuilder manifests = new StringBuilder();
        for (JsonNode m : idx.path("manifests")) {
            String arch = m.path("annotations").path("org.opencontainers.image.ref.name").asText().equals("multi") ? "amd64" : "arm64";
            if (manifests.length() > 0) manifests.append(',');
            manifests.append("{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"").append(m.path("digest").asText())
                    .append("\",\"size\":").append(m.path("size").asLong()).append(",\"platform\":{\"architecture\":\"").append(arch)
                    .append("\",\"os\":\"linux\"}}");
        }
        byte[] index = ("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":[" + manifests + "]}")
                .getBytes(StandardCharsets.UTF_8);
        String sha = TestImages.sha256(index);
        Bed.write(oci.resolve("blobs/sha256/" + sha), new String(index, StandardCharsets.UTF_8));
        Bed.write(oci.resolve("index.json"), "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"application/vnd.oci.image.index.v1+json\","
                + "\"digest\":\"sha256:" + sha + "\",\"size\":" + index.length + ",\"annotations\":{\"org.opencontainers.image.ref.name\":\"idx\"}}]}");
        skopeo("copy", "--all", "--dest-tls-verify=false", "oci:" + oci + ":idx", "docker://" + reg + "/" + name);
    }

    /** images ARGS on the client side: no skopeo or docker on the PATH, no daemon, a cache of its own. */
    static Bed.Result client(Path xtmp, Map<String, String> env, String... args) {
        Map<String, String> e = new HashMap<>(Map.of("PATH", noTools.toString(), "DOCKER_HOST", "unix:///nonexistent/docker.sock",
                "XCLUSTER_TMP", xtmp.toString(), "HOME", xtmp.toString()));
        e.putAll(env);
        return Bed.images(e, args);
    }

    /** The tree make writes of these docker:// references, unpacked (--plain: the tree as skopeo writes it, no VM whiteouts). */
    static Path make(Path xtmp, Map<String, String> env, String... refs) {
        List<String> args = new ArrayList<>(List.of("make", "--plain", "--no-pause", "--tls-verify=false", "--tar=" + xtmp.resolve("images.tar")));
        for (String r : refs) args.add("docker://" + r);
        Bed.Result r = client(xtmp, env, args.toArray(String[]::new));
        assertThat(r.code()).as(r.toString()).isZero();
        return NativeStorageTest.unpack(xtmp.resolve("images.tar")).resolve("var/lib/containers/storage");
    }

    /** skopeo's own copy of the same references into containers-storage. */
    static Path skopeoTree(String... refs) {
        Path t = Bed.tempDir("skopeo-pull");
        for (String ref : refs)
            skopeo("copy", "-q", "--src-tls-verify=false", "docker://" + ref,
                    "containers-storage:[overlay@" + t.resolve("root") + "+" + t.resolve("run") + "]" + ref);
        lib.exec.Temp.unmount(lib.exec.Run.QUIET, t);
        return t.resolve("root");
    }

    static void same(Path mine, Path theirs) {
        Map<String, JsonNode> layers = StoreTrees.layers(mine);
        assertThat(layers).isNotEmpty().isEqualTo(StoreTrees.layers(theirs));
        assertThat(StoreTrees.images(mine)).isEqualTo(StoreTrees.images(theirs));
        for (JsonNode img : StoreTrees.images(mine)) {
            String id = img.path("id").asText();
            assertThat(StoreTrees.files(mine.resolve("overlay-images/" + id))).isEqualTo(StoreTrees.files(theirs.resolve("overlay-images/" + id)));
        }
        for (String id : layers.keySet()) {
            assertThat(StoreTrees.files(mine.resolve("overlay/" + id + "/diff"))).isEqualTo(StoreTrees.files(theirs.resolve("overlay/" + id + "/diff")));
            assertThat(StoreTrees.tarSplit(mine, id)).isEqualTo(StoreTrees.tarSplit(theirs, id));
        }
        assertThat(StoreTrees.layout(mine)).isEqualTo(StoreTrees.layout(theirs));
    }

    @Test
    void sameTreeAsSkopeoWithoutSkopeo() {
        Path xtmp = Bed.tempDir("xtmp");
        String multi = reg + "/test/pull-multi:1", plain = reg + "/test/pull-plain:1";
        same(make(xtmp, Map.of(), multi, plain), skopeoTree(multi, plain));
        // the cache keeps blobs by digest; a second run revalidates the tags and fetches nothing
        Bed.Result again = client(xtmp, Map.of(), "make", "--verbose", "--no-pause", "--tls-verify=false",
                "--tar=" + xtmp.resolve("again.tar"), "docker://" + multi, "docker://" + plain);
        assertThat(again.code()).as(again.toString()).isZero();
        assertThat(again.stderr()).contains("Cached [" + multi + "]", "Cached [" + plain + "]", "GET http://" + reg + "/v2/test/pull-multi/manifests/1")
                .doesNotContain("/blobs/");
    }

    @Test
    void byDigest() throws Exception {
        Path xtmp = Bed.tempDir("xtmp");
        String multi = reg + "/test/pull-multi:1";
        make(xtmp, Map.of(), multi);
        String digest = "sha256:" + TestImages.sha256(Files.readAllBytes(blob(xtmp, manifestOf(xtmp, multi))));
        Path byDigest = make(Bed.tempDir("xtmp"), Map.of(), reg + "/test/pull-multi@" + digest);
        assertThat(StoreTrees.images(byDigest).get(0).path("digest").asText()).isEqualTo(digest);
    }

    static String manifestOf(Path xtmp, String ref) {
        for (JsonNode m : StoreTrees.json(xtmp.resolve("oci-cache/index.json")).path("manifests"))
            if (m.path("annotations").path("org.opencontainers.image.ref.name").asText().equals(ref)) return m.path("digest").asText();
        return fail("no " + ref + " in the cache");
    }

    static Path blob(Path xtmp, String digest) {
        return xtmp.resolve("oci-cache/blobs/sha256/" + digest.substring(7));
    }

    @Test
    void anIndexLikeSkopeo() {
        Path xtmp = Bed.tempDir("xtmp");
        String idx = reg + "/test/pull-index:1";
        Path mine = make(xtmp, Map.of(), idx);
        same(mine, skopeoTree(idx));
        assertThat(StoreTrees.layers(mine)).hasSize(2); // multi's two layers: the amd64 entry
        Bed.Result arm = client(xtmp, Map.of(), "make", "--no-pause", "--tls-verify=false", "--platform=linux/arm64",
                "--tar=" + xtmp.resolve("arm.tar"), "docker://" + idx);
        assertThat(arm.code()).as(arm.toString()).isZero();
        Path t = NativeStorageTest.unpack(xtmp.resolve("arm.tar")).resolve("var/lib/containers/storage");
        assertThat(StoreTrees.layers(t)).hasSize(1);
        Bed.Result none = client(xtmp, Map.of(), "make", "--no-pause", "--tls-verify=false", "--platform=linux/s390x",
                "--tar=" + xtmp.resolve("none.tar"), "docker://" + idx);
        assertThat(none.code()).isEqualTo(1);
        assertThat(none.stderr()).contains("ERROR: No image for linux/s390x in [docker://" + idx, "linux/amd64, linux/arm64");
    }

    @Test
    void aBlobThatIsNotItsDigestIsRefusedAndNotCached() throws Exception {
        Path xtmp = Bed.tempDir("xtmp");
        String ref = reg + "/test/pull-corrupt:1";
        // the top layer of the image, as the registry keeps it: flip its last byte
        Path probe = Bed.tempDir("xtmp");
        make(probe, Map.of(), ref);
        JsonNode manifest = StoreTrees.json(blob(probe, manifestOf(probe, ref)));
        String top = manifest.path("layers").get(1).path("digest").asText();
        Path data = Bed.registryData().resolve("docker/registry/v2/blobs/sha256/" + top.substring(7, 9) + "/" + top.substring(7) + "/data");
        byte[] b = Files.readAllBytes(data);
        b[b.length - 1] ^= 1;
        Files.write(data, b);

        Path out = xtmp.resolve("images.tar");
        Bed.Result r = client(xtmp, Map.of(), "make", "--no-pause", "--tls-verify=false", "--tar=" + out, "docker://" + ref);
        assertThat(r.code()).as(r.toString()).isEqualTo(1);
        assertThat(r.stderr()).contains("ERROR: Digest mismatch [docker://" + ref + ": " + top + "]: the blob is sha256:");
        assertThat(out).doesNotExist();
        assertThat(blob(xtmp, top)).doesNotExist();
        try (var s = Files.list(xtmp.resolve("oci-cache/blobs/sha256"))) {
            assertThat(s.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith(".partial"));
        }
        assertThat(Files.exists(xtmp.resolve("oci-cache/index.json")) ? Files.readString(xtmp.resolve("oci-cache/index.json")) : "")
                .doesNotContain(ref);
    }

    @Test
    void anIpv6Registry() {
        String v6 = Bed.registryAt("[::1]:" + Bed.freePort(), Bed.registryData(), "");
        Path xtmp = Bed.tempDir("xtmp");
        Path mine = make(xtmp, Map.of(), v6 + "/test/pull-multi:1");
        JsonNode img = StoreTrees.images(mine).get(0);
        assertThat(img.path("names").get(0).asText()).isEqualTo(v6 + "/test/pull-multi:1");
        assertThat(StoreTrees.layers(mine)).isEqualTo(StoreTrees.layers(skopeoTree(reg + "/test/pull-multi:1")));
    }

    @Test
    void aRegistryWithAPassword() throws Exception {
        Path auth = Bed.tempDir("auth");
        Bed.Result h = Bed.run(Map.of(), null, "htpasswd", "-Bbn", "tester", "s3cret-pass");
        Bed.require(h.code() == 0, "htpasswd -B (apache2-utils) not working: " + h);
        Bed.write(auth.resolve("htpasswd"), h.out());
        String at = Bed.registryAt("127.0.0.1:" + Bed.freePort(), Bed.registryData(),
                "auth:\n  htpasswd:\n    realm: test\n    path: " + auth.resolve("htpasswd") + "\n");
        String ref = at + "/test/pull-plain:1";

        Bed.Result anon = client(Bed.tempDir("xtmp"), Map.of(), "make", "--no-pause", "--tls-verify=false", "--tar=-", "docker://" + ref);
        assertThat(anon.code()).isEqualTo(1);
        assertThat(anon.stderr()).contains("ERROR: Unauthorized [" + at + "]: no credentials for it");

        String b64 = Base64.getEncoder().encodeToString("tester:s3cret-pass".getBytes(StandardCharsets.UTF_8));
        Path file = auth.resolve("auth.json");
        Bed.write(file, "{\"auths\":{\"" + at + "\":{\"auth\":\"" + b64 + "\"}}}");
        Path xtmp = Bed.tempDir("xtmp");
        Bed.Result r = client(xtmp, Map.of("REGISTRY_AUTH_FILE", file.toString()), "make", "--verbose", "--no-pause",
                "--tls-verify=false", "--tar=" + xtmp.resolve("images.tar"), "docker://" + ref);
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.stderr()).doesNotContain("s3cret-pass", b64);

        // docker's config.json under the home folder, through a credential helper
        Path home = Bed.tempDir("home");
        Bed.write(home.resolve(".docker/config.json"), "{\"credHelpers\":{\"" + at + "\":\"testhelper\"}}");
        Bed.write(noTools.resolve("docker-credential-testhelper"),
                "#!/bin/sh\nread host\n[ \"$host\" = \"" + at + "\" ] || exit 1\necho '{\"ServerURL\":\"'$host'\",\"Username\":\"tester\",\"Secret\":\"s3cret-pass\"}'\n");
        Bed.run(Map.of(), null, "chmod", "755", noTools.resolve("docker-credential-testhelper").toString());
        Path x2 = Bed.tempDir("xtmp");
        Bed.Result viaHelper = client(x2, Map.of("HOME", home.toString(), "PATH", noTools.toString()), "make", "--no-pause",
                "--tls-verify=false", "--tar=" + x2.resolve("images.tar"), "docker://" + ref);
        assertThat(viaHelper.code()).as(viaHelper.toString()).isZero();
    }
}
