package lib.store;

import lib.model.Digest;
import java.io.*;
import java.nio.charset.StandardCharsets;
import java.nio.file.*;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.*;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/**
 * The input of the golden files in golden/: a docker-archive of two layers, same bytes every
 * time. The layers hold what tar-split and the overlay store must get right: folders, modes and
 * owners, symbolic and hard links, a long name, a name that is not UTF-8, a sub-second time,
 * an xattr, a device, an empty file; the upper layer a whiteout and an opaque folder.
 *
 * <p>The golden files were captured once, as root, from skopeo (containers/storage 1.9's overlay):
 * <pre>
 * java -cp tests/target/test-classes:tests/target/classes:$CP lib.store.GoldenInput /tmp/golden.tar
 * skopeo --insecure-policy copy docker-archive:/tmp/golden.tar \
 *     'containers-storage:[overlay@/tmp/gs/root+/tmp/gs/run]test/golden:1'
 * </pre>
 * then layers.json, images.json, each layer's tar-split (gunzipped, JSON lines) and the names
 * of the image's big-data files copied as text; see GoldenStoreTest for how they are compared.
 */
public final class GoldenInput {
    static final String REF = "test/golden:1";
    static final long MTIME = 1_600_000_000L;

    private GoldenInput() {}

    public static void main(String[] args) throws IOException {
        write(Path.of(args[0]));
    }

    /** Writes the docker-archive to file. */
    static void write(Path file) throws IOException {
        List<byte[]> layers = List.of(base(), upper());
        List<String> paths = new ArrayList<>(), diffIds = new ArrayList<>();
        for (byte[] l : layers) {
            paths.add("\"" + Digest.of(l).hex() + "/layer.tar\"");
            diffIds.add("\"" + Digest.of(l).toString() + "\"");
        }
        byte[] config = ("{\"architecture\":\"amd64\",\"config\":{\"Cmd\":[\"/bin/sh\"],\"Env\":[\"PATH=/bin\"]},"
                + "\"created\":\"2020-09-13T12:26:40.5Z\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":["
                + String.join(",", diffIds) + "]}}").getBytes(StandardCharsets.UTF_8);
        String manifest = "[{\"Config\":\"" + Digest.of(config).hex() + ".json\",\"RepoTags\":[\"" + REF + "\"],\"Layers\":["
                + String.join(",", paths) + "]}]";
        try (TarArchiveOutputStream t = new TarArchiveOutputStream(Files.newOutputStream(file))) {
            for (byte[] l : layers) add(t, Digest.of(l).hex() + "/layer.tar", l);
            add(t, Digest.of(config).hex() + ".json", config);
            add(t, "manifest.json", manifest.getBytes(StandardCharsets.UTF_8));
        }
    }

    /** The base layer. Names are raw bytes (ISO-8859-1), so "caf\u00e9" is one byte 0xE9: not UTF-8. */
    static byte[] base() throws IOException {
        return layer(t -> {
            dir(t, "bin/", 0755, 0, 0);
            file(t, "bin/sh", 0755, 0, 0, "#!/bin/true\n");
            dir(t, "data/", 0755, 0, 0);
            file(t, "data/a.txt", 0640, 1000, 1000, "a\n");
            file(t, "data/gone.txt", 0644, 0, 0, "gone\n");
            file(t, "data/empty", 0644, 0, 0, "");
            link(t, "data/link", TarConstants.LF_SYMLINK, "a.txt");
            link(t, "data/hard", TarConstants.LF_LINK, "data/a.txt");
            file(t, "data/" + "a-long-folder-name/".repeat(6) + "file.txt", 0644, 0, 0, "long\n");
            file(t, "data/caf\u00e9", 0644, 0, 0, "latin-1 name\n");
            TarArchiveEntry x = entry("data/xattr", TarConstants.LF_NORMAL, 0644, 0, 0);
            x.addPaxHeader("SCHILY.xattr.user.note", "kept");
            x.setLastModifiedTime(FileTime.from(Instant.ofEpochSecond(MTIME, 250_000_000)));
            put(t, x, "x\n");
            dir(t, "data/replace/", 0755, 0, 0);
            file(t, "data/replace/old.txt", 0644, 0, 0, "old\n");
            dir(t, "dev/", 0755, 0, 0);
            TarArchiveEntry d = entry("dev/null", TarConstants.LF_CHR, 0666, 0, 0);
            d.setDevMajor(1);
            d.setDevMinor(3);
            put(t, d, null);
            dir(t, "tmp/", 01777, 0, 0);
        });
    }

    /** The upper layer: a whiteout, an opaque folder refilled, a new file owned by another user. */
    static byte[] upper() throws IOException {
        return layer(t -> {
            dir(t, "data/", 0755, 0, 0);
            file(t, "data/.wh.gone.txt", 0644, 0, 0, "");
            dir(t, "data/replace/", 0700, 0, 0);
            file(t, "data/replace/.wh..wh..opq", 0644, 0, 0, "");
            file(t, "data/replace/new.txt", 0600, 2000, 3000, "new\n");
        });
    }

    interface Body {
        void write(TarArchiveOutputStream t) throws IOException;
    }

    static byte[] layer(Body body) throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        try (TarArchiveOutputStream t = new TarArchiveOutputStream(buf, "ISO-8859-1")) {
            t.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            t.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
            body.write(t);
        }
        return buf.toByteArray();
    }

    static TarArchiveEntry entry(String name, byte type, int mode, int uid, int gid) {
        TarArchiveEntry e = new TarArchiveEntry(name, type);
        e.setMode(mode);
        e.setUserId(uid);
        e.setGroupId(gid);
        e.setModTime(MTIME * 1000);
        return e;
    }

    static void dir(TarArchiveOutputStream t, String name, int mode, int uid, int gid) throws IOException {
        put(t, entry(name, TarConstants.LF_DIR, mode, uid, gid), null);
    }

    static void file(TarArchiveOutputStream t, String name, int mode, int uid, int gid, String body) throws IOException {
        put(t, entry(name, TarConstants.LF_NORMAL, mode, uid, gid), body);
    }

    static void link(TarArchiveOutputStream t, String name, byte type, String target) throws IOException {
        TarArchiveEntry e = entry(name, type, 0777, 0, 0);
        e.setLinkName(target);
        put(t, e, null);
    }

    static void put(TarArchiveOutputStream t, TarArchiveEntry e, String body) throws IOException {
        byte[] b = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
        if (body != null) e.setSize(b.length);
        t.putArchiveEntry(e);
        t.write(b);
        t.closeArchiveEntry();
    }

    public static void add(TarArchiveOutputStream t, String name, byte[] b) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(name);
        e.setSize(b.length);
        e.setModTime(MTIME * 1000);
        t.putArchiveEntry(e);
        t.write(b);
        t.closeArchiveEntry();
    }
}
