import lib.*;
import lib.store.*;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.*;
import java.nio.file.attribute.FileTime;
import java.util.*;
import lib.Fail;
import lib.store.Storage;
import org.junit.jupiter.api.Test;

/**
 * Random layers (LayerGen) through the native writer and through skopeo into containers-storage:
 * the tree a VM unpacks from our tar (GNU tar as root) equals skopeo's entry by entry (type, mode,
 * owner, size, content, link, device, xattrs, mtime), with the same layers.json, images.json and
 * tar-split records; or both refuse the image. Times skopeo stamps with the time of the pull
 * (whiteout devices, folders it makes implicitly) are not compared.
 *
 * A fixed set of seeds runs by default; `-Ddiff.seeds=N` (or DIFF_SEEDS=N) runs N more from
 * `-Ddiff.from=S` (default 1000), besides REGRESSIONS. A seed that differs prints itself and the
 * first differing entry; `java LayerGen SEED DIR` writes its layers to look at.
 */
class DifferentialTest {
    /**
     * Seeds kept whatever the range run: 2, 6, 9 differed in folder times (children after other
     * entries), 13, 14, 15 in hard links whose header changes their file; 4 and 38 are refused by
     * both (a marker in a whited-out folder; user.* xattrs on a symlink); 1048 differed in the mode
     * of a folder implied under a setgid folder.
     */
    static final long[] REGRESSIONS = {9, 13, 14, 15, 38, 1048};
    static final int DEFAULT_SEEDS = 8; // 1..8 by default

    @Test
    void nativeTreeIsSkopeos() {
        Bed.requireRoot();
        Bed.requireTools("skopeo", "tar", "umount");
        List<Long> seeds = new ArrayList<>();
        for (long s : REGRESSIONS) seeds.add(s);
        String more = System.getProperty("diff.seeds", System.getenv().getOrDefault("DIFF_SEEDS", ""));
        long from = Long.parseLong(System.getProperty("diff.from", more.isEmpty() ? "1" : "1000"));
        int n = more.isEmpty() ? DEFAULT_SEEDS : Integer.parseInt(more);
        for (long s = from; s < from + n; s++) if (!seeds.contains(s)) seeds.add(s);
        List<String> failures = new ArrayList<>();
        int refused = 0;
        for (long seed : seeds) {
            String d = compare(seed);
            if (d == null) {
                System.err.println("DIFF seed " + seed + ": same");
                continue;
            }
            if (d.startsWith("refused")) {
                System.err.println("DIFF seed " + seed + " " + d);
                refused++;
                continue;
            }
            failures.add("seed " + seed + ": " + d);
            System.err.println("DIFF seed " + seed + ": " + d);
        }
        System.err.printf("DIFF %d seeds, %d refused by both, %d differ%n", seeds.size(), refused, failures.size());
        assertThat(failures).isEmpty();
    }

    /** null when both agree, "refused by both: ..." when both refuse, else the first difference. */
    static String compare(long seed) {
        Path dir = Bed.tempDir("diff-" + seed);
        try {
            Path archive = dir.resolve("image.tar");
            String name = "test/diff-" + seed + ":1";
            write(archive, TestImages.archive(name, List.of("/bin/true"), LayerGen.image(seed)));
            long start = System.currentTimeMillis() / 1000 - 2;
            String ours = ours(archive, dir.resolve("native.tar"));
            Bed.Result theirs = NativeStorageTest.skopeoCopy("docker-archive:" + archive,
                    "containers-storage:[overlay@" + dir.resolve("root") + "+" + dir.resolve("run") + "]" + name);
            lib.exec.Temp.unmount(lib.exec.Run.QUIET, dir);
            if (ours != null && theirs.code() != 0) return "refused by both: " + ours + " / skopeo: " + theirs.stderr().trim();
            if (ours != null) return "ours refused, skopeo did not: " + ours;
            if (theirs.code() != 0) return "skopeo refused, ours did not: " + theirs.stderr().trim();
            Path mine = NativeStorageTest.unpack(dir.resolve("native.tar")).resolve("var/lib/containers/storage");
            return differences(mine, dir.resolve("root"), start);
        } finally {
            lib.exec.Temp.unmount(lib.exec.Run.QUIET, dir);
            Bed.run(Map.of(), null, "rm", "-rf", "--one-file-system", dir.toString());
        }
    }

    /** Storage.write in this JVM; the ERROR message when it refuses. */
    static String ours(Path archive, Path out) {
        try (OutputStream os = Files.newOutputStream(out)) {
            Storage.write(lib.exec.Run.QUIET, List.of("docker-archive:" + archive), os);
            return null;
        } catch (Fail f) {
            return f.getMessage();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String differences(Path mine, Path theirs, long start) {
        Map<String, JsonNode> layers = StoreTrees.layers(theirs);
        if (!layers.equals(StoreTrees.layers(mine))) return "layers.json: " + StoreTrees.layers(mine) + " vs " + layers;
        if (!StoreTrees.images(mine).equals(StoreTrees.images(theirs))) return "images.json differs";
        for (String id : layers.keySet()) {
            if (!StoreTrees.tarSplit(mine, id).equals(StoreTrees.tarSplit(theirs, id))) return "tar-split of " + id;
            String d = firstDifference(tree(mine.resolve("overlay/" + id + "/diff")), tree(theirs.resolve("overlay/" + id + "/diff")), start);
            if (d != null) return "layer " + id.substring(0, 12) + ": " + d;
        }
        return null;
    }

    /** Every entry as StoreTrees.files describes it, with its mtime (seconds.nanos) last. */
    static SortedMap<String, String> tree(Path dir) {
        SortedMap<String, String> m = new TreeMap<>(StoreTrees.files(dir));
        m.replaceAll((k, v) -> v + " @" + mtime(dir.resolve(k)));
        return m;
    }

    static String mtime(Path p) {
        try {
            FileTime t = Files.getLastModifiedTime(p, LinkOption.NOFOLLOW_LINKS);
            return t.toInstant().getEpochSecond() + "." + String.format("%09d", t.toInstant().getNano());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The first path whose description differs; an mtime skopeo took from the clock (>= start) matches any. */
    static String firstDifference(SortedMap<String, String> mine, SortedMap<String, String> theirs, long start) {
        SortedSet<String> paths = new TreeSet<>(mine.keySet());
        paths.addAll(theirs.keySet());
        for (String p : paths) {
            String a = mine.get(p), b = theirs.get(p);
            if (a != null && b != null && pullTime(b, start)) {
                a = a.substring(0, a.lastIndexOf(" @"));
                b = b.substring(0, b.lastIndexOf(" @"));
            }
            if (!Objects.equals(a, b)) return "[" + p + "] ours " + a + ", skopeo's " + b;
        }
        return null;
    }

    private static boolean pullTime(String description, long start) {
        String t = description.substring(description.lastIndexOf(" @") + 2);
        return Long.parseLong(t.substring(0, t.indexOf('.'))) >= start;
    }

    private static void write(Path p, byte[] b) {
        try {
            Files.write(p, b);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
