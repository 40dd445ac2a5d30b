package lib.cache;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.*;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.*;
import java.util.zip.CRC32C;

/**
 * The layer cache: what the storage writer produced for one layer, kept so that the next make
 * writes it again at copy speed instead of reading the layer from its source. The caller decides
 * the key (what decides the bytes); this class only keeps entries safe:
 * <ul>
 * <li>its folder is the user's own: $XDG_CACHE_HOME (default ~/.cache)/xcluster-images/make, mode 0700,
 * not a link; any other folder there makes the cache off, with a warning;
 * <li>an entry is written into tmp/ and renamed into place when complete (atomic: a crash leaves
 * at most a temporary file, never a half entry; two makes writing the same entry both rename a
 * whole one, with the same bytes); the temporary files of a make stopped by Ctrl-C are removed
 * as it exits, those of a killed one by the next make once they are an hour old;
 * <li>an entry carries its sizes and a CRC-32C of all its bytes, checked before it is used: a
 * damaged or truncated entry is removed and reported as missing, so its layer is read again
 * (this catches damage, not an attacker: the folder is the user's own, as their home is);
 * <li>an entry that is used gets a new time, so prune removes the least recently used first.
 * </ul>
 * Layout: layers/XX/KEY (one file each: body, split, meta, then a 40-byte trailer), configs/HEX
 * (image configs by their sha256), tmp/.
 */
public final class Cache {
    /** No cache: nothing is found, nothing kept (make --no-cache, tests of the plain writer). */
    public static final Cache NONE = new Cache(null);

    private static final byte[] MAGIC = "xcimg-1\n".getBytes(StandardCharsets.US_ASCII);
    private static final int TRAILER = 40; // magic, body, split and meta sizes, CRC-32C, 8 bytes each
    private static final long STALE_TMP_MILLIS = 3600_000; // a temporary file older than this is a crash's leftover

    private final Path root;

    private Cache(Path root) {
        this.root = root;
    }

    /** The cache folder: $XDG_CACHE_HOME/xcluster-images/make, else ~/.cache/xcluster-images/make (the launcher keeps launch/ beside it). */
    public static Path folder() {
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isEmpty() && xdg.startsWith("/") ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("xcluster-images").resolve("make");
    }

    /** The cache in folder(), made when missing; NONE when disabled or when the folder is not the user's own (warned). */
    public static Cache open(boolean enabled) {
        return enabled ? open(folder()) : NONE;
    }

