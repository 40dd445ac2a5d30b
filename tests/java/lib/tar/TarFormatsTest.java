package lib.tar;

import static org.assertj.core.api.Assertions.*;

import java.io.*;
import java.nio.charset.StandardCharsets;
import java.nio.file.*;
import java.nio.file.attribute.FileTime;
import java.util.*;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * TarReader and TarWriter against two other tar implementations: commons-compress (write with
 * one, read with the other) and GNU tar (its own output read here, our output listed by it).
 * The cases a layer carries: long names and link targets, PAX records, numbers too big for
 * octal, devices, xattrs, sub-second times.
 */
public class TarFormatsTest {
    static final String LONG = "data/" + "a-folder-name-of-some-length/".repeat(4) + "and-a-file-name.txt"; // 140 chars
    static final String VERY_LONG = "x".repeat(120) + "/" + "y".repeat(120); // fits neither name nor prefix+name
    static final long BIG_ID = 3_000_000; // over 07777777, the largest octal uid
    static final long MTIME = 1_600_000_000L;

    /** One entry as TarReader sees it, with its body as text. */
    record Seen(String name, char type, String link, long uid, long gid, long mode, long size, long mtime, int nanos,
                long major, long minor, Map<String, String> xattrs, String body) {}

    static List<Seen> read(byte[] tar) throws IOException {
        TarReader r = new TarReader(new ByteArrayInputStream(tar));
        List<Seen> out = new ArrayList<>();
        for (TarReader.Header h = r.next(); h != null; h = r.next()) {
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            byte[] buf = new byte[4096];
            for (int n; (n = r.read(buf, 0, buf.length)) > 0; ) body.write(buf, 0, n);
            out.add(new Seen(h.name, (char) h.type, h.linkname, h.uid, h.gid, h.mode, h.size, h.mtime, h.mtimeNanos,
                    h.devmajor, h.devminor, new TreeMap<>(h.xattrs), body.toString(StandardCharsets.ISO_8859_1)));
        }
        return out;
    }

    static Seen find(List<Seen> entries, String name) {
        return entries.stream().filter(e -> e.name().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError(name + " not in " + entries.stream().map(Seen::name).toList()));
    }

    /** A TarWriter entry; the one place that knows its fields. */
    static TarWriter.Entry entry(String path, char type, int mode, long uid, long gid, long mtime, int nanos, String link,
                                 long size, long major, long minor, Map<String, String> xattrs) {
        return new TarWriter.Entry(path, (byte) type, mode, uid, gid, mtime, nanos, link, size, major, minor, new TreeMap<>(xattrs));
    }

