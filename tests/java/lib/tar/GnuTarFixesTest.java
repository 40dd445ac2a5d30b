package lib.tar;

import lib.model.Digest;
import lib.model.Layer;
import lib.store.OverlayLayer;
import static org.assertj.core.api.Assertions.*;

import java.io.*;
import java.nio.charset.StandardCharsets;
import java.util.*;
import org.junit.jupiter.api.Test;

/** What OverlayLayer writes again at the end of a layer so that GNU tar unpacks what containers/storage applies. */
class GnuTarFixesTest {
    @Test
    void foldersInWalkOrderAreNotLate() {
        var f = new GnuTarFixes.LateFolders();
        f.entry("a", true);
        f.entry("a/x", false);
        f.entry("a/b", true);
        f.entry("a/b/y", false);
        f.entry("a/z", false); // a is still open: GNU tar has not set its time yet
        f.entry("c", true);
        assertThat(f.late()).isEmpty();
    }

    @Test
    void aChildAfterAnOtherFolderMakesItsFolderLate() {
        var f = new GnuTarFixes.LateFolders();
        f.entry("a", true);
        f.entry("a/b", true);
        f.entry("c", false);
        f.entry("a/b/late", false);
        f.entry("a/also", false);
        assertThat(f.late()).containsExactly("a/b", "a");
    }

    @Test
    void aFolderListedAgainIsOpenAgain() {
        var f = new GnuTarFixes.LateFolders();
        f.entry("a", true);
        f.entry("c", false);
        f.entry("a", true);
        f.entry("a/x", false);
        assertThat(f.late()).isEmpty();
    }

    @Test
    void aLinkWithTheTargetsHeaderChangesNothing() {
        var i = new GnuTarFixes.Inodes();
        i.file("f", file("f", 0644, 1, 10), 3);
        i.link("l", "f", link("l", 0644, 1, 10, Map.of()));
        assertThat(i.changed()).isEmpty();
        assertThat(i.links("f")).containsExactly("l");
    }

    @Test
    void aLinkWithOtherAttributesChangesTheInode() {
        var i = new GnuTarFixes.Inodes();
        TarWriter.Entry f = new TarWriter.Entry("P/f", (byte) '0', 04755, 1, 2, 10, 0, "", 5, 0, 0,
                new TreeMap<>(Map.of("user.a", "1", "user.b", "2")));
        i.file("f", f, 7);
        i.link("l1", "f", link("l1", 0600, 3, 20, Map.of("user.b", "3")));
        i.link("l2", "l1", link("l2", 0600, 3, 20, Map.of())); // a link to the link: the same inode
        assertThat(i.changed()).containsExactly(Map.entry(7L, "f"));
        TarWriter.Entry s = i.state("f");
        assertThat(List.of(s.path(), s.type(), s.mode(), s.uid(), s.gid(), s.mtime(), s.size()))
                .containsExactly("P/f", (byte) '0', 0600, 3L, 3L, 20L, 5L);
        assertThat(s.xattrs()).containsExactly(Map.entry("user.a", "1"), Map.entry("user.b", "3"));
        assertThat(i.links("f")).containsExactly("l1", "l2");
    }

    @Test
    void xattrsWithAnEmptyValueAreDropped() throws IOException {
        TarReader.Header h = header("f", (byte) '0', Map.of("user.a", "", "trusted.b", "\0\u00ff"));
        assertThat(OverlayLayer.xattrs(h, h.type)).containsExactly(Map.entry("trusted.b", "\0\u00ff"));
    }

    @Test
    void userXattrsOnASymlinkDeviceOrFifoAreRefused() throws IOException {
        for (byte t : new byte[] {'2', '3', '4', '6'}) {
            TarReader.Header h = header("dev/x", t, Map.of("user.a", "1"));
            assertThatThrownBy(() -> OverlayLayer.xattrs(h, t)).isInstanceOf(IOException.class)
                    .hasMessage("extended attribute [user.a] on [dev/x], which is not a file or folder"
                            + " (the kernel refuses user.* attributes there)");
            assertThat(OverlayLayer.xattrs(header("dev/x", t, Map.of("user.a", "", "trusted.a", "1")), t))
                    .containsOnlyKeys("trusted.a");
        }
        assertThat(OverlayLayer.xattrs(header("d", (byte) '5', Map.of("user.a", "1")), (byte) '5')).containsOnlyKeys("user.a");
    }

