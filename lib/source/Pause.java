package lib.source;

import lib.Fail;
import lib.exec.Run;
import lib.model.Platform;
import lib.model.ImageRef;
import java.nio.file.Path;
import java.util.List;

/**
 * Where make takes the pause image from, when it is given as a plain reference (the default
 * registry.k8s.io/pause:3.9): the local registry first (as lreg_cache stored it, found as
 * lreg_isloaded finds it; pulled with the registry client over plain http), else the docker
 * daemon as any other REF:VERSION item. docker://, docker-daemon:, archives and overlays keep
 * their meaning. --verbose says which it was.
 */
public final class Pause {
    private Pause() {}

    /** The local registry's copy of the pause image, stored under the pause image's own name; null when it has none. */
    public static Source local(Run run, Platform platform, Item item) {
        if (!plain(item)) return null;
        Registry reg = registry(run);
        String path = reg == null ? null : lib.registry.Lreg.find(run, reg.address(), item.ref());
        if (path == null) {
            say(run, "the pause image [" + item.ref() + "]: not in the local registry" + (reg == null ? " (none found)" : " [" + reg.address() + "]")
                    + ", from the docker daemon");
            return null;
        }
        String from = reg.address() + "/" + path, name = ImageRef.stored(item.ref());
        say(run, "the pause image [" + item.ref() + "]: from the local registry, docker://" + from);
        Source s = OciCache.fetch(run, platform, from, false);
        return new Source() {
            public List<lib.model.Image> images(Path tmp) {
                return s.images(tmp).stream().map(i -> i.named(List.of(name))).toList();
            }

            @Override
            public String toString() {
                return s + " as " + name;
            }
        };
    }

    /** A plain REF:VERSION (not docker-daemon:, docker://, an archive or an overlay): the one the local registry is asked for. */
    public static boolean plain(Item item) {
        return item.medium() == Item.Medium.DAEMON && !item.text().startsWith("docker-daemon:");
    }

    /** $LOCAL_REGISTRY, else the docker container `registry`; null when there is neither (no docker is no error here). */
    private static Registry registry(Run run) {
        try {
            return Registry.local(run);
        } catch (Fail f) {
            return null;
        }
    }

    private static void say(Run run, String line) {
        run.say("+ " + line);
    }
}
