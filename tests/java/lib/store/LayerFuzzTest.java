package lib.store;

import lib.Fail;
import lib.model.Digest;
import lib.tar.Compression;
import static org.assertj.core.api.Assertions.fail;

import java.io.*;
import java.nio.file.Path;
import java.util.*;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;

/**
 * Random mutations of valid layers through the layer reader, for a bounded time (-Dfuzz.seconds, 10 by
 * default), in a JVM of its own with a fixed heap (-Xmx256m): each must end as a clean Fail (one
 * ERROR: line) or a valid output, never an unchecked exception, a stack overflow or an out-of-memory
 * error. The seed of a failing case is in the message.
 */
class LayerFuzzTest {
    @Test
    void mutatedLayersFailCleanlyOrStoreValidlyInAFixedHeap() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-Xmx256m", "-cp", System.getProperty("java.class.path"),
                "-Dfuzz.seconds=" + Long.getLong("fuzz.seconds", 10), "-Dfuzz.seed=" + Long.getLong("fuzz.seed", System.nanoTime()),
                LayerFuzzTest.class.getName()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        System.out.print(out);
        if (p.waitFor() != 0) fail("the fuzz run in a 256 MB heap failed:\n" + out);
    }

    /** The fuzz run, in the JVM the test starts: exit 0 when every case ended well. */
    public static void main(String[] args) {
        try {
            new LayerFuzzTest().mutatedLayersFailCleanlyOrStoreValidly();
        } catch (Throwable t) {
            t.printStackTrace(System.out);
            System.exit(1);
        }
        System.exit(0);
    }

    static List<byte[]> seeds() throws IOException {
        List<byte[]> l = new ArrayList<>();
        l.add(new LayerSafetyTest.Raw().entry("d/", '5', 0, "", 0, 0).file("d/f", "hello").entry("d/h", '1', 0, "d/f", 0, 0)
                .entry("d/s", '2', 0, "../x", 1000, 1000).file("d/.wh.gone", "").file("d/.wh..wh..opq", "").end());
        l.add(new LayerSafetyTest.Raw().pax("path", "p/" + "long".repeat(40), "SCHILY.xattr.user.a", "b", "mtime", "1.5")
                .file("p", "body".repeat(300)).entry("dev", '3', 0, "", 0, 0).entry("fifo", '6', 0, "", 0, 0).end());
        ByteArrayOutputStream gz = new ByteArrayOutputStream();
        try (GZIPOutputStream g = new GZIPOutputStream(gz)) {
            g.write(l.get(0));
        }
        l.add(gz.toByteArray());
        return l;
    }

    void mutatedLayersFailCleanlyOrStoreValidly() throws IOException {
        List<byte[]> seeds = seeds();
        long end = System.nanoTime() + Long.getLong("fuzz.seconds", 10) * 1_000_000_000L;
        long seed = Long.getLong("fuzz.seed", System.nanoTime());
        Random rnd = new Random(seed);
        int runs = 0;
        while (System.nanoTime() < end) {
            long caseSeed = rnd.nextLong();
            byte[] layer = mutate(seeds.get(Math.floorMod(caseSeed, seeds.size())), new Random(caseSeed));
            try {
                LayerSafetyTest.store(layer, () -> Compression.decompressed(new ByteArrayInputStream(layer)), Digest.of(layer).toString());
            } catch (Fail f) {
                if (f.getMessage().contains("\n")) fail("a message of more than one line (case seed " + caseSeed + "): " + f.getMessage());
            } catch (Throwable t) {
                throw new AssertionError("case seed " + caseSeed + " (run seed " + seed + "): " + t, t);
            }
            runs++;
        }
        System.out.println("LayerFuzzTest: " + runs + " mutated layers, run seed " + seed);
    }

    /** A few random edits: flipped bytes, octal digits, cut, repeated or inserted blocks. */
    static byte[] mutate(byte[] b, Random r) {
        byte[] m = b.clone();
        for (int n = 1 + r.nextInt(4); n > 0; n--) {
            switch (r.nextInt(5)) {
                case 0 -> m[r.nextInt(m.length)] ^= (byte) (1 << r.nextInt(8));
                case 1 -> m[r.nextInt(m.length)] = (byte) "0123456789 \0\377-x".charAt(r.nextInt(15));
                case 2 -> m = Arrays.copyOf(m, r.nextInt(m.length + 1));
                case 3 -> {
                    if (m.length < 512) break;
                    int at = r.nextInt(m.length / 512) * 512;
                    byte[] blk = Arrays.copyOfRange(m, at, at + 512);
                    m = LayerSafetyTest.concat(Arrays.copyOf(m, at), LayerSafetyTest.concat(blk, Arrays.copyOfRange(m, at, m.length)));
                }
                default -> m = LayerSafetyTest.concat(m, randomBytes(r, r.nextInt(1024)));
            }
            if (m.length == 0) break;
        }
        return m;
    }

    static byte[] randomBytes(Random r, int n) {
        byte[] b = new byte[n];
        r.nextBytes(b);
        return b;
    }
}
