package lib.cache;

import static org.assertj.core.api.Assertions.*;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.*;
import java.nio.file.attribute.FileTime;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The cache's entries in-process: what is written is what is found, and nothing else ever is. */
class CacheUnitTest {
    @TempDir Path dir;

    static final String KEY = "ab".repeat(32), OTHER = "cd".repeat(32);

    private Cache cache() {
        Cache c = Cache.open(dir.resolve("make"));
        assertThat(c.enabled()).isTrue();
        return c;
    }

    private static void put(Cache c, String key, String body) {
        try (Cache.Writer w = c.writer(key)) {
            byte[] b = body.getBytes(StandardCharsets.UTF_8);
            w.write(b, 0, b.length);
            w.commit("split".getBytes(StandardCharsets.UTF_8), "meta".getBytes(StandardCharsets.UTF_8));
        }
    }

    private static String body(Cache.Entry e) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        e.copyBody(out);
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void whatIsWrittenIsFound() throws IOException {
        Cache c = cache();
        assertThat(c.find(KEY)).isNull();
        put(c, KEY, "x".repeat(3_000_000));
        try (Cache.Entry e = c.find(KEY)) {
            assertThat(body(e)).hasSize(3_000_000);
            assertThat(new String(e.split, StandardCharsets.UTF_8)).isEqualTo("split");
            assertThat(new String(e.meta, StandardCharsets.UTF_8)).isEqualTo("meta");
        }
        assertThat(c.files()).hasSize(1);
    }

    @Test
    void anAbortedOrUncommittedEntryLeavesNothing() throws IOException {
        Cache c = cache();
        try (Cache.Writer w = c.writer(KEY)) {
            w.write(new byte[100], 0, 100);
            // no commit: the writer failed half way
        }
        assertThat(c.find(KEY)).isNull();
        assertThat(c.files()).isEmpty();
    }

    @Test
    void everyDamageIsFoundAndTheEntryRemoved() throws IOException {
        for (long cut : new long[] {0, 1, 39, 40, 500, -1, -40}) {
            Cache c = cache();
            put(c, KEY, "body ".repeat(200));
            Path p = c.files().get(0).path();
            try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
                if (cut >= 0 && cut < f.length() && cut != 500) f.setLength(cut); // truncated
                else {
                    long at = cut == 500 ? 500 : f.length() + cut; // a flipped byte: in the body, in the trailer
                    f.seek(at);
                    int b = f.read();
                    f.seek(at);
                    f.write(b ^ 0x10);
                }
            }
            assertThat(c.find(KEY)).as("damage at " + cut).isNull();
            assertThat(p).doesNotExist();
        }
    }

    @Test
    void configsAreFoundByTheirDigestOnly() throws IOException {
        Cache c = cache();
        byte[] config = "{\"a\":1}".getBytes(StandardCharsets.UTF_8);
        String hex = Cache.sha256(config);
        c.putConfig(config);
        assertThat(c.config(hex)).isEqualTo(config);
        Files.writeString(dir.resolve("make/configs").resolve(hex), "{\"a\":2}");
        assertThat(c.config(hex)).isNull();
        assertThat(c.config("../" + hex)).isNull();
    }

    @Test
    void pruneRemovesTheLeastRecentlyUsedFirstAndOldTemporaryFiles() throws IOException {
        Cache c = cache();
        put(c, KEY, "a".repeat(1000));
        put(c, OTHER, "b".repeat(1000));
        Path old = c.files().stream().filter(f -> f.path().endsWith(KEY)).findFirst().orElseThrow().path();
        Files.setLastModifiedTime(old, FileTime.fromMillis(1000));
        Path crashed = Files.writeString(dir.resolve("make/tmp/left.part"), "half");
        Path running = Files.writeString(dir.resolve("make/tmp/running.part"), "half");
        Files.setLastModifiedTime(crashed, FileTime.fromMillis(1000));
        long[] r = c.prune(1100);
        assertThat(r[0]).isEqualTo(2);
        assertThat(old).doesNotExist();
        assertThat(crashed).doesNotExist();
        assertThat(running).exists();
        assertThat(c.find(OTHER)).isNotNull();
        c.prune(0);
        assertThat(c.files()).extracting(Cache.File::path).isEqualTo(List.of(running));
    }

    @Test
    void aFolderOpenToOthersIsNotUsed() throws IOException {
        Path open = Files.createDirectories(dir.resolve("open"));
        Files.setPosixFilePermissions(open, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        assertThat(Cache.open(open).enabled()).isFalse();
        Path link = Files.createSymbolicLink(dir.resolve("link"), cache().root());
        assertThat(Cache.open(link).enabled()).isFalse();
    }
}
