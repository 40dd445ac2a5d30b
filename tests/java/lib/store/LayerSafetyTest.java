package lib.store;

import lib.Fail;
import lib.model.Digest;
import lib.model.Layer;
import lib.model.Opener;
import lib.tar.TarWriter;
import static org.assertj.core.api.Assertions.*;

import java.io.*;
import java.nio.charset.StandardCharsets;
import java.util.*;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;

/**
 * Hostile layer entries, refused as Go's archive/tar and containers/storage refuse them, with bounded
 * work: each layer is built here byte by byte (no fixtures) and read by OverlayLayer in-process.
 */
public class LayerSafetyTest {
    /** A hand-made tar: headers with any field, PAX records with any bytes. */
    public static final class Raw {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();

        public Raw() {}

        public Raw entry(String name, char type, long size, String link, long uid, long gid) {
            byte[] h = new byte[512];
            put(h, 0, name, 100);
            put(h, 100, "0000644", 8);
            put(h, 108, octal(uid, 7), 8);
            put(h, 116, octal(gid, 7), 8);
            put(h, 124, octal(size, 11), 12);
            put(h, 136, octal(1600000000, 11), 12);
            h[156] = (byte) type;
            put(h, 157, link, 100);
            put(h, 257, "ustar\0", 6);
            put(h, 263, "00", 2);
            Arrays.fill(h, 148, 156, (byte) ' ');
            long sum = 0;
            for (byte b : h) sum += b & 0xff;
            put(h, 148, octal(sum, 6) + "\0 ", 8);
            out.writeBytes(h);
            return this;
        }

        public Raw file(String name, String body) {
            byte[] b = body.getBytes(StandardCharsets.ISO_8859_1);
            entry(name, '0', b.length, "", 0, 0);
            return body(b);
        }

        public Raw body(byte[] b) {
            out.writeBytes(b);
            out.writeBytes(new byte[(512 - b.length % 512) % 512]);
            return this;
        }

        /** A PAX header ('x') with these records, in order; values are raw bytes. */
        public Raw pax(String... kv) {
            StringBuilder s = new StringBuilder();
            for (int i = 0; i < kv.length; i += 2) s.append(record(kv[i], kv[i + 1]));
            byte[] b = s.toString().getBytes(StandardCharsets.ISO_8859_1);
            entry("PaxHeaders/x", 'x', b.length, "", 0, 0);
            return body(b);
        }

        public byte[] end() {
            out.writeBytes(new byte[1024]);
            return out.toByteArray();
        }

        static String record(String k, String v) {
            String r = " " + k + "=" + v + "\n";
            int n = r.length() + 1;
            while (Integer.toString(n).length() + r.length() != n) n++;
            return n + r;
        }

        static String octal(long v, int width) {
            String s = Long.toOctalString(v);
            return "0".repeat(Math.max(0, width - s.length())) + s;
        }

        static void put(byte[] h, int off, String s, int max) {
            byte[] b = s.getBytes(StandardCharsets.ISO_8859_1);
            System.arraycopy(b, 0, h, off, Math.min(b.length, max));
        }
    }

    /** Stores a layer; returns the output tar, or throws the Fail the toolkit would print. */
    static byte[] store(byte[] layer) {
        return store(layer, () -> new ByteArrayInputStream(layer), Digest.of(layer).toString());
    }

