package lib.source;

import lib.Fail;
import lib.exec.Skopeo;
import lib.exec.Xcluster;
import lib.model.ImageRef;
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

    /** A registry image (REF, as in docker://REF) into the cache; returns the layout source to read it from. */
    public static Source fetch(String dockerRef, boolean tlsVerify) {
        String ref = ImageRef.versioned(dockerRef).full();
        Path cache = dir();
        String source = "oci:" + cache + ":" + ref;
        if (OciLayout.has(cache, ref)) {
            System.err.println("Cached [" + ref + "]");
            return OciLayout.dir(cache, ref, source);
        }
        try {
            Files.createDirectories(cache);
        } catch (IOException e) {
            throw Fail.die("Can't create folder [" + cache + "]: " + e.getMessage());
        }
        Skopeo.skopeo("copy", "--src-tls-verify=" + tlsVerify, "docker://" + ref, source)
                .fails("Fetch failed [docker://" + dockerRef + "]").changes().run();
        return OciLayout.dir(cache, ref, source);
    }
}
