import java.io.*;
import java.nio.charset.StandardCharsets;
import java.nio.file.*;
import java.security.MessageDigest;
import java.util.*;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/**
 * Test images made here, nothing pulled: layer tars written entry by entry (busybox from
 * Debian's busybox-static, generated files), packed as a docker-archive and `docker load`ed.
 */
public final class TestImages {
    private TestImages() {}

    public static final String LONG = "data/" + "a-very-long-folder-name-that-goes-on/".repeat(3) + "and-a-file-name-over-one-hundred.txt";

    /** One layer tar, built in memory. */
    public static final class Layer {
        private final ByteArrayOutputStream buf = new ByteArrayOutputStream();
        private final TarArchiveOutputStream tar = new TarArchiveOutputStream(buf, "UTF-8");
        private static final long MTIME = 1_600_000_000L;

        public Layer() {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
        }

        public Layer dir(String name, int mode) {
            return put(entry(name + "/", TarConstants.LF_DIR, mode, 0, 0), null);
        }

        public Layer file(String name, int mode, String content) {
            return file(name, mode, 0, 0, content.getBytes(StandardCharsets.UTF_8));
        }

        public Layer file(String name, int mode, int uid, int gid, byte[] content) {
            TarArchiveEntry e = entry(name, TarConstants.LF_NORMAL, mode, uid, gid);
            e.setSize(content.length);
            return put(e, content);
        }

        public Layer symlink(String name, String target) {
            TarArchiveEntry e = entry(name, TarConstants.LF_SYMLINK, 0777, 0, 0);
            e.setLinkName(target);
            return put(e, null);
        }

        public Layer hardlink(String name, String target) {
            TarArchiveEntry e = entry(name, TarConstants.LF_LINK, 0644, 0, 0);
            e.setLinkName(target);
            return put(e, null);
        }

        /** A whiteout: NAME deleted from the layers below. */
        public Layer whiteout(String dir, String name) {
            return file((dir.isEmpty() ? "" : dir + "/") + ".wh." + name, 0644, "");
        }

        /** An opaque folder: only what this layer puts in it shows. */
        public Layer opaque(String dir) {
            return file(dir + "/.wh..wh..opq", 0644, "");
        }

        /** busybox and the links a small rootfs needs. */
        public Layer busybox() {
            dir("bin", 0755).file("bin/busybox", 0755, 0, 0, readBusybox());
            for (String c : List.of("sh", "echo", "cat", "ls", "test", "stat", "find", "sort", "wc", "id", "head"))
                symlink("bin/" + c, "busybox");
            return dir("etc", 0755).file("etc/passwd", 0644, "root:x:0:0:root:/:/bin/sh\n").dir("tmp", 01777);
        }

        private TarArchiveEntry entry(String name, byte type, int mode, int uid, int gid) {
            TarArchiveEntry e = new TarArchiveEntry(name, type);
            e.setMode(mode);
            e.setUserId(uid);
            e.setGroupId(gid);
            e.setModTime(MTIME * 1000);
            return e;
        }

        private Layer put(TarArchiveEntry e, byte[] content) {
            try {
                tar.putArchiveEntry(e);
                if (content != null) tar.write(content);
                tar.closeArchiveEntry();
                return this;
            } catch (IOException x) {
                throw new UncheckedIOException(x);
            }
        }

        public byte[] bytes() {
            try {
                tar.finish();
                return buf.toByteArray();
            } catch (IOException x) {
                throw new UncheckedIOException(x);
            }
        }
    }

