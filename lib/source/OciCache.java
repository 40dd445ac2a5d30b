package lib.source;

import lib.Fail;
import lib.exec.Run;
import lib.exec.Xcluster;
import lib.model.Digest;
import lib.model.Image;
import lib.model.ImageRef;
import lib.model.Platform;
import java.nio.file.*;
import java.util.*;

/**
 * Registry images kept in an OCI layout under $XCLUSTER_TMP, pulled with the toolkit's own
 * registry client (lib/registry): blobs by digest, a tag revalidated against the registry on
 * each run (only missing blobs are fetched), all of make's docker:// items at once (pull()).
 */
public final class OciCache {
    private OciCache() {}

    /** References pulled in this run: read from the cache without asking the registry again. */
    private static final Set<String> pulled = new HashSet<>();

    public static Path dir(Run run) {
        return Xcluster.tmp(run).resolve("oci-cache");
    }

    /** The docker:// items' images, all at once (blobs fetched in parallel, each shared blob once). */
    public static void pull(Run run, Platform platform, List<Item> items, boolean tlsVerify) {
        List<String> refs = new ArrayList<>();
        for (Item i : items)
            if (i.medium() == Item.Medium.REGISTRY && !refs.contains(full(i.ref())) && !pulled.contains(full(i.ref()))) refs.add(full(i.ref()));
        if (refs.isEmpty()) return;
        if (run.dryRun()) {
            System.err.println("dry-run: pull " + String.join(" ", refs) + " into " + dir(run));
            return;
        }
        lib.registry.Pull.into(run, platform, dir(run), refs, tlsVerify);
        pulled.addAll(refs);
    }

    private static String full(String dockerRef) {
        return ImageRef.versioned(dockerRef).full();
    }

    /** A registry image (REF, as in docker://REF) into the cache; returns the layout source to read it from. */
    public static Source fetch(Run run, Platform platform, String dockerRef, boolean tlsVerify) {
        String ref = full(dockerRef);
        pull(run, platform, List.of(Item.parse("docker://" + dockerRef)), tlsVerify);
        Path dir = dir(run);
        Source layout = OciLayout.dir(platform, dir, ref, "oci:" + dir + ":" + ref);
        return new Source() { // an image missing from the cache because a blob failed: that blob's error
            public java.util.List<Image> images(Path tmp) {
                try {
                    return layout.images(tmp);
                } catch (Fail f) {
                    lib.registry.Pull.rethrowFailure();
                    throw f;
                }
            }

            @Override
            public String toString() {
                return layout.toString();
            }
        };
    }
}
