package lib.registry;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.*;
import java.util.*;
import java.util.stream.Stream;
import lib.Fail;
import lib.model.ImageRef;
import lib.exec.Run;
import lib.exec.Xcluster;

/**
 * Today's images.sh commands around the local registry: the images an overlay names
 * (getimages), whether the registry has one (lreg_isloaded), which are missing
 * (lreg_missingimages) and copying them in (lreg_preload).
 */
public final class Lreg {
    private Lreg() {}

    /** getimages OVL|DIR: the sorted, unique `image:` values of the *.yaml files under it, quotes removed. */
    public static List<String> images(Run run, String ovl) {
        Path d = Files.isDirectory(Path.of(ovl)) ? Path.of(ovl) : Xcluster.ovld(run, ovl);
        SortedSet<String> out = new TreeSet<>();
        try (Stream<Path> walk = Files.walk(d)) {
            for (Path f : walk.filter(p -> p.toString().endsWith(".yaml") && Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)).toList()) {
                if (Files.size(f) > 64 << 20) throw Fail.die("Too large [" + f + "]");
                for (String line : new String(Files.readAllBytes(f), StandardCharsets.UTF_8).split("\n")) {
                    int i = line.indexOf(" image:");
                    if (i < 0) continue;
                    String v = line.substring(line.lastIndexOf("image:") + 6).replaceAll("[\"']", "").trim();
                    if (!v.isEmpty()) out.add(v);
                }
            }
        } catch (IOException | java.io.UncheckedIOException e) {
            throw Fail.die("Can't read [" + d + "]: " + e.getMessage());
        }
        return new ArrayList<>(out);
    }

    /** lreg_isloaded: the tag is in the local registry at ADDRESS (the host part stripped, `latest` when no tag). */
    public static boolean isLoaded(Run run, String address, String image) {
        return find(run, address, image) != null;
    }

    /** Where the local registry keeps IMAGE, as lreg_isloaded looks for it: its NAME:TAG there, or null. */
    public static String find(Run run, String address, String image) {
        String img = image.replaceAll("[\"']", "");
        int slash = img.lastIndexOf('/'), colon = img.lastIndexOf(':');
        String name = colon > slash ? img.substring(0, colon) : img, tag = colon > slash ? img.substring(colon + 1) : "latest";
        int first = name.indexOf('/');
        if (first > 0 && name.substring(0, first).matches(".*[.:].*|localhost")) name = name.substring(first + 1);
        // as images.sh asks (NAME as given) and as lreg_cache stores it (docker.io's library/ added)
        for (String n : new LinkedHashSet<>(List.of(name, normalized(name)))) {
            try {
                if (Catalog.pages(Client.of(run, address, false), "/v2/" + n + "/tags/list", "tags", Client.scope(n, "pull")).contains(tag))
                    return n + ":" + tag;
            } catch (Fail f) {
                // not there (404), or not a valid name
            }
        }
        return null;
    }

    private static String normalized(String name) {
        try {
            return ImageRef.parse(name).path();
        } catch (Fail f) {
            return name;
        }
    }

    /** As lreg_missingimages prints it: `:latest` added, `docker.io/` when the part before the tag has no dot. */
    public static String qualified(String image) {
        String fq = image.contains(":") ? image : image + ":latest";
        return fq.split(":", 2)[0].contains(".") ? fq : "docker.io/" + fq;
    }

    /** lreg_missingimages: the pause image and each image of the overlays that the registry lacks, fully qualified. */
    public static List<String> missing(Run run, String address, String pause, List<String> ovls) {
        List<String> all = new ArrayList<>(List.of(pause));
        for (String o : ovls) all.addAll(images(run, o));
        List<String> out = new ArrayList<>();
        for (String i : new LinkedHashSet<>(all)) if (!isLoaded(run, address, i)) out.add(qualified(i));
        return out;
    }

    /**
     * lreg_preload: lreg_cache each missing image (each one with --force), `:local` tags skipped,
     * `=== IMG` before each; stops at the first failure unless keepGoing. Returns the failures.
     * cache: lreg_cache of the local registry at ADDRESS (lib/source/Registry).
     */
    public static int preload(Run run, String address, java.util.function.Consumer<String> cache, String pause, List<String> ovls,
                              boolean force, boolean keepGoing, PrintStream log) {
        List<String> todo = new ArrayList<>();
        if (force) {
            List<String> all = new ArrayList<>(List.of(pause));
            for (String o : ovls) all.addAll(images(run, o));
            new LinkedHashSet<>(all).forEach(i -> todo.add(qualified(i)));
        } else todo.addAll(missing(run, address, pause, ovls));
        int failed = 0;
        for (String i : todo) {
            if (i.endsWith(":local")) continue;
            log.println("=== " + i);
            try {
                cache.accept(i);
            } catch (Fail f) {
                if (!keepGoing) throw f;
                System.err.println("ERROR: " + f.getMessage());
                failed++;
            }
        }
        return failed;
    }
}