    public static byte[] readBusybox() {
        try {
            return Files.readAllBytes(Path.of(Bed.which("busybox") != null ? Bed.which("busybox") : "/bin/busybox"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** A docker-archive (as `docker save` writes) of one image. */
    public static byte[] archive(String name, List<String> cmd, List<byte[]> layers) {
        try {
            ByteArrayOutputStream buf = new ByteArrayOutputStream();
            TarArchiveOutputStream t = new TarArchiveOutputStream(buf);
            List<String> diffIds = new ArrayList<>(), paths = new ArrayList<>();
            for (byte[] l : layers) {
                String h = sha256(l);
                diffIds.add("\"sha256:" + h + "\"");
                paths.add("\"" + h + "/layer.tar\"");
                add(t, h + "/layer.tar", l);
            }
            String cmdJson = cmd.stream().map(c -> "\"" + c.replace("\\", "\\\\").replace("\"", "\\\"") + "\"")
                    .reduce((a, b) -> a + "," + b).orElse("");
            String config = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"created\":\"2020-09-13T12:26:40Z\","
                    + "\"config\":{\"Env\":[\"PATH=/bin\"],\"Cmd\":[" + cmdJson + "]},"
                    + "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[" + String.join(",", diffIds) + "]}}";
            byte[] cb = config.getBytes(StandardCharsets.UTF_8);
            String cfgName = sha256(cb) + ".json";
            add(t, cfgName, cb);
            add(t, "manifest.json", ("[{\"Config\":\"" + cfgName + "\",\"RepoTags\":[\"" + name + "\"],\"Layers\":["
                    + String.join(",", paths) + "]}]").getBytes(StandardCharsets.UTF_8));
            t.finish();
            return buf.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void add(TarArchiveOutputStream t, String name, byte[] b) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(name);
        e.setSize(b.length);
        e.setModTime(0);
        t.putArchiveEntry(e);
        t.write(b);
        t.closeArchiveEntry();
    }

    /** Loads an image into the test daemon; returns its name. */
    public static String load(String name, List<String> cmd, List<byte[]> layers) {
        Path f = Bed.WORK.resolve(name.replaceAll("[^a-z0-9]", "_") + ".tar");
        try {
            Files.write(f, archive(name, cmd, layers));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Bed.docker("load", "-i", f.toString());
        return name;
    }

    /** The busybox base layer, shared by several test images. */
    public static byte[] base() {
        return new Layer().busybox()
                .dir("data", 0755).dir("data/keep", 0755).file("data/keep/k.txt", 0644, "keep\n")
                .file("data/gone.txt", 0644, "gone\n")
                .dir("data/replace", 0755).file("data/replace/old1.txt", 0644, "old1\n")
                .dir("data/replace/sub", 0755).file("data/replace/sub/old2.txt", 0644, "old2\n")
                .hardlink("data/hard", "data/keep/k.txt")
                .symlink("data/link", "keep/k.txt")
                .file("data/suid", 04755, 0, 0, "#!/bin/sh\n".getBytes(StandardCharsets.UTF_8))
                .file("data/owned", 0640, 1000, 1001, "owned\n".getBytes(StandardCharsets.UTF_8))
                .dir("data/empty", 0700)
                .dir("data/a-very-long-folder-name-that-goes-on", 0755)
                .dir("data/a-very-long-folder-name-that-goes-on/a-very-long-folder-name-that-goes-on", 0755)
                .dir("data/a-very-long-folder-name-that-goes-on/a-very-long-folder-name-that-goes-on/a-very-long-folder-name-that-goes-on", 0755)
                .file(LONG, 0644, "long\n")
                .bytes();
    }

    /** The upper layer: deletes data/gone.txt, replaces data/replace, adds a file. */
    public static byte[] upper() {
        return new Layer().dir("data", 0755).whiteout("data", "gone.txt")
                .dir("data/replace", 0750).opaque("data/replace").file("data/replace/new.txt", 0644, "new\n")
                .file("data/added.txt", 0600, "added\n")
                .bytes();
    }

    /** What a container of the multi-layer image prints: the data tree and what is gone. */
    public static final String MULTI_CMD = "cd /data && find . | sort && cat replace/new.txt && test ! -e gone.txt && echo gone-is-gone";

    /** test/multi:1 = base + upper; returns the name. */
    public static String multi(String name) {
        return load(name, List.of("/bin/sh", "-c", MULTI_CMD), List.of(base(), upper()));
    }

    /** A one-layer image on the same base layer, printing a word. */
    public static String plain(String name, String word) {
        return load(name, List.of("/bin/echo", word), List.of(base()));
    }
}