    static byte[] store(byte[] layer, Opener opener, String diffId) {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        try {
            TarWriter w = new TarWriter(buf);
            TarWriter.Entry root = TarWriter.Entry.dir("overlay/x/diff/", 0555, 0, 0, 0);
            w.put(root);
            OverlayLayer.write(new Layer(Digest.parse(diffId, "diff ID", "test"), Digest.parse(diffId, "digest", "test"), -1, opener, "test: layer.tar"), root, 0, w);
            w.finish();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return buf.toByteArray();
    }

    static void refused(byte[] layer, String message) {
        assertThatThrownBy(() -> store(layer)).isInstanceOf(Fail.class)
                .hasMessageStartingWith("Can't read layer [test: layer.tar]: ").hasMessageContaining(message);
    }

    /** Names in an ERROR: line: as UTF-8 when their bytes are, other bytes and controls as \\xNN, one line. */
    @Test
    void namesInMessagesAreReadable() {
        String latin1 = new String("\u65e5\u672c/etc".getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
        assertThat(OverlayLayer.printable("[" + latin1 + "] is inside")).isEqualTo("[\u65e5\u672c/etc] is inside");
        assertThat(OverlayLayer.printable("a\u00ffb\nc")).isEqualTo("a\\xffb\\x0ac");
    }

    @Test
    void aNulInAPaxPathOrLinkpathIsRefused() {
        refused(new Raw().pax("path", "data/a\0/../../etc/x").file("data/a", "x").end(), "invalid PAX record (NUL in path)");
        refused(new Raw().pax("linkpath", "t\0x").entry("l", '2', 0, "t", 0, 0).end(), "invalid PAX record (NUL in linkpath)");
    }

    @Test
    void whiteoutsOfNothingDotOrDotDotAreRefused() {
        for (String n : List.of(".wh.", "data/.wh..", "data/.wh..."))
            refused(new Raw().file(n, "").end(), "whiteout of nothing, . or .. [" + n + "]");
    }

    @Test
    void aHardLinkToItselfIsRefused() {
        refused(new Raw().entry("self", '1', 0, "self", 0, 0).end(), "hard link to itself [self]");
        refused(new Raw().pax("path", "a\nb", "linkpath", "a\nb").entry("x", '1', 0, "x", 0, 0).end(),
                "hard link to itself [a\\x0ab]"); // one ERROR: line, whatever bytes a name holds
    }

    @Test
    void idsOutsideUidTAreRefused() {
        refused(new Raw().pax("uid", "-1").file("f", "x").end(), "uid or gid out of range (-1:0) [f]");
        refused(new Raw().pax("gid", "4294967295").file("f", "x").end(), "uid or gid out of range (0:4294967295) [f]");
        byte[] ok = new Raw().pax("uid", "4294967294").file("f", "x").end();
        assertThat(store(ok)).isNotEmpty();
    }

    @Test
    void namesAndPathsTooLongForTheVmAreRefused() {
        refused(new Raw().pax("path", "d/" + "n".repeat(256)).file("f", "x").end(), "name longer than 255 bytes [d/nnn");
        store(new Raw().pax("path", "d/" + "n".repeat(255)).file("f", "x").end());
        refused(new Raw().pax("path", "d/".repeat(2049)).file("f", "x").end(), "path longer than 4096 bytes [d/d/d/");
        refused(new Raw().pax("linkpath", "t".repeat(4097)).entry("l", '2', 0, "", 0, 0).end(), "path longer than 4096 bytes [l...]");
    }

    @Test
    void aPathOf200000LevelsIsRefusedWithoutRecursion() {
        String deep = "a/".repeat(200_000) + "f";
        refused(new Raw().pax("path", deep).file("f", "x").end(), "path longer than 4096 bytes");
    }

    @Test
    void deepPathsAllowedAreMadeWithoutRecursionPerLevel() throws IOException {
        String deep = "a/".repeat(2000) + "f"; // 4001 bytes: allowed
        byte[] out = store(new Raw().pax("path", deep).file("f", "x").end());
        int dirs = 0;
        try (var t = new org.apache.commons.compress.archivers.tar.TarArchiveInputStream(new ByteArrayInputStream(out))) {
            for (var e = t.getNextEntry(); e != null; e = t.getNextEntry()) if (e.isDirectory()) dirs++;
        }
        assertThat(dirs).isEqualTo(2001); // the root and each implied folder, once
    }

    @Test
    void onlyTheLastOfRepeatedPaxHeadersCounts() throws IOException {
        byte[] out = store(new Raw().pax("path", "evil").pax("mtime", "5").file("good", "x").end());
        List<String> names = new ArrayList<>();
        try (var t = new org.apache.commons.compress.archivers.tar.TarArchiveInputStream(new ByteArrayInputStream(out))) {
            for (var e = t.getNextEntry(); e != null; e = t.getNextEntry()) names.add(e.getName());
        }
        assertThat(names).containsExactly("overlay/x/diff/", "overlay/x/diff/good");
    }

    @Test
    void aRunOfHugePaxHeadersIsRefusedNotKept() {
        Raw r = new Raw();
        String big = "v".repeat(900_000);
        for (int i = 0; i < 8; i++) r.pax("SCHILY.xattr.user.k" + i, big);
        refused(r.file("f", "x").end(), "bytes of extended headers");
    }

    @Test
    void aNegativePaxSizeIsNotABadChecksum() {
        refused(new Raw().pax("size", "-512").file("f", "x").end(), "invalid tar header (negative size) [f]");
    }

    @Test
    void afterALayerErrorTheRestOfAGzipBombIsNotRead() throws IOException {
        ByteArrayOutputStream member = new ByteArrayOutputStream();
        try (GZIPOutputStream g = new GZIPOutputStream(member)) {
            g.write(new Raw().entry("bad", '0', 0, "", 0, 0).end()); // then a damaged checksum, below
            byte[] zeros = new byte[1 << 20];
            for (int i = 0; i < 64; i++) g.write(zeros);
        }
        byte[] one = member.toByteArray();
        ByteArrayOutputStream bomb = new ByteArrayOutputStream();
        for (int i = 0; i < 256; i++) bomb.writeBytes(one); // 16 GB decompressed, as concatenated gzip members
        byte[] b = bomb.toByteArray();
        byte[] firstBlock = new Raw().entry("bad", '0', 0, "", 0, 0).end();
        firstBlock[150] ^= 1;
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        try (GZIPOutputStream g = new GZIPOutputStream(head)) {
            g.write(Arrays.copyOf(firstBlock, 512));
        }
        byte[] all = concat(head.toByteArray(), b);
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> store(all, () -> new java.util.zip.GZIPInputStream(new ByteArrayInputStream(all)),
                "sha256:" + "0".repeat(64))).isInstanceOf(Fail.class).hasMessageContaining("bad checksum");
        assertThat((System.nanoTime() - t0) / 1_000_000).as("ms").isLessThan(5000);
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    @Test
    void aPlainLayerStillReads() throws IOException {
        byte[] out = store(new Raw().entry("d/", '5', 0, "", 0, 0).file("d/f", "hello").entry("d/h", '1', 0, "d/f", 0, 0)
                .file("d/.wh.gone", "").end());
        List<String> names = new ArrayList<>();
        try (var t = new org.apache.commons.compress.archivers.tar.TarArchiveInputStream(new ByteArrayInputStream(out))) {
            for (var e = t.getNextEntry(); e != null; e = t.getNextEntry()) names.add(e.getName());
        }
        assertThat(names).containsExactly("overlay/x/diff/", "overlay/x/diff/d/", "overlay/x/diff/d/f", "overlay/x/diff/d/h",
                "overlay/x/diff/d/gone");
    }
}