    /** A layer whose folder gets a child late and whose hard link changes its file: both written again at the end. */
    @Test
    void theWriterWritesFilesAndFoldersAgainAtTheEnd() throws IOException {
        ByteArrayOutputStream layer = new ByteArrayOutputStream();
        try (var t = new org.apache.commons.compress.archivers.tar.TarArchiveOutputStream(layer)) {
            put(t, "a/", (byte) '5', 0755, 0, null, "");
            put(t, "a/f", (byte) '0', 0644, 0, null, "body\n");
            put(t, "b", (byte) '0', 0644, 0, null, "b\n");
            put(t, "a/late", (byte) '0', 0644, 0, null, "late\n");
            put(t, "hl", (byte) '1', 0600, 5, "a/f", "");
        }
        byte[] bytes = layer.toByteArray();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        TarWriter w = new TarWriter(out);
        TarWriter.Entry root = TarWriter.Entry.dir("D/", 0555, 0, 0, 1);
        w.put(root);
        Layer blob = new Layer(Digest.of(bytes), null, -1, () -> new ByteArrayInputStream(bytes), "test");
        OverlayLayer.write(blob, root, 1, w);
        w.finish();
        List<String> names = new ArrayList<>();
        TarReader r = new TarReader(new ByteArrayInputStream(out.toByteArray()));
        for (TarReader.Header h = r.next(); h != null; h = r.next())
            names.add((char) h.type + " " + h.name + " " + Long.toOctalString(h.mode) + " " + h.uid + (h.linkname.isEmpty() ? "" : " " + h.linkname));
        assertThat(names).containsExactly("5 D/ 555 0", "5 D/a/ 755 0", "0 D/a/f 644 0", "0 D/b 644 0", "0 D/a/late 644 0",
                "1 D/hl 600 5 D/a/f",
                "0 D/a/f 600 5", "1 D/hl 600 5 D/a/f", // the file as the link header leaves it, then its link again
                "5 D/a/ 755 0"); // the folder again: GNU tar sets its time after the late children
    }

    /** A folder containers/storage makes for a path (MkdirAll) keeps the setgid bit of its parent, as mkdir does. */
    @Test
    void aFolderImpliedUnderASetgidFolderIsSetgid() throws IOException {
        ByteArrayOutputStream layer = new ByteArrayOutputStream();
        try (var t = new org.apache.commons.compress.archivers.tar.TarArchiveOutputStream(layer)) {
            put(t, "s/", (byte) '5', 02775, 0, null, "");
            put(t, "s/a/f", (byte) '0', 0644, 0, null, "f\n");
        }
        byte[] bytes = layer.toByteArray();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        TarWriter w = new TarWriter(out);
        TarWriter.Entry root = TarWriter.Entry.dir("D/", 0555, 0, 0, 1);
        OverlayLayer.write(new Layer(Digest.of(bytes), null, -1, () -> new ByteArrayInputStream(bytes), "test"), root, 1, w);
        w.finish();
        Map<String, Long> modes = new LinkedHashMap<>();
        TarReader r = new TarReader(new ByteArrayInputStream(out.toByteArray()));
        for (TarReader.Header h = r.next(); h != null; h = r.next()) modes.put(h.name, h.mode);
        assertThat(modes).containsExactly(Map.entry("D/s/", 02775L), Map.entry("D/s/a/", 02755L), Map.entry("D/s/a/f", 0644L));
    }

    private static void put(org.apache.commons.compress.archivers.tar.TarArchiveOutputStream t, String name, byte type,
                            int mode, int uid, String link, String body) throws IOException {
        var e = new org.apache.commons.compress.archivers.tar.TarArchiveEntry(name, type);
        e.setMode(mode);
        e.setUserId(uid);
        if (link != null) e.setLinkName(link);
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        if (type == '0') e.setSize(b.length);
        t.putArchiveEntry(e);
        t.write(b);
        t.closeArchiveEntry();
    }

    private static TarReader.Header header(String name, byte type, Map<String, String> xattrs) {
        TarReader.Header h = new TarReader.Header();
        h.name = name;
        h.type = type;
        h.xattrs.putAll(xattrs);
        return h;
    }

    private static TarWriter.Entry file(String path, int mode, long uid, long mtime) {
        return new TarWriter.Entry("P/" + path, (byte) '0', mode, uid, uid, mtime, 0, "", 5, 0, 0, new TreeMap<>());
    }

    private static TarWriter.Entry link(String path, int mode, long uid, long mtime, Map<String, String> x) {
        return new TarWriter.Entry("P/" + path, (byte) '1', mode, uid, uid, mtime, 0, "P/f", 0, 0, 0, new TreeMap<>(x));
    }
}
