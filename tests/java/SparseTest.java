import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.*;
import java.util.*;
import org.junit.jupiter.api.Test;

/**
 * Sparse files as GNU tar writes them, against the Go library (issue 23): a layer of PAX sparse
 * files (GNU sparse 0.0, 0.1, 1.0) through `images make --plain` gives skopeo's containers-storage
 * tree entry by entry (contents, sizes, modes, owners, times) and the same layers.json and
 * images.json, and `images verify` accepts it. The tar-split records differ on purpose: ours keeps
 * the stored form of a sparse file, so `containers-storage diff` rebuilds the layer exactly from
 * our store; skopeo 1.9's records the expanded file and rebuilds another tar (checked here: when
 * skopeo's rebuilds exactly too, the records must be equal). An old GNU sparse layer (type 'S'),
 * which containers/storage refuses ("unhandled tar header type 83"), is refused by both, ours in
 * one `ERROR:` line naming the item, the layer and the entry.
 */
class SparseTest {
    /** Files with holes: data in the middle and at the end, nothing but a hole, a hole then data, in a folder. */
    static Path files() throws IOException {
        Path src = Bed.tempDir("sparse-src");
        sparse(src.resolve("holes"), 3 << 20, Map.of(1L << 20, "hello", 3_000_000L, "end"));
        sparse(src.resolve("allhole"), 1 << 20, Map.of());
        Files.createDirectories(src.resolve("dir"));
        sparse(src.resolve("dir/tail"), 2 << 20, Map.of((2L << 20) - 4, "tail"));
        Files.writeString(src.resolve("dir/small"), "not sparse");
        return src;
    }

