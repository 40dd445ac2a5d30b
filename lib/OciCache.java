package lib;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.*;

/**
 * Registry images kept in an OCI layout under $XCLUSTER_TMP, fetched rootless with
 * `skopeo copy docker://REF oci:CACHE:REF`; an image already there is not fetched again.
 */
public final class OciCache {
    private OciCache() {}

    public static Path dir() {
        return Xcluster.tmp().resolve("oci-cache");
    }

    /** docker://REF into the cache; returns the source `oci:CACHE:REF` to read it from. */
    public static String fetch(String dockerRef, boolean tlsVerify) {
        String ref = ImageRef.versioned(dockerRef.substring("docker://".length())).full();
        Path cache = dir();
        String source = "oci:" + cache + ":" + ref;
        if (cached(cache, ref)) {
            System.err.println("Cached [" + ref + "]");
            return source;
        }
        try {
            Files.createDirectories(cache);
        } catch (IOException e) {
            throw Fail.die("Can't create folder [" + cache + "]: " + e.getMessage());
        }
        Skopeo.skopeo("copy", "--src-tls-verify=" + tlsVerify, "docker://" + ref, source)
                .fails("Fetch failed [" + dockerRef + "]").changes().run();
        return source;
    }

    /** Is REF named in the layout's index.json? */
    static boolean cached(Path cache, String ref) {
        Path index = cache.resolve("index.json");
        if (!Files.isReadable(index)) return false;
        try {
            for (JsonNode m : new ObjectMapper().readTree(index.toFile()).path("manifests"))
                if (ref.equals(m.path("annotations").path("org.opencontainers.image.ref.name").asText())) return true;
            return false;
        } catch (IOException e) {
            throw Fail.die("Can't read [" + index + "]: " + e.getMessage());
        }
    }
}
