package lib.store;

import lib.Fail;
import lib.model.*;
import lib.tar.*;
import static org.assertj.core.api.Assertions.*;

import java.io.*;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.*;
import lib.store.LayerSafetyTest.Raw;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Where Go's archive/tar (what containers/storage reads layers with) and TarReader must agree, from
 * the classes of its reader and tests: global PAX headers, PAX sparse files, old GNU headers, and
 * headers Go refuses. The fixtures are made here (GNU tar, or byte by byte).
 */
class GoTarCasesTest {
    @TempDir
    Path tmp;

    record Entry(String name, char type, long size, String body, long major) {}

    static List<Entry> read(byte[] tar) throws IOException {
        TarReader r = new TarReader(new ByteArrayInputStream(tar));
        List<Entry> out = new ArrayList<>();
        for (TarReader.Header h = r.next(); h != null; h = r.next()) {
            String body = new String(r.body().readAllBytes(), StandardCharsets.ISO_8859_1);
            out.add(new Entry(h.name, (char) h.type, h.size, body, h.devmajor));
        }
        return out;
    }

    /** The output tar's entry names under the layer's diff folder. */
    static List<String> stored(byte[] layer) throws IOException {
        List<String> names = new ArrayList<>();
        for (Entry e : read(LayerSafetyTest.store(layer))) names.add(e.name().substring("overlay/x/diff/".length()));
        return names;
    }

    /** A header block changed in place (offset, bytes), its checksum made right again. */
    static byte[] patch(byte[] tar, int block, int off, String bytes) {
        byte[] t = tar.clone();
        int b = block * 512;
        byte[] v = bytes.getBytes(StandardCharsets.ISO_8859_1);
        System.arraycopy(v, 0, t, b + off, v.length);
        Arrays.fill(t, b + 148, b + 156, (byte) ' ');
        long sum = 0;
        for (int i = 0; i < 512; i++) sum += t[b + i] & 0xff;
        byte[] s = (Raw.octal(sum, 6) + "\0 ").getBytes(StandardCharsets.ISO_8859_1);
        System.arraycopy(s, 0, t, b + 148, 8);
        return t;
    }