    static void sparse(Path p, long size, Map<Long, String> data) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
            f.setLength(size);
            for (var e : data.entrySet()) {
                f.seek(e.getKey());
                f.write(e.getValue().getBytes(StandardCharsets.US_ASCII));
            }
        }
    }

    /** A layer as GNU tar writes the folder with --sparse in a format ("posix" with a sparse version, or "gnu"). */
    static byte[] layer(Path src, String format, String version) {
        List<String> argv = new ArrayList<>(List.of("tar", "--sparse", "--format=" + format, "--numeric-owner",
                "--owner=0", "--group=0", "--sort=name", "-C", src.toString(), "-cf", "-"));
        if (version != null) argv.add(2, "--sparse-version=" + version);
        argv.add(".");
        Bed.Result r = Bed.run(Map.of(), null, argv.toArray(String[]::new));
        assertThat(r.code()).as(r.toString()).isZero();
        return r.stdout();
    }

    @Test
    void paxSparseFilesGiveSkopeosTree() throws IOException {
        Bed.requireRoot();
        Bed.requireTools("skopeo", "tar", "umount", "containers-storage");
        Path src = files();
        List<String> failures = new ArrayList<>();
        for (String version : List.of("0.0", "0.1", "1.0")) {
            byte[] layer = layer(src, "posix", version);
            String text = new String(layer, StandardCharsets.ISO_8859_1);
            Bed.require(text.contains("GNU.sparse"), "GNU tar wrote no sparse file here (a file system without holes?)");
            if (version.equals("1.0")) assertThat(text).contains("GNUSparseFile.");
            String d = compare("sparse-" + version.replace(".", ""), layer);
            System.err.println("SPARSE " + version + ": " + (d == null ? "same" : d));
            if (d != null) failures.add(version + ": " + d);
        }
        assertThat(failures).isEmpty();
    }

    @Test
    void oldGnuSparseIsRefusedAsContainersStorageRefusesIt() throws IOException {
        Bed.requireRoot();
        Bed.requireTools("skopeo", "tar", "umount");
        byte[] layer = layer(files(), "gnu", null);
        Bed.require(new String(layer, StandardCharsets.ISO_8859_1).contains("holes"), "no layer");
        Path dir = Bed.tempDir("sparse-gnu");
        try {
            Path archive = dir.resolve("image.tar");
            Files.write(archive, TestImages.archive("test/sparse-gnu:1", List.of("/bin/true"), List.of(layer)));
            Bed.Result theirs = NativeStorageTest.skopeoCopy("docker-archive:" + archive,
                    "containers-storage:[overlay@" + dir.resolve("root") + "+" + dir.resolve("run") + "]test/sparse-gnu:1");
            assertThat(theirs.code()).as(theirs.toString()).isNotZero();
            assertThat(theirs.stderr()).contains("unhandled tar header type 83");
            Bed.Result ours = Bed.images("make", "--no-pause", "--plain", "--tar=" + dir.resolve("out.tar"), "docker-archive:" + archive);
            assertThat(ours.code()).as(ours.toString()).isEqualTo(1);
            assertThat(ours.stderr().lines().toList()).as(ours.toString()).hasSize(1);
            assertThat(ours.stderr()).startsWith("ERROR: Can't read layer [docker-archive:" + archive + ": ")
                    .contains("/layer.tar]", "allhole]", "old GNU sparse");
            assertThat(dir.resolve("out.tar")).doesNotExist();
        } finally {
            lib.exec.Temp.unmount(lib.exec.Run.QUIET, dir);
            Bed.run(Map.of(), null, "rm", "-rf", "--one-file-system", dir.toString());
        }
    }

    /** The sha256 of the layer tar containers/storage rebuilds from a store's tar-split and diff/ (`containers-storage diff`). */
    static String rebuilt(Path root, Path run, String id) throws IOException {
        Bed.Result r = Bed.run(Map.of(), null, "containers-storage", "--graph", root.toString(), "--run", run.toString(),
                "--storage-driver", "overlay", "diff", "-u", id);
        assertThat(r.code()).as(r.toString()).isZero();
        return "sha256:" + TestImages.sha256(r.stdout());
    }

    /** null when `images make --plain` and skopeo give the same store, else the first difference. */
    static String compare(String tag, byte[] layer) throws IOException {
        Path dir = Bed.tempDir(tag);
        try {
            Path archive = dir.resolve("image.tar");
            String name = "test/" + tag + ":1";
            Files.write(archive, TestImages.archive(name, List.of("/bin/true"), List.of(layer)));
            long start = System.currentTimeMillis() / 1000 - 2;
            Path out = dir.resolve("native.tar");
            Bed.Result ours = Bed.images("make", "--no-pause", "--plain", "--tar=" + out, "docker-archive:" + archive);
            Bed.Result theirs = NativeStorageTest.skopeoCopy("docker-archive:" + archive,
                    "containers-storage:[overlay@" + dir.resolve("root") + "+" + dir.resolve("run") + "]" + name);
            lib.exec.Temp.unmount(lib.exec.Run.QUIET, dir);
            if (ours.code() != 0 || theirs.code() != 0) return "ours: " + ours + "\nskopeo: " + theirs;
            Bed.Result verify = Bed.images("verify", out.toString());
            if (verify.code() != 0) return "verify: " + verify;
            Path mine = NativeStorageTest.unpack(out).resolve("var/lib/containers/storage"), root = dir.resolve("root");
            Map<String, com.fasterxml.jackson.databind.JsonNode> layers = StoreTrees.layers(root);
            if (!layers.equals(StoreTrees.layers(mine))) return "layers.json: " + StoreTrees.layers(mine) + " vs " + layers;
            if (!StoreTrees.images(mine).equals(StoreTrees.images(root))) return "images.json differs";
            String id = layers.keySet().iterator().next();
            String d = DifferentialTest.firstDifference(DifferentialTest.tree(mine.resolve("overlay/" + id + "/diff")),
                    DifferentialTest.tree(root.resolve("overlay/" + id + "/diff")), start);
            if (d != null) return d;
            // The tar-split records differ on purpose: ours keeps a sparse file's stored form, so containers/storage
            // rebuilds the layer exactly; skopeo's (tar-split) records the expanded file and rebuilds another tar
            if (!rebuilt(mine, dir.resolve("run-mine"), id).equals("sha256:" + TestImages.sha256(layer))) return "our tar-split does not rebuild the layer";
            if (rebuilt(root, dir.resolve("run"), id).equals("sha256:" + TestImages.sha256(layer))
                    && !StoreTrees.tarSplit(mine, id).equals(StoreTrees.tarSplit(root, id)))
                return "skopeo's tar-split rebuilds the layer too, and differs from ours";
            return null;
        } finally {
            lib.exec.Temp.unmount(lib.exec.Run.QUIET, dir);
            Bed.run(Map.of(), null, "rm", "-rf", "--one-file-system", dir.toString());
        }
    }
}