    /** Every kind of entry TarWriter has to write, as the native storage writer uses them. */
    static byte[] writtenByTarWriter() throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        TarWriter w = new TarWriter(buf);
        w.put(TarWriter.Entry.dir("data", 0755, 0, 0, MTIME));
        w.put(TarWriter.Entry.file("data/plain.txt", 0644, MTIME, 0), "hello\n".getBytes(StandardCharsets.UTF_8));
        w.put(TarWriter.Entry.file(LONG, 0600, MTIME, 0), "long\n".getBytes(StandardCharsets.UTF_8));
        w.put(TarWriter.Entry.file(VERY_LONG, 0600, MTIME, 0), "very long\n".getBytes(StandardCharsets.UTF_8));
        w.put(TarWriter.Entry.symlink("data/link", VERY_LONG, MTIME));
        w.put(entry("data/hard", '1', 0644, 0, 0, MTIME, 0, "data/plain.txt", 0, 0, 0, Map.of()));
        w.put(entry("data/owned", '0', 04755, BIG_ID, BIG_ID + 1, MTIME, 0, "", 0, 0, 0, Map.of()), new byte[0]);
        w.put(entry("data/when", '0', 0644, 1, 2, MTIME, 250_000_000, "", 0, 0, 0, Map.of()), new byte[0]);
        w.put(entry("data/before-1970", '0', 0644, 0, 0, -2, 500_000_000, "", 0, 0, 0, Map.of()), new byte[0]);
        w.put(entry("data/.wh.gone", '3', 0, 0, 0, MTIME, 0, "", 0, 0, 0, Map.of()));
        w.put(entry("dev/null", '3', 0666, 0, 0, MTIME, 0, "", 0, 1, 3, Map.of()));
        w.put(entry("dev/sda", '4', 0660, 0, 6, MTIME, 0, "", 0, 8, 0, Map.of()));
        w.put(entry("dev/fifo", '6', 0644, 0, 0, MTIME, 0, "", 0, 0, 0, Map.of()));
        w.put(entry("data/opaque/", '5', 0755, 0, 0, MTIME, 0, "", 0, 0, 0,
                Map.of("trusted.overlay.opaque", "y", "user.note", "caf\u00c3\u00a9"))); // raw UTF-8 bytes of "café"
        w.finish();
        return buf.toByteArray();
    }

    // ---- TarWriter -> commons-compress

    @Test
    void commonsCompressReadsWhatTarWriterWrites() throws IOException {
        Map<String, TarArchiveEntry> m = new LinkedHashMap<>();
        Map<String, String> bodies = new HashMap<>();
        try (TarArchiveInputStream t = new TarArchiveInputStream(new ByteArrayInputStream(writtenByTarWriter()), "ISO-8859-1")) {
            for (TarArchiveEntry e; (e = t.getNextEntry()) != null; ) {
                m.put(e.getName(), e);
                bodies.put(e.getName(), new String(t.readAllBytes(), StandardCharsets.ISO_8859_1));
            }
        }
        assertThat(m.keySet()).containsExactly("data/", "data/plain.txt", LONG, VERY_LONG, "data/link", "data/hard",
                "data/owned", "data/when", "data/before-1970", "data/.wh.gone", "dev/null", "dev/sda", "dev/fifo", "data/opaque/");
        assertThat(bodies.get("data/plain.txt")).isEqualTo("hello\n");
        assertThat(bodies.get(VERY_LONG)).isEqualTo("very long\n");
        assertThat(m.get("data/link").getLinkName()).isEqualTo(VERY_LONG);
        assertThat(m.get("data/hard").isLink()).isTrue();
        assertThat(m.get("data/owned").getLongUserId()).isEqualTo(BIG_ID);
        assertThat(m.get("data/owned").getLongGroupId()).isEqualTo(BIG_ID + 1);
        assertThat(m.get("data/owned").getMode() & 07777).isEqualTo(04755);
        assertThat(m.get("data/when").getLastModifiedTime()).isEqualTo(FileTime.from(java.time.Instant.ofEpochSecond(MTIME, 250_000_000)));
        assertThat(m.get("data/before-1970").getLastModifiedTime()).isEqualTo(FileTime.from(java.time.Instant.ofEpochSecond(-2, 500_000_000)));
        assertThat(m.get("dev/null").isCharacterDevice()).isTrue();
        assertThat(List.of(m.get("dev/null").getDevMajor(), m.get("dev/null").getDevMinor())).containsExactly(1, 3);
        assertThat(m.get("dev/sda").isBlockDevice()).isTrue();
        assertThat(m.get("dev/sda").getDevMajor()).isEqualTo(8);
        assertThat(m.get("dev/fifo").isFIFO()).isTrue();
        assertThat(m.get("data/opaque/").getExtraPaxHeaders()).containsEntry("SCHILY.xattr.trusted.overlay.opaque", "y");
    }

    // ---- TarWriter -> TarReader

    @Test
    void tarReaderReadsBackWhatTarWriterWrites() throws IOException {
        List<Seen> seen = read(writtenByTarWriter());
        assertThat(seen).extracting(Seen::name).containsExactly("data/", "data/plain.txt", LONG, VERY_LONG, "data/link",
                "data/hard", "data/owned", "data/when", "data/before-1970", "data/.wh.gone", "dev/null", "dev/sda", "dev/fifo",
                "data/opaque/");
        assertThat(find(seen, "data/plain.txt")).extracting(Seen::type, Seen::mode, Seen::size, Seen::body, Seen::mtime)
                .containsExactly('0', 0644L, 6L, "hello\n", MTIME);
        assertThat(find(seen, "data/link").link()).isEqualTo(VERY_LONG);
        assertThat(find(seen, "data/owned")).extracting(Seen::uid, Seen::gid).containsExactly(BIG_ID, BIG_ID + 1);
        assertThat(find(seen, "data/when")).extracting(Seen::mtime, Seen::nanos).containsExactly(MTIME, 250_000_000);
        assertThat(find(seen, "data/before-1970")).extracting(Seen::mtime, Seen::nanos).containsExactly(-2L, 500_000_000);
        assertThat(find(seen, "dev/null")).extracting(Seen::type, Seen::major, Seen::minor).containsExactly('3', 1L, 3L);
        assertThat(find(seen, "dev/sda")).extracting(Seen::type, Seen::major, Seen::gid).containsExactly('4', 8L, 6L);
        assertThat(find(seen, "data/opaque/").xattrs())
                .containsExactlyInAnyOrderEntriesOf(Map.of("trusted.overlay.opaque", "y", "user.note", "caf\u00c3\u00a9"));
    }

    @Test
    void tarWriterWritesWholeBlocksAndTwoZeroBlocksAtTheEnd() throws IOException {
        byte[] tar = writtenByTarWriter();
        assertThat(tar.length % 512).isZero();
        assertThat(Arrays.copyOfRange(tar, tar.length - 1024, tar.length)).containsOnly(0);
    }

    @Test
    void tarWriterRefusesABodyLongerThanItsHeaderSays() throws IOException {
        TarWriter w = new TarWriter(OutputStream.nullOutputStream());
        w.put(TarWriter.Entry.file("f", 0644, MTIME, 3));
        assertThatThrownBy(() -> w.write(new byte[4], 0, 4)).isInstanceOf(IllegalStateException.class);
        w.write(new byte[3], 0, 3);
        w.put(TarWriter.Entry.file("g", 0644, MTIME, 2));
        assertThatThrownBy(() -> w.put(TarWriter.Entry.file("h", 0644, MTIME, 0)))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("body of the previous entry");
    }

    // ---- commons-compress -> TarReader

    @ParameterizedTest(name = "long names as {0}")
    @ValueSource(strings = {"posix", "gnu"})
    void tarReaderReadsCommonsCompressLongNamesAndBigNumbers(String mode) throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        try (TarArchiveOutputStream t = new TarArchiveOutputStream(buf, "UTF-8")) {
            t.setLongFileMode(mode.equals("posix") ? TarArchiveOutputStream.LONGFILE_POSIX : TarArchiveOutputStream.LONGFILE_GNU);
            t.setBigNumberMode(mode.equals("posix") ? TarArchiveOutputStream.BIGNUMBER_POSIX : TarArchiveOutputStream.BIGNUMBER_STAR);
            TarArchiveEntry f = new TarArchiveEntry(VERY_LONG);
            f.setSize(4);
            f.setUserId(BIG_ID);
            f.setGroupId(BIG_ID + 2);
            f.setModTime(MTIME * 1000);
            t.putArchiveEntry(f);
            t.write("body".getBytes(StandardCharsets.UTF_8));
            t.closeArchiveEntry();
            TarArchiveEntry l = new TarArchiveEntry("short", TarConstants.LF_SYMLINK);
            l.setLinkName(LONG);
            t.putArchiveEntry(l);
            t.closeArchiveEntry();
        }
        List<Seen> seen = read(buf.toByteArray());
        assertThat(seen).extracting(Seen::name).containsExactly(VERY_LONG, "short");
        assertThat(seen.get(0)).extracting(Seen::uid, Seen::gid, Seen::size, Seen::body, Seen::mtime)
                .containsExactly(BIG_ID, BIG_ID + 2, 4L, "body", MTIME);
        assertThat(seen.get(1)).extracting(Seen::type, Seen::link).containsExactly('2', LONG);
    }

    @Test
    void tarReaderReadsCommonsCompressXattrsDevicesAndTimes() throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        try (TarArchiveOutputStream t = new TarArchiveOutputStream(buf, "UTF-8")) {
            t.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
            TarArchiveEntry d = new TarArchiveEntry("dir/", TarConstants.LF_DIR);
            d.addPaxHeader("SCHILY.xattr.trusted.overlay.opaque", "y");
            d.addPaxHeader("SCHILY.xattr.security.capability", "\u0001\u0000\u0000\u0002");
            d.setLastModifiedTime(FileTime.from(java.time.Instant.ofEpochSecond(MTIME, 123_456_700)));
            t.putArchiveEntry(d);
            t.closeArchiveEntry();
            TarArchiveEntry c = new TarArchiveEntry("dev/tty", TarConstants.LF_CHR);
            c.setDevMajor(5);
            c.setDevMinor(0);
            t.putArchiveEntry(c);
            t.closeArchiveEntry();
        }
        List<Seen> seen = read(buf.toByteArray());
        assertThat(seen.get(0).xattrs()).containsEntry("trusted.overlay.opaque", "y")
                .containsEntry("security.capability", "\u0001\u0000\u0000\u0002");
        assertThat(seen.get(0)).extracting(Seen::type, Seen::mtime, Seen::nanos).containsExactly('5', MTIME, 123_456_700);
        assertThat(seen.get(1)).extracting(Seen::type, Seen::major, Seen::minor).containsExactly('3', 5L, 0L);
    }

    // ---- TarReader keeps every byte: headers + bodies give back the archive (what tar-split relies on)

    @Test
    void rawBytesAndBodiesRebuildTheArchiveByteForByte() throws IOException {
        byte[] tar = writtenByTarWriter();
        ByteArrayOutputStream again = new ByteArrayOutputStream();
        TarReader r = new TarReader(new ByteArrayInputStream(tar));
        byte[] buf = new byte[100];
        for (TarReader.Header h = r.next(); h != null; h = r.next()) {
            again.write(r.rawBytes());
            for (int n; (n = r.read(buf, 0, buf.length)) > 0; ) again.write(buf, 0, n);
        }
        again.write(r.rawBytes());
        again.write(r.rest(1 << 20));
        assertThat(again.toByteArray()).isEqualTo(tar);
    }

    // ---- GNU tar's own output -> TarReader

    @TempDir
    Path tmp;

    /** Files on disk for GNU tar to archive: a long path, a symlink with a long target, a sub-second time. */
    Path tree() throws IOException {
        Path root = Files.createDirectories(tmp.resolve("root"));
        Path f = root.resolve(VERY_LONG);
        Files.createDirectories(f.getParent());
        Files.writeString(f, "content\n");
        Files.setLastModifiedTime(f, FileTime.from(java.time.Instant.ofEpochSecond(MTIME, 250_000_000)));
        Files.createSymbolicLink(root.resolve("link"), Path.of(VERY_LONG));
        return root;
    }

    public static byte[] gnuTar(Path dir, String... options) throws IOException, InterruptedException {
        List<String> argv = new ArrayList<>(List.of("tar", "-C", dir.toString(), "--sort=name", "--numeric-owner"));
        argv.addAll(Arrays.asList(options));
        argv.addAll(List.of("-cf", "-", "."));
        return Gnu.run(argv, null);
    }

    @ParameterizedTest(name = "GNU tar --format={0}")
    @ValueSource(strings = {"gnu", "posix", "ustar"})
    void tarReaderReadsGnuTarFormats(String format) throws Exception {
        Gnu.require();
        Path root = tree();
        Files.writeString(root.resolve("short.txt"), "s\n");
        boolean ustar = format.equals("ustar");
        if (ustar) { // ustar holds no long names: keep only what fits prefix + name
            Files.delete(root.resolve("link"));
            Files.delete(root.resolve(VERY_LONG));
            Files.delete(root.resolve(VERY_LONG).getParent());
            Files.createDirectories(root.resolve(LONG).getParent());
            Files.writeString(root.resolve(LONG), "content\n");
            Files.setLastModifiedTime(root.resolve(LONG), FileTime.from(java.time.Instant.ofEpochSecond(MTIME)));
        }
        List<Seen> seen = read(gnuTar(root, "--format=" + format, "--owner=:" + (ustar ? 1000 : BIG_ID), "--group=:7"));
        String file = "./" + (ustar ? LONG : VERY_LONG);
        assertThat(find(seen, file)).extracting(Seen::type, Seen::body, Seen::uid, Seen::gid)
                .containsExactly('0', "content\n", ustar ? 1000L : BIG_ID, 7L);
        assertThat(find(seen, "./short.txt").body()).isEqualTo("s\n");
        if (!ustar) assertThat(find(seen, "./link")).extracting(Seen::type, Seen::link).containsExactly('2', VERY_LONG);
        if (format.equals("posix")) assertThat(find(seen, file).nanos()).as("PAX mtime with nanoseconds").isEqualTo(250_000_000);
        assertThat(find(seen, file).mtime()).isEqualTo(MTIME);
    }

    @Test
    void tarReaderReadsGnuTarPaxXattrsAndDevices() throws Exception {
        Gnu.require();
        Path root = Files.createDirectories(tmp.resolve("x"));
        Files.writeString(root.resolve("f"), "x");
        byte[] tar = gnuTar(root, "--format=posix", "--pax-option=SCHILY.xattr.user.k:=v1,SCHILY.xattr.trusted.overlay.opaque:=y");
        assertThat(find(read(tar), "./f").xattrs()).containsEntry("user.k", "v1").containsEntry("trusted.overlay.opaque", "y");
        byte[] dev = Gnu.run(List.of("tar", "-C", "/dev", "--format=gnu", "-cf", "-", "null"), null);
        assertThat(read(dev).get(0)).extracting(Seen::name, Seen::type, Seen::major, Seen::minor).containsExactly("null", '3', 1L, 3L);
    }

    @Test
    void sparseFilesAreRefusedWithTheirName() throws Exception {
        Gnu.require();
        Path root = Files.createDirectories(tmp.resolve("s"));
        try (RandomAccessFile f = new RandomAccessFile(root.resolve("holes").toFile(), "rw")) {
            f.seek(1 << 20);
            f.write(1);
        }
        byte[] tar = gnuTar(root, "--format=gnu", "--sparse");
        assertThatThrownBy(() -> read(tar)).isInstanceOf(IOException.class).hasMessage("sparse file [./holes] is not supported (old GNU sparse type 'S')");
    }

    // ---- TarWriter's output -> GNU tar

    @Test
    void gnuTarListsWhatTarWriterWrites() throws Exception {
        Gnu.require();
        Path file = tmp.resolve("w.tar");
        Files.write(file, writtenByTarWriter());
        String list = new String(Gnu.run(List.of("tar", "--numeric-owner", "--utc", "--full-time", "-tvf", file.toString()), null),
                StandardCharsets.UTF_8);
        assertThat(list).contains(" " + LONG + "\n", " " + VERY_LONG + "\n", "data/link -> " + VERY_LONG + "\n",
                "data/hard link to data/plain.txt\n");
        assertThat(list).containsPattern("-rwsr-xr-x " + BIG_ID + "/" + (BIG_ID + 1) + " +0 2020-09-13 12:26:40 data/owned\n");
        assertThat(list).containsPattern("crw-rw-rw- 0/0 +1,3 2020-09-13 12:26:40 +dev/null\n");
        assertThat(list).containsPattern("brw-rw---- 0/6 +8,0 .* dev/sda\n");
        assertThat(list).containsPattern("prw-r--r-- 0/0 .* dev/fifo\n");
        assertThat(list).containsPattern("2020-09-13 12:26:40.25 data/when\n");
        // not data/before-1970: GNU tar 1.34 lists PAX mtime -1.5 as 23:59:59.5; Go and commons-compress read -1.5 s
        String xattrs = new String(Gnu.run(List.of("tar", "--xattrs", "--xattrs-include=*", "-tvvf", file.toString()), null),
                StandardCharsets.UTF_8);
        assertThat(xattrs).contains("x: 1 trusted.overlay.opaque\n", "x: 5 user.note\n");
    }

    /** GNU tar as a child process; present on every Debian, so missing means a skip (a failure under CI=true). */
    public static final class Gnu {
        public static void require() {
            boolean ok = Files.isExecutable(Path.of("/usr/bin/tar")) || Files.isExecutable(Path.of("/bin/tar"));
            if (!ok && "true".equals(System.getenv("CI"))) fail("CI=true and GNU tar is missing");
            org.junit.jupiter.api.Assumptions.assumeTrue(ok, "GNU tar is missing");
        }

        public static byte[] run(List<String> argv, byte[] stdin) throws IOException, InterruptedException {
            Process p = new ProcessBuilder(argv).redirectError(ProcessBuilder.Redirect.PIPE).start();
            if (stdin != null) p.getOutputStream().write(stdin);
            p.getOutputStream().close();
            var err = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try {
                    return new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
                } catch (IOException e) {
                    return e.toString();
                }
            });
            byte[] out = p.getInputStream().readAllBytes();
            int code = p.waitFor();
            assertThat(code).as(String.join(" ", argv) + ": " + err.join()).isZero();
            assertThat(err.join()).as("stderr of " + String.join(" ", argv)).isEmpty();
            return out;
        }
    }
}