    static Raw global(Raw r, String name, String... kv) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < kv.length; i += 2) s.append(Raw.record(kv[i], kv[i + 1]));
        byte[] b = s.toString().getBytes(StandardCharsets.ISO_8859_1);
        r.entry(name, 'g', b.length, "", 0, 0);
        return r.body(b);
    }

    // ---- global PAX headers ('g')

    @Test
    void severalGlobalHeadersAreEntriesOfTheirOwnAndPutNothingOnDisk() throws IOException {
        Raw r = new Raw();
        global(r, "pax_global_header", "comment", "first");
        r.file("a", "A");
        global(r, "/tmp/GlobalHead.7.2", "mtime", "5"); // GNU tar's name for them: absolute, and it is no file
        global(r, "ignored", "path", "GlobalHead.7.3"); // as Go: a path record names the header itself
        r.file("b", "B");
        byte[] layer = r.end();
        assertThat(read(layer)).extracting(Entry::name, Entry::type).containsExactly(tuple("pax_global_header", 'g'),
                tuple("a", '0'), tuple("/tmp/GlobalHead.7.2", 'g'), tuple("GlobalHead.7.3", 'g'), tuple("b", '0'));
        assertThat(stored(layer)).containsExactly("", "a", "b");
    }

    @Test
    void twoGlobalHeadersOfOneNameAreRefusedAsTarSplitRefusesThem() {
        Raw r = new Raw();
        global(r, "pax_global_header", "comment", "1");
        global(r, "pax_global_header", "comment", "2");
        LayerSafetyTest.refused(r.file("a", "A").end(), "duplicate entry [pax_global_header]");
    }

    // ---- PAX sparse files (GNU formats 0.0, 0.1, 1.0): regular files with their holes

    @ParameterizedTest(name = "GNU tar --sparse-version={0}")
    @ValueSource(strings = {"0.0", "0.1", "1.0"})
    void paxSparseFilesReadAsRegularFilesWithTheirHoles(String version) throws Exception {
        TarFormatsTest.Gnu.require();
        Path root = Files.createDirectories(tmp.resolve("s"));
        byte[] want = new byte[(3 << 20) + 5];
        try (RandomAccessFile f = new RandomAccessFile(root.resolve("holes").toFile(), "rw")) {
            f.write("head".getBytes(StandardCharsets.US_ASCII));
            f.seek(1 << 20);
            f.write("middle".getBytes(StandardCharsets.US_ASCII));
            f.seek(want.length - 5);
            f.write("tail!".getBytes(StandardCharsets.US_ASCII));
        }
        System.arraycopy("head".getBytes(StandardCharsets.US_ASCII), 0, want, 0, 4);
        System.arraycopy("middle".getBytes(StandardCharsets.US_ASCII), 0, want, 1 << 20, 6);
        System.arraycopy("tail!".getBytes(StandardCharsets.US_ASCII), 0, want, want.length - 5, 5);
        byte[] tar = TarFormatsTest.gnuTar(root, "--format=posix", "--sparse", "--sparse-version=" + version);
        assertThat(tar.length).as("stored sparse").isLessThan(64 << 10);
        Entry e = read(tar).stream().filter(x -> x.name().equals("./holes")).findFirst().orElseThrow();
        assertThat(e.type()).isEqualTo('0');
        assertThat(e.size()).isEqualTo(want.length);
        assertThat(e.body().getBytes(StandardCharsets.ISO_8859_1)).isEqualTo(want);
        assertThat(stored(tar)).contains("holes");
    }

    @Test
    void aSparseMapBeyondTheFileOrOutOfOrderIsRefused() {
        LayerSafetyTest.refused(new Raw().pax("GNU.sparse.major", "0", "GNU.sparse.minor", "1", "GNU.sparse.size", "10",
                "GNU.sparse.numblocks", "1", "GNU.sparse.map", "5,10").file("f", "x".repeat(10)).end(), "bad sparse map");
        LayerSafetyTest.refused(new Raw().pax("GNU.sparse.numbytes", "1", "GNU.sparse.offset", "0").file("f", "x").end(),
                "sparse map out of order");
    }

    @Test
    void sparseDataTheMapDoesNotUseIsRefused() {
        LayerSafetyTest.refused(new Raw().pax("GNU.sparse.major", "0", "GNU.sparse.minor", "1", "GNU.sparse.size", "10",
                "GNU.sparse.numblocks", "1", "GNU.sparse.map", "0,2").file("f", "xxxx").end(), "unreferenced data");
    }

    // ---- old GNU and USTAR headers

    @Test
    void aGnuLongNameWinsOverAPaxPath() throws IOException {
        byte[] longName = "long-name\0".getBytes(StandardCharsets.ISO_8859_1);
        Raw r = new Raw().pax("path", "from-pax");
        r.entry("././@LongLink", 'L', longName.length, "", 0, 0).body(longName);
        assertThat(read(r.file("short", "x").end()).get(0).name()).isEqualTo("long-name");
    }

    @Test
    void ustarMagicWithAnyVersionHasItsPrefix() throws IOException {
        byte[] tar = new Raw().file("name", "x").end();
        tar = patch(tar, 0, 345, "pre");
        assertThat(read(tar).get(0).name()).isEqualTo("pre/name");
        assertThat(read(patch(tar, 0, 263, "\0\0")).get(0).name()).as("Go does not look at the version").isEqualTo("pre/name");
    }

    @Test
    void oldGnuTimesThatDoNotParseAreAPrefixWrittenByGoBefore18() throws IOException {
        byte[] gnu = patch(new Raw().file("name", "x").end(), 0, 257, "ustar  \0");
        assertThat(read(patch(gnu, 0, 345, "00000000001\0")).get(0).name()).as("a real atime").isEqualTo("name");
        assertThat(read(patch(gnu, 0, 345, "some/dir")).get(0).name()).isEqualTo("some/dir/name");
    }

    @Test
    void aBadDeviceNumberOnAnyTypeIsAnInvalidHeaderAsInGo() {
        byte[] tar = patch(new Raw().file("f", "x").end(), 0, 329, "9x");
        assertThatThrownBy(() -> read(tar)).isInstanceOf(IOException.class).hasMessage("invalid tar header (bad number)");
    }

    @Test
    void aBase256ChecksumIsInvalid() {
        byte[] tar = new Raw().file("f", "x").end();
        tar[148] = (byte) 0x80;
        assertThatThrownBy(() -> read(tar)).isInstanceOf(IOException.class).hasMessage("invalid tar header (bad checksum)");
    }

    @Test
    void anEmptyPaxRecordKeepsTheHeaderValue() throws IOException {
        assertThat(read(new Raw().pax("path", "").file("kept", "x").end()).get(0).name()).isEqualTo("kept");
    }

    // ---- what make writes, verify accepts

    /** Stores the layer as an image with Storage (as make does), then runs verify on the output. */
    String makeThenVerify(byte[] layer) throws IOException {
        String h = Digest.of(layer).hex();
        byte[] config = ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{},\"rootfs\":{\"type\":\"layers\","
                + "\"diff_ids\":[\"sha256:" + h + "\"]}}").getBytes(StandardCharsets.UTF_8);
        byte[] manifest = ("[{\"Config\":\"c.json\",\"RepoTags\":[\"test/odd:1\"],\"Layers\":[\"l.tar\"]}]").getBytes(StandardCharsets.UTF_8);
        Path archive = tmp.resolve("odd.tar"), out = tmp.resolve("images.tar");
        try (OutputStream o = Files.newOutputStream(archive)) {
            TarWriter w = new TarWriter(o);
            w.put(TarWriter.Entry.file("l.tar", 0644, 0, 0), layer);
            w.put(TarWriter.Entry.file("c.json", 0644, 0, 0), config);
            w.put(TarWriter.Entry.file("manifest.json", 0644, 0, 0), manifest);
            w.finish();
        }
        try (OutputStream o = Files.newOutputStream(out)) {
            Storage.write(lib.exec.Run.QUIET, List.of("docker-archive:" + archive), o);
        }
        return Verify.run(out.toString());
    }

    @Test
    void anOpaqueMarkerOrWhiteoutWithABodyVerifies() throws IOException {
        byte[] layer = new Raw().entry("d/", '5', 0, "", 0, 0).file("d/.wh..wh..opq", "a body").file("d/.wh.gone", "more")
                .file("d/f", "x").end();
        assertThat(makeThenVerify(layer)).startsWith("OK ");
    }

    @Test
    void aSparseFileAndGlobalHeadersVerify() throws IOException {
        Raw r = new Raw();
        global(r, "pax_global_header", "comment", "x");
        r.pax("GNU.sparse.major", "0", "GNU.sparse.minor", "1", "GNU.sparse.size", "5000", "GNU.sparse.numblocks", "2",
                "GNU.sparse.map", "0,3,4000,4").file("holes", "abcdefg");
        assertThat(makeThenVerify(r.end())).startsWith("OK ");
    }
}
