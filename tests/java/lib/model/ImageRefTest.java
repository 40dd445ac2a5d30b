package lib.model;

import lib.Fail;
import lib.source.Item;
import static org.assertj.core.api.Assertions.*;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The reference grammar, [DOMAIN/]PATH[:TAG][@DIGEST], with docker's defaults. Cases in the spirit of
 * docker's reference tests and Jib's ImageReferenceTest, written here as one table.
 */
class ImageRefTest {
    static final String D64 = "sha256:" + "0123456789abcdef".repeat(4);

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', nullValues = "-", textBlock = """
            # reference                              | domain            | path                        | tag              | digest | full
            busybox                                  | docker.io         | library/busybox             | -                | -      | docker.io/library/busybox
            alpine:3.8                               | docker.io         | library/alpine              | 3.8              | -      | docker.io/library/alpine:3.8
            nordixorg/mconnect:v1.2                  | docker.io         | nordixorg/mconnect          | v1.2             | -      | docker.io/nordixorg/mconnect:v1.2
            docker.io/library/debian:11              | docker.io         | library/debian              | 11               | -      | docker.io/library/debian:11
            docker.io/debian:11                      | docker.io         | library/debian              | 11               | -      | docker.io/library/debian:11
            test_com                                 | docker.io         | library/test_com            | -                | -      | docker.io/library/test_com
            test.com:tag                             | docker.io         | library/test.com            | tag              | -      | docker.io/library/test.com:tag
            test.com:5000                            | docker.io         | library/test.com            | 5000             | -      | docker.io/library/test.com:5000
            test.com/repo:tag                        | test.com          | repo                        | tag              | -      | test.com/repo:tag
            test:5000/repo                           | test:5000         | repo                        | -                | -      | test:5000/repo
            test.com:5000/repo:tag                   | test.com:5000     | repo                        | tag              | -      | test.com:5000/repo:tag
            localhost/a                              | localhost         | a                           | -                | -      | localhost/a
            localhost:5000/a/b/c:1                   | localhost:5000    | a/b/c                       | 1                | -      | localhost:5000/a/b/c:1
            127.0.0.1:5000/x/y:1.0                   | 127.0.0.1:5000    | x/y                         | 1.0              | -      | 127.0.0.1:5000/x/y:1.0
            [fd00::1]:5000/a:1                       | [fd00::1]:5000    | a                           | 1                | -      | [fd00::1]:5000/a:1
            b.gcr.io/test.example.com/my-app:test.example.com | b.gcr.io | test.example.com/my-app     | test.example.com | -      | b.gcr.io/test.example.com/my-app:test.example.com
            k8s.gcr.io/pause:3.1                     | k8s.gcr.io        | pause                       | 3.1              | -      | k8s.gcr.io/pause:3.1
            a/b-c/d__e/f.g:T_a-g.1                   | docker.io         | a/b-c/d__e/f.g              | T_a-g.1          | -      | docker.io/a/b-c/d__e/f.g:T_a-g.1
            """)
    void validReferences(String ref, String domain, String path, String tag, String digest, String full) {
        ImageRef r = ImageRef.parse(ref);
        assertThat(r).isEqualTo(new ImageRef(domain, path, tag, digest));
        assertThat(r.full()).isEqualTo(full);
        assertThat(ImageRef.parse(full)).as("full() parses back to the same").isEqualTo(r);
    }

    @Test
    void digestsWithAndWithoutATag() {
        assertThat(ImageRef.parse("quay.io/a/b@" + D64)).isEqualTo(new ImageRef("quay.io", "a/b", null, D64));
        ImageRef both = ImageRef.parse("test:5000/repo:tag@" + D64);
        assertThat(both).isEqualTo(new ImageRef("test:5000", "repo", "tag", D64));
        assertThat(both.version()).isEqualTo(":tag@" + D64);
        assertThat(ImageRef.parse("busybox@" + D64).familiar()).isEqualTo("busybox@" + D64);
    }

    /** IPv6 registries: the address in brackets, with or without a port (skopeo 1.9 refuses them, containers/image issue 1004). */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            [::1]:5057/x:1                 | [::1]:5057        | x     | 1
            [::1]/x:1                      | [::1]             | x     | 1
            [fd00::2]:80/a/b:v1.2          | [fd00::2]:80      | a/b   | v1.2
            [FD00:0:0::A]:5000/lib/img:2   | [FD00:0:0::A]:5000 | lib/img | 2
            """)
    void ipv6Registries(String ref, String domain, String path, String tag) {
        ImageRef r = ImageRef.versioned(ref);
        assertThat(r).isEqualTo(new ImageRef(domain, path, tag, null));
        assertThat(r.full()).isEqualTo(ref);
        assertThat(r.withoutHost()).isEqualTo(path + ":" + tag);
        Item item = Item.parse("docker://" + ref);
        assertThat(item.medium()).isEqualTo(Item.Medium.REGISTRY);
        assertThat(item.ref()).isEqualTo(ref);
        assertThat(ImageRef.parse("[::1]:5057/x@" + D64).digest()).isEqualTo(D64);
    }

    @ParameterizedTest(name = "[{0}]")
    @CsvSource({"::1:5057/x:1", "[::1:5057/x:1", "::1]:5057/x:1", "[::1]:/x:1", "[::1]x/y:1", "[]:5000/x:1", "[::g]:5000/x:1", "[::1]:5000"})
    void brokenIpv6References(String ref) {
        assertThatThrownBy(() -> ImageRef.parse(ref)).isInstanceOf(Fail.class).hasMessage("Invalid image reference [" + ref + "]");
    }

    static List<String> invalid() {
        return List.of(":justtag", "@sha256:0123456789abcdef0123456789abcdef", "UPPER/case:1", "docker.io/Library/x", "a:b:c",
                "-leading/dash", "trailing-/x", "a//b", "a/b/", "x:-tag", "x:" + "t".repeat(129),
                "x@sha256:0123456789abcdef0123456789abcde", "x@sha256:" + "g".repeat(64), "x@SHA256:" + "a".repeat(64),
                "with space:1", "https://example.test/a:1");
    }

    @ParameterizedTest(name = "[{0}]")
    @MethodSource("invalid")
    void invalidReferences(String ref) {
        assertThatThrownBy(() -> ImageRef.parse(ref)).isInstanceOf(Fail.class).hasMessage("Invalid image reference [" + ref + "]");
    }

    @Test
    void noImageIsAUsageError() {
        for (String blank : new String[] {null, "", "  "})
            assertThat(catchThrowableOfType(Fail.class, () -> ImageRef.parse(blank))).extracting(f -> f.status, Throwable::getMessage)
                    .containsExactly(2, "No image");
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
            "docker.io/library/alpine:3.8, alpine:3.8",
            "docker.io/library/a/b:1, library/a/b:1",
            "docker.io/nordixorg/mconnect:v1, nordixorg/mconnect:v1",
            "127.0.0.1:5000/x/y:1, 127.0.0.1:5000/x/y:1",
    })
    void familiarNamesAsDockerPrintsThem(String ref, String familiar) {
        assertThat(ImageRef.parse(ref).familiar()).isEqualTo(familiar);
    }

    @Test
    void versionsAndHostStripping() {
        assertThatThrownBy(() -> ImageRef.versioned("busybox")).hasMessage("Image must have a version [busybox] (give a tag, e.g. busybox:latest)");
        assertThat(ImageRef.versioned("busybox@" + D64).hasVersion()).isTrue();
        assertThat(ImageRef.parse("127.0.0.1:5000/x/y:1.0").withoutHost()).isEqualTo("x/y:1.0");
        assertThat(ImageRef.parse("x/y@" + D64).withTag("2")).isEqualTo(new ImageRef("docker.io", "x/y", "2", null));
    }

    /** sha256 of known inputs (FIPS 180-2 examples), as digests and as bare hex. */
    @ParameterizedTest(name = "sha256({0})")
    @CsvSource({
            "'', e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            "abc, ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    })
    void sha256Digests(String in, String hex) {
        byte[] b = in.getBytes(StandardCharsets.UTF_8);
        assertThat(Digest.of(b).toString()).isEqualTo("sha256:" + hex);
        assertThat(Digest.of(b).hex()).isEqualTo(hex);
        assertThat(Digest.of(in).hex()).isEqualTo(hex);
    }
}