    /** The cache in this folder (tests: a folder of their own). */
    public static Cache open(Path root) {
        try {
            Files.createDirectories(root.getParent());
            try {
                Files.createDirectory(root, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            } catch (FileAlreadyExistsException e) {
                // there: checked below
            }
            String why = notOwn(root);
            if (why != null) {
                System.err.println("WARNING: not using the cache [" + root + "]: " + why);
                return NONE;
            }
            for (String d : List.of("layers", "configs", "tmp")) Files.createDirectories(root.resolve(d));
            removeStale(root.resolve("tmp"));
            return new Cache(root);
        } catch (IOException | UnsupportedOperationException e) {
            System.err.println("WARNING: not using the cache [" + root + "]: " + e.getMessage());
            return NONE;
        }
    }

    /** Temporary files a killed make left (a running make's are newer): not entries, only space. */
    private static void removeStale(Path tmp) {
        long now = System.currentTimeMillis();
        try (var s = Files.list(tmp)) {
            for (Path p : (Iterable<Path>) s::iterator)
                if (now - Files.getLastModifiedTime(p, LinkOption.NOFOLLOW_LINKS).toMillis() > STALE_TMP_MILLIS) Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // prune tries again
        }
    }

    /** Entries being written: removed if the JVM ends first (Ctrl-C), so that even temporary files do not pile up. */
    private static final Set<Path> writing = Collections.synchronizedSet(new HashSet<>());

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            synchronized (writing) {
                for (Path p : writing) {
                    try {
                        Files.deleteIfExists(p);
                    } catch (IOException ignored) {
                        // left for prune
                    }
                }
            }
        }, "cache temporary files"));
    }

    /** Why a folder is not ours to trust, or null: a link, someone else's, open to others. */
    private static String notOwn(Path p) throws IOException {
        if (!Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) return "not a folder";
        Object uid = Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS);
        Object me = Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        if (!uid.equals(me)) return "owned by uid " + uid;
        int mode = (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 0777;
        if ((mode & 077) != 0) return String.format("mode %o, not 700", mode);
        return null;
    }

    public boolean enabled() {
        return root != null;
    }

    public Path root() {
        return root;
    }

    // ---- layer entries

    /** A checked entry, held open (a prune or a newer copy may remove its name meanwhile: the bytes stay). */
    public static final class Entry implements AutoCloseable {
        private final FileChannel ch;
        public final long bodySize;
        public final byte[] split, meta;

        private Entry(FileChannel ch, long bodySize, byte[] split, byte[] meta) {
            this.ch = ch;
            this.bodySize = bodySize;
            this.split = split;
            this.meta = meta;
        }

        /** Writes the body (the bytes the writer gave when the entry was made) to out. */
        public void copyBody(OutputStream out) throws IOException {
            ByteBuffer b = ByteBuffer.allocate(1 << 20);
            for (long pos = 0; pos < bodySize; ) {
                b.clear().limit((int) Math.min(b.capacity(), bodySize - pos));
                int n = ch.read(b, pos);
                if (n < 0) throw new IOException("cache entry shorter than when checked");
                out.write(b.array(), 0, n);
                pos += n;
            }
        }

        /** The body as a stream (positional reads: copyBody may run beside it); skips move without reading. */
        public InputStream body() {
            return lib.tar.TarIndex.slice(ch, 0, bodySize);
        }

        @Override
        public void close() {
            try {
                ch.close();
            } catch (IOException ignored) {
                // read only
            }
        }
    }

    /** The entry of this key, checked whole (sizes, CRC-32C) and opened; null when there is none or it is damaged (then removed). */
    public Entry find(String key) {
        if (root == null) return null;
        Path p = entry(key);
        FileChannel ch = null;
        try {
            ch = FileChannel.open(p, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
            Entry e = checked(ch);
            if (e == null) {
                ch.close();
                Files.deleteIfExists(p);
                System.err.println("WARNING: damaged cache entry removed [" + p + "]: its layer is read again");
                return null;
            }
            touch(p);
            return e;
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            close(ch);
            return null;
        }
    }

    private static Entry checked(FileChannel ch) throws IOException {
        long size = ch.size();
        if (size < TRAILER) return null;
        ByteBuffer t = ByteBuffer.allocate(TRAILER);
        if (readFully(ch, t, size - TRAILER) < TRAILER) return null;
        t.flip();
        byte[] magic = new byte[8];
        t.get(magic);
        long body = t.getLong(), split = t.getLong(), meta = t.getLong(), crc = t.getLong();
        if (!Arrays.equals(magic, MAGIC) || body < 0 || split < 0 || meta < 0 || split > 1 << 30 || meta > 1 << 20
                || body + split + meta + TRAILER != size)
            return null;
        CRC32C c = new CRC32C();
        ByteBuffer b = ByteBuffer.allocateDirect(1 << 20);
        for (long pos = 0; pos < size - TRAILER; ) {
            b.clear().limit((int) Math.min(b.capacity(), size - TRAILER - pos));
            int n = ch.read(b, pos);
            if (n <= 0) return null;
            b.flip();
            c.update(b);
            pos += n;
        }
        if (c.getValue() != crc) return null;
        ByteBuffer s = ByteBuffer.allocate((int) split), m = ByteBuffer.allocate((int) meta);
        if (readFully(ch, s, body) < split || readFully(ch, m, body + split) < meta) return null;
        return new Entry(ch, body, s.array(), m.array());
    }

    private static int readFully(FileChannel ch, ByteBuffer b, long pos) throws IOException {
        int total = 0;
        while (b.hasRemaining()) {
            int n = ch.read(b, pos + total);
            if (n < 0) break;
            total += n;
        }
        return total;
    }

    /** A new entry: write its body, then commit(split, meta) puts it in place; abort() (or a failed write) leaves nothing. */
    public Writer writer(String key) {
        if (root == null) return null;
        try {
            Path tmp = Files.createTempFile(root.resolve("tmp"), key.substring(0, Math.min(12, key.length())) + "-", ".part");
            return new Writer(this, key, tmp);
        } catch (IOException e) {
            return null;
        }
    }

    /**
     * An entry being written. Its writes never fail the make: a fault (disk full) only means the
     * entry is not kept.
     */
    public static final class Writer extends OutputStream {
        private final Cache cache;
        private final String key;
        private final Path tmp;
        private OutputStream out;
        private final CRC32C crc = new CRC32C();
        private long count;

        private Writer(Cache cache, String key, Path tmp) throws IOException {
            this.cache = cache;
            this.key = key;
            this.tmp = tmp;
            this.out = new java.io.BufferedOutputStream(Files.newOutputStream(tmp), 1 << 16);
            writing.add(tmp);
        }

        @Override
        public void write(int b) {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) {
            if (out == null) return;
            try {
                out.write(b, off, len);
                crc.update(b, off, len);
                count += len;
            } catch (IOException e) {
                abort();
            }
        }

        /** The body is complete: the split and meta follow, then the trailer; renamed into place. */
        public void commit(byte[] split, byte[] meta) {
            if (out == null) return;
            long body = count;
            write(split, 0, split.length);
            write(meta, 0, meta.length);
            if (out == null) return;
            ByteBuffer t = ByteBuffer.allocate(TRAILER);
            t.put(MAGIC).putLong(body).putLong(split.length).putLong(meta.length).putLong(crc.getValue());
            try {
                out.write(t.array());
                out.close();
                out = null;
                Path p = cache.entry(key);
                Files.createDirectories(p.getParent());
                Files.move(tmp, p, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                writing.remove(tmp);
            } catch (IOException e) {
                abort();
            }
        }

        /** Nothing kept. */
        public void abort() {
            Cache.close(out);
            out = null;
            try {
                Files.deleteIfExists(tmp);
                writing.remove(tmp);
            } catch (IOException ignored) {
                // left for prune
            }
        }

        @Override
        public void close() {
            if (out != null) abort(); // not committed
        }
    }

    private Path entry(String key) {
        if (!key.matches("[0-9a-f]{64}")) throw new IllegalArgumentException("cache key " + key);
        return root.resolve("layers").resolve(key.substring(0, 2)).resolve(key);
    }

    // ---- image configs, by their digest

    /** The config whose sha256 is hex, or null (also when its bytes are not that). */
    public byte[] config(String hex) {
        if (root == null || !hex.matches("[0-9a-f]{64}")) return null;
        Path p = root.resolve("configs").resolve(hex);
        try {
            if (Files.size(p) > 16 << 20) return null;
            byte[] b = Files.readAllBytes(p);
            if (!sha256(b).equals(hex)) {
                Files.deleteIfExists(p);
                return null;
            }
            touch(p);
            return b;
        } catch (IOException e) {
            return null;
        }
    }

    public void putConfig(byte[] config) {
        if (root == null) return;
        String hex = sha256(config);
        Path p = root.resolve("configs").resolve(hex);
        if (Files.exists(p, LinkOption.NOFOLLOW_LINKS)) return;
        try {
            Path tmp = Files.createTempFile(root.resolve("tmp"), "config-", ".part");
            Files.write(tmp, config);
            Files.move(tmp, p, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            // not kept: the next make saves it again
        }
    }

    /** The sha256 of b, in hex: what a key is made of. */
    public static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    // ---- size and prune

    /** A file of the cache, with its size and last use. */
    public record File(Path path, long size, long used) {}

    /** Every file of the cache (entries, configs, temporary files), least recently used first. */
    public List<File> files() throws IOException {
        List<File> out = new ArrayList<>();
        if (root == null) return out;
        for (String d : List.of("layers", "configs", "tmp")) {
            try (var s = Files.walk(root.resolve(d))) {
                for (Path p : (Iterable<Path>) s::iterator) {
                    if (!Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) continue;
                    var a = Files.readAttributes(p, java.nio.file.attribute.BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                    out.add(new File(p, a.size(), a.lastModifiedTime().toMillis()));
                }
            } catch (NoSuchFileException e) {
                // not made yet
            }
        }
        out.sort(Comparator.comparingLong(File::used));
        return out;
    }

    /**
     * Removes the least recently used files until the cache holds at most maxBytes, and the
     * temporary files a crash left (older than an hour; a running make's are newer). Returns
     * {files removed, bytes removed}. An entry in use stays readable by the make that opened it.
     */
    public long[] prune(long maxBytes) throws IOException {
        List<File> files = files();
        long total = files.stream().mapToLong(File::size).sum(), removed = 0, bytes = 0;
        long now = System.currentTimeMillis();
        for (File f : files) {
            boolean stale = f.path().startsWith(root.resolve("tmp")) && now - f.used() > STALE_TMP_MILLIS;
            if (total <= maxBytes && !stale) continue;
            if (f.path().startsWith(root.resolve("tmp")) && !stale) continue; // a running make's
            if (Files.deleteIfExists(f.path())) {
                removed++;
                bytes += f.size();
                total -= f.size();
            }
        }
        return new long[] {removed, bytes};
    }

    private static void touch(Path p) {
        try {
            Files.setLastModifiedTime(p, FileTime.fromMillis(System.currentTimeMillis()));
        } catch (IOException ignored) {
            // only the prune order
        }
    }

    private static void close(AutoCloseable c) {
        try {
            if (c != null) c.close();
        } catch (Exception ignored) {
            // nothing to keep
        }
    }
}
