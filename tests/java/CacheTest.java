import static org.assertj.core.api.Assertions.*;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.*;
import java.nio.file.attribute.FileTime;
import java.util.*;
import java.util.concurrent.*;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * make's layer cache (lib/cache): a cached make gives the bytes of a make with no cache (daemon
 * images, an archive, an overlay), reads only what it lacks (no `docker save` when all is
 * cached), and a cache that is damaged, half written, shared by two makes at once or not the
 * user's own never changes the output.
 */
class CacheTest {
    static final Path EXAMPLES = Bed.REPO.resolve("examples");
    static Path archive, big;
    static List<String> items;
    static Path reference; // the tar of `items` with --no-cache

    @BeforeAll
    static void images() throws IOException {
        Bed.docker();
        TestImages.multi("test/cmulti:1");
        TestImages.load("test/cplain:1", List.of("/bin/echo", "hi"),
                List.of(TestImages.base(), new TestImages.Layer().file("plain.txt", 0644, "plain\n").bytes()));
        archive = Bed.WORK.resolve("cache-archive.tar");
        Files.write(archive, TestImages.archive("test/carchive:1", List.of("/bin/sh"),
                List.of(TestImages.base(), new TestImages.Layer().file("a.txt", 0644, "archive\n").bytes())));
        items = List.of("test/cmulti:1", "test/cplain:1", "docker-archive:" + archive, "hello=example/hello:1");
        Bed.Result r = make(Bed.tempDir("nocache"), "--no-cache", items);
        assertThat(r.code()).as(r.toString()).isZero();
        reference = out(r);
    }

    @Test
    void aCachedMakeGivesTheSameBytesAndSavesNothing() throws IOException {
        Path cache = Bed.tempDir("c");
        Bed.Result first = make(cache, null, items);
        assertThat(first.code()).as(first.toString()).isZero();
        assertThat(Files.mismatch(out(first), reference)).isEqualTo(-1);
        assertThat(first.stderr()).contains("cache miss [docker-daemon:test/cmulti:1]: 0 of 2 layers cached", "+ docker save");
        assertThat(Files.getPosixFilePermissions(cache.resolve("xcluster-images/make"))).isEqualTo(
                java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));

        Bed.Result again = make(cache, null, items);
        assertThat(again.code()).as(again.toString()).isZero();
        assertThat(Files.mismatch(out(again), reference)).isEqualTo(-1);
        assertThat(again.stderr()).contains("cache hit [docker-daemon:test/cmulti:1]: 2 of 2 layers cached",
                "cache hit [docker-daemon:test/cplain:1]", "cache hit [docker-archive:" + archive, "cache hit [overlay example/hello:1")
                .doesNotContain("docker save").doesNotContain("cache miss");
        // the VM boot step's summary is the same: the whiteouts made for test/cmulti's opaque folder counted on a hit too
        assertThat(vmSummary(first)).matches(".* [1-9][0-9]* whiteouts for opaque folders;.*").isEqualTo(vmSummary(again));
    }

    static String vmSummary(Bed.Result r) {
        return r.stderr().lines().filter(l -> l.startsWith("VM boot step: ")).findFirst().orElse("(none in: " + r.stderr() + ")");
    }

    @Test
    void onlyTheMissingImagesAreSavedInOneDockerSave() throws IOException {
        Path cache = Bed.tempDir("c");
        assertThat(make(cache, null, List.of("test/cmulti:1")).code()).isZero();
        Bed.Result r = make(cache, null, items);
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(Files.mismatch(out(r), reference)).isEqualTo(-1);
        assertThat(r.stderr()).contains("cache hit [docker-daemon:test/cmulti:1]", "cache miss [docker-daemon:test/cplain:1]",
                "+ docker save test/cplain:1\n");
    }

    @Test
    void aDamagedOrTruncatedEntryIsReadAgainNeverUsed() throws IOException {
        Path cache = Bed.tempDir("c");
        assertThat(make(cache, null, items).code()).isZero();
        List<Path> entries = entries(cache);
        assertThat(entries.size()).isGreaterThanOrEqualTo(5);
        Path truncated = entries.get(0), flipped = entries.get(1);
        long size = Files.size(truncated);
        try (RandomAccessFile f = new RandomAccessFile(truncated.toFile(), "rw")) {
            f.setLength(size / 2);
        }
        try (RandomAccessFile f = new RandomAccessFile(flipped.toFile(), "rw")) {
            f.seek(700); // in the body: a header or file byte
            int b = f.read();
            f.seek(700);
            f.write(b ^ 1);
        }
        Bed.Result r = make(cache, null, items);
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(Files.mismatch(out(r), reference)).isEqualTo(-1);
        assertThat(r.stderr()).contains("damaged cache entry removed [" + truncated, "damaged cache entry removed [" + flipped);
        assertThat(Files.size(truncated)).isEqualTo(size); // made again
        Bed.Result last = make(cache, null, items);
        assertThat(last.stderr()).doesNotContain("damaged").doesNotContain("cache miss");
        assertThat(Files.mismatch(out(last), reference)).isEqualTo(-1);
    }

    @Test
    void aMakeKilledWhileItWritesAnEntryLeavesNoHalfEntry() throws Exception {
        byte[] data = new byte[96 << 20];
        new Random(7).nextBytes(data);
        Path bigArchive = Bed.WORK.resolve("cache-big.tar");
        Files.write(bigArchive, TestImages.archive("test/cbig:1", List.of("/bin/sh"), List.of(new TestImages.Layer().file("big", 0644, 0, 0, data).bytes())));
        data = null;
        Path cache = Bed.tempDir("c"), tmp = cache.resolve("xcluster-images/make/tmp");
        Process p = startWhileItWrites(cache, bigArchive);
        p.destroy(); // SIGTERM, as Ctrl-C: the temporary file goes as the JVM exits
        p.waitFor();
        assertThat(hasPart(tmp)).as("Ctrl-C leaves no temporary file").isFalse();
        assertThat(entries(cache)).as("no entry but whole ones").isEmpty();
        p = startWhileItWrites(cache, bigArchive);
        p.destroyForcibly().waitFor(); // SIGKILL: the temporary file stays, but no entry
        assertThat(hasPart(tmp)).isTrue();
        assertThat(entries(cache)).as("no entry but whole ones").isEmpty();

        Bed.Result r = make(cache, null, List.of("docker-archive:" + bigArchive));
        assertThat(r.code()).as(r.toString()).isZero();
        Bed.Result nocache = make(Bed.tempDir("n"), "--no-cache", List.of("docker-archive:" + bigArchive));
        assertThat(Files.mismatch(out(r), out(nocache))).isEqualTo(-1);
        Bed.Result hit = make(cache, null, List.of("docker-archive:" + bigArchive));
        assertThat(hit.stderr()).contains("cache hit").doesNotContain("damaged");
        assertThat(Files.mismatch(out(hit), out(nocache))).isEqualTo(-1);

        // the killed make's temporary file: the next use of the cache removes it once it is an hour old, never a running make's
        assertThat(Bed.images(Map.of("XDG_CACHE_HOME", cache.toString()), "cache").out()).contains(" 1 temporary,");
        try (var s = Files.list(tmp)) {
            for (Path part : s.toList()) Files.setLastModifiedTime(part, FileTime.fromMillis(System.currentTimeMillis() - 7200_000));
        }
        Bed.Result show = Bed.images(Map.of("XDG_CACHE_HOME", cache.toString()), "cache");
        assertThat(show.code()).as(show.toString()).isZero();
        assertThat(show.out()).contains(" 0 temporary,");
        assertThat(entries(cache)).isNotEmpty();
    }

    /** make of the archive, started; returns once it writes a cache entry. */
    private static Process startWhileItWrites(Path cache, Path archive) throws Exception {
        Path tmp = cache.resolve("xcluster-images/make/tmp");
        List<String> argv = Bed.java("images");
        argv.addAll(List.of("make", "--no-pause", "--tar=" + Bed.tempDir("o").resolve("x.tar"), "docker-archive:" + archive));
        ProcessBuilder pb = new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(Bed.WORK.resolve("killed.log").toFile());
        pb.environment().put("XDG_CACHE_HOME", cache.toString());
        Process p = pb.start();
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < end && p.isAlive() && !hasPart(tmp)) Thread.sleep(2);
        assertThat(hasPart(tmp)).as("an entry being written").isTrue();
        return p;
    }

    @Test
    void twoMakesAtOnceIntoOneCache() throws Exception {
        Path cache = Bed.tempDir("c");
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<Bed.Result> a = pool.submit(() -> make(cache, null, items)), b = pool.submit(() -> make(cache, null, items));
            for (Bed.Result r : List.of(a.get(), b.get())) {
                assertThat(r.code()).as(r.toString()).isZero();
                assertThat(Files.mismatch(out(r), reference)).isEqualTo(-1);
            }
        } finally {
            pool.shutdown();
        }
        Bed.Result r = make(cache, null, items);
        assertThat(r.stderr()).doesNotContain("damaged").doesNotContain("cache miss");
        assertThat(Files.mismatch(out(r), reference)).isEqualTo(-1);
    }

    @Test
    void noCacheKeepsNothingAndAForeignFolderIsNotUsed() throws IOException {
        Path cache = Bed.tempDir("c");
        assertThat(make(cache, "--no-cache", items).code()).isZero();
        assertThat(cache.resolve("xcluster-images/make")).doesNotExist();

        Path open = Bed.mkdirs(cache.resolve("xcluster-images/make"));
        Files.setPosixFilePermissions(open, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        Bed.Result r = make(cache, null, items);
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.stderr()).contains("WARNING: not using the cache [" + open + "]: mode 755, not 700");
        assertThat(Files.mismatch(out(r), reference)).isEqualTo(-1);
        assertThat(entries(cache)).isEmpty();
    }

    @Test
    void cacheShowsItsSizeAndPrunesOldestFirst() throws IOException {
        Path cache = Bed.tempDir("c");
        Map<String, String> env = Map.of("XDG_CACHE_HOME", cache.toString());
        assertThat(make(cache, null, items).code()).isZero();
        Bed.Result show = Bed.images(env, "cache");
        assertThat(show.code()).as(show.toString()).isZero();
        int n = entries(cache).size();
        assertThat(show.out()).startsWith(cache.resolve("xcluster-images/make") + ": " + n + " layers, 2 configs, 0 temporary, ");
        List<Path> entries = entries(cache);
        Path oldest = entries.get(0);
        Files.setLastModifiedTime(oldest, FileTime.fromMillis(1000));
        long total = 0;
        try (var s = Files.walk(cache.resolve("xcluster-images/make"))) {
            for (Path p : s.filter(Files::isRegularFile).toList()) total += Files.size(p);
        }
        Bed.Result prune = Bed.images(env, "cache", "--prune=" + (total - Files.size(oldest)));
        assertThat(prune.out()).as(prune.toString()).startsWith("Removed 1 files");
        assertThat(oldest).doesNotExist();
        Bed.Result dry = Bed.images(env, "cache", "--dry-run", "--prune=0");
        assertThat(dry.stderr()).as(dry.toString()).contains("dry-run: prune " + cache.resolve("xcluster-images/make") + " to at most 0 B");
        assertThat(entries(cache)).hasSize(n - 1);
        assertThat(Bed.images(env, "cache", "--prune=0").out()).contains(": 0 layers, 0 configs, 0 temporary, 0 B");
        Bed.Result fails = Bed.images(env, "cache", "--prune=lots");
        assertThat(fails.code()).isNotZero();
        assertThat(fails.stderr()).startsWith("ERROR: Invalid size [lots]");
    }

    // ----

    static Bed.Result make(Path cache, String flag, List<String> items) {
        List<String> a = new ArrayList<>(List.of("make", "--via=native", "--no-pause", "--verbose", "--tar=" + Bed.tempDir("out").resolve("images.tar")));
        if (flag != null) a.add(flag);
        a.addAll(items);
        return Bed.images(Map.of("XDG_CACHE_HOME", cache.toString(), "XCLUSTER_OVLPATH", EXAMPLES.toString()), a.toArray(String[]::new));
    }

    static Path out(Bed.Result r) {
        String line = r.stderr().lines().filter(l -> l.startsWith("Wrote ")).findFirst().orElseThrow(() -> new AssertionError(r.toString()));
        return Path.of(line.substring("Wrote ".length(), line.indexOf(": ")));
    }

    /** The layer entries of a cache, least recently used first. */
    static List<Path> entries(Path cache) throws IOException {
        Path layers = cache.resolve("xcluster-images/make/layers");
        if (!Files.exists(layers)) return List.of();
        try (var s = Files.walk(layers)) {
            List<Path> l = new ArrayList<>(s.filter(Files::isRegularFile).toList());
            l.sort(Comparator.comparing(CacheTest::time));
            return l;
        }
    }

    private static FileTime time(Path p) {
        try {
            return Files.getLastModifiedTime(p);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static boolean hasPart(Path tmp) throws IOException {
        if (!Files.isDirectory(tmp)) return false;
        try (var s = Files.list(tmp)) {
            return s.anyMatch(p -> p.toString().endsWith(".part"));
        }
    }
}
