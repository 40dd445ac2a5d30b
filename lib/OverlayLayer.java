package lib;

import java.io.*;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.*;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.compressors.bzip2.BZip2CompressorInputStream;

/**
 * One layer blob into the output tar, read once as a stream: its files become the entries of
 * overlay/ID/diff/ as containers/storage's overlay driver unpacks them (whiteouts as 0/0
 * character devices, opaque markers as the trusted.overlay.opaque xattr, hard links pointing at
 * their path in the output), while the tar-split record, the digests and the id sets are taken
 * on the way.
 */
final class OverlayLayer {
    /** What layers.json says about a stored layer. */
    record Result(String diffDigest, long diffSize, String blobDigest, long blobSize, int compression,
                  SortedSet<Long> uids, SortedSet<Long> gids, byte[] tarSplit) {}

    private final TarWriter out;
    private final String prefix; // var/lib/containers/storage/overlay/ID/diff/
    private final long time; // for folders the layer implies but does not list
    private final Map<String, Character> kinds = new HashMap<>(); // 'd' folder, 'f' other, 'w' whiteout
    private final Map<String, TarWriter.Entry> dirs = new HashMap<>();
    private final Set<String> opaque = new HashSet<>();
    private final SortedSet<Long> uids = new TreeSet<>(), gids = new TreeSet<>();
    private final TarSplit split = new TarSplit();
    private final byte[] buf = new byte[1 << 16];
    private TarWriter.Entry pendingDir; // held back one entry: its opaque marker usually follows it

    private OverlayLayer(TarWriter out, TarWriter.Entry root, long time) {
        this.out = out;
        this.prefix = root.path();
        this.time = time;
        kinds.put(".", 'd');
        dirs.put(".", root);
    }

    /**
     * Writes the entries of blob under the diff folder `root` (already written, its path ending
     * in a slash); dies naming the blob on any fault.
     */
    static Result write(Sources.Blob blob, TarWriter.Entry root, long time, TarWriter out) {
        try (InputStream raw = new BufferedInputStream(blob.opener().open(), 1 << 16)) {
            return new OverlayLayer(out, root, time).apply(blob, raw);
        } catch (IOException | UncheckedIOException e) {
            Throwable c = e instanceof UncheckedIOException u ? u.getCause() : e;
            String m = c.getMessage() != null ? c.getMessage() : c instanceof EOFException ? "unexpected end of data" : c.toString();
            throw Fail.die("Can't read layer [" + blob.where() + "]: " + printable(m));
        }
    }

    /** Names from a layer may hold any byte: the ERROR: line stays one line (controls as \\xNN). */
    static String printable(String m) {
        StringBuilder b = new StringBuilder(m.length());
        for (char c : m.toCharArray()) b.append(c < 0x20 || c == 0x7f ? String.format("\\x%02x", (int) c) : String.valueOf(c));
        return b.toString();
    }

    /** Reads a layer file through every check of write(), writing nothing: what mkimage --output hands on is checked too. */
    static void check(java.nio.file.Path layer, String diffId, String where) {
        TarWriter.Entry root = TarWriter.Entry.dir("x/", 0555, 0, 0, 0);
        write(new Sources.Blob(diffId, -1, diffId, () -> java.nio.file.Files.newInputStream(layer), where), root, 0,
                new TarWriter(OutputStream.nullOutputStream()));
    }

    private Result apply(Sources.Blob blob, InputStream raw) throws IOException {
        MessageDigest blobSha = Digests.newSha256(), diffSha = Digests.newSha256();
        CountingInput blobIn = new CountingInput(new DigestInputStream(raw, blobSha));
        int compression = compression(blobIn);
        // uncompressed, the layer is the blob: one digest serves both
        CountingInput plain = compression == 0 ? blobIn
                : new CountingInput(new DigestInputStream(decompress(blobIn, compression), diffSha));
        TarReader r = new TarReader(plain);
        try {
            for (TarReader.Header h = r.next(); h != null; h = r.next()) {
                split.segment(r.rawBytes());
                logIds(h);
                entry(h, r);
            }
            flushDir();
            split.segment(r.rawBytes());
            split.segment(r.rest(64 << 20));
            blobIn.transferTo(OutputStream.nullOutputStream()); // bytes after the compressed stream count too
        } catch (IOException e) {
            throw damaged(blob, e, plain, blobIn, blobSha, diffSha);
        }
        String blobDigest = hex(blobSha), diffDigest = compression == 0 ? blobDigest : hex(diffSha);
        check(blob, blobDigest, blobIn.count, diffDigest);
        return new Result(diffDigest, plain.count, blobDigest, blobIn.count, compression, uids, gids, split.finish());
    }

    /**
     * A layer that does not read: when its digest is wrong too, that is the cause to report (a damaged blob).
     * Only a little more is read to learn that (bounded work: a gzip bomb is not decompressed to its end).
     */
    private static IOException damaged(Sources.Blob blob, IOException e, InputStream plain, InputStream blobIn,
                                       MessageDigest blobSha, MessageDigest diffSha) {
        boolean byBlob = blob.digest() != null || plain == blobIn;
        try {
            if (!drained(byBlob ? blobIn : plain)) return e;
        } catch (IOException ignored) {
            return e; // the stream itself is broken (truncated compression...): report what failed first
        }
        String got = byBlob ? hex(blobSha) : hex(diffSha);
        String want = blob.digest() != null ? blob.digest() : blob.diffId();
        if (want.equals(got)) return e;
        return new IOException("digest mismatch: expected " + want + ", got " + got + " (" + e.getMessage() + ")");
    }

    /** Reads the rest of a damaged stream when it is short (16 MB); false when there is more. */
    private static boolean drained(InputStream in) throws IOException {
        byte[] b = new byte[1 << 16];
        for (long left = 16 << 20; left > 0; ) {
            int n = in.read(b, 0, (int) Math.min(b.length, left));
            if (n < 0) return true;
            left -= n;
        }
        return in.read() < 0;
    }

    private static String hex(MessageDigest d) {
        return "sha256:" + HexFormat.of().formatHex(d.digest());
    }

    private static void check(Sources.Blob blob, String blobDigest, long blobSize, String diffDigest) throws IOException {
        if (blob.digest() != null && !blob.digest().equals(blobDigest))
            throw new IOException("digest mismatch: expected " + blob.digest() + ", got " + blobDigest);
        if (blob.size() >= 0 && blob.size() != blobSize)
            throw new IOException("size mismatch: expected " + blob.size() + " bytes, got " + blobSize);
        if (!blob.diffId().equals(diffDigest))
            throw new IOException("diff ID mismatch: the image config says " + blob.diffId() + ", the layer is " + diffDigest);
    }

    /** containers/storage's uidset/gidset: every header but whiteouts. */
    private void logIds(TarReader.Header h) {
        if (GoPath.base(h.name).startsWith(".wh.")) return;
        uids.add(h.uid);
        gids.add(h.gid);
    }

    private void entry(TarReader.Header h, TarReader r) throws IOException {
        refuse(h);
        if (h.name.startsWith("/")) throw new IOException("absolute path [" + h.name + "]");
        if (Arrays.asList(h.name.split("/")).contains("..")) throw new IOException("path with .. [" + h.name + "]");
        String path = GoPath.clean(h.name);
        String base = GoPath.base(path), dir = GoPath.dir(path);
        if (pendingDir != null && !(base.equals(".wh..wh..opq") && dir.equals(pathOf(pendingDir)))) flushDir();
        byte[] crc = null;
        if (path.equals(".")) {
            if (!h.isDir()) throw new IOException("the layer root [" + h.name + "] is not a folder");
        } else if (base.equals(".wh..wh..opq")) {
            opaque(dir);
        } else if (base.startsWith(".wh.")) {
            if (base.equals(".wh.") || base.equals(".wh..") || base.equals(".wh..."))
                throw new IOException("whiteout of nothing, . or .. [" + h.name + "]");
            whiteout(dir.equals(".") ? base.substring(4) : dir + "/" + base.substring(4), h);
        } else {
            crc = put(path, h, r);
        }
        if (h.size > 0 && crc == null) crc = body(r, false); // tar-split reads every body, even one it drops
        split.file(h.name, h.size, h.size > 0 ? crc : null);
    }

    static final long MAX_ID = 0xfffffffeL; // uid_t -1 is "no change": containers/storage refuses it and beyond
    static final int MAX_NAME = 255, MAX_PATH = 4096; // NAME_MAX and PATH_MAX: what the VM could not unpack

    /** What Go's archive/tar and containers/storage would not unpack; cheap, one pass over the name. */
    private static void refuse(TarReader.Header h) throws IOException {
        if (h.name.length() > MAX_PATH || h.linkname.length() > MAX_PATH)
            throw new IOException("path longer than " + MAX_PATH + " bytes [" + h.name.substring(0, Math.min(h.name.length(), 80)) + "...]");
        if (h.uid < 0 || h.uid > MAX_ID || h.gid < 0 || h.gid > MAX_ID)
            throw new IOException("uid or gid out of range (" + h.uid + ":" + h.gid + ") [" + h.name + "]");
        int len = 0;
        for (int i = 0; i < h.name.length(); i++) {
            len = h.name.charAt(i) == '/' ? 0 : len + 1;
            if (len > MAX_NAME) throw new IOException("name longer than " + MAX_NAME + " bytes [" + h.name + "]");
        }
    }

    /** A file, folder, link or device of the layer; returns the CRC of its body when it has one. */
    private byte[] put(String path, TarReader.Header h, TarReader r) throws IOException {
        parents(path);
        if (h.type == 'g') return null; // a PAX global header: nothing on disk
        claim(path, h.isDir() ? 'd' : 'f');
        switch (h.type) {
            case '0' -> {
                out.put(entry(path, (byte) '0', h, "", h.size));
                return body(r, true);
            }
            case '5' -> pendingDir = entry(path + "/", (byte) '5', h, "", 0);
            case '2', '3', '4', '6' -> out.put(entry(path, h.type, h, h.linkname, 0));
            case '1' -> {
                if (GoPath.clean(h.linkname).equals(path)) throw new IOException("hard link to itself [" + h.name + "]");
                out.put(entry(path, h.type, h, prefix + hardLinkTarget(h.linkname), 0));
            }
            default -> throw new IOException("unsupported entry type '" + (char) h.type + "' [" + h.name + "]");
        }
        return null;
    }

    private String hardLinkTarget(String link) throws IOException {
        if (link.startsWith("/") || Arrays.asList(link.split("/")).contains(".."))
            throw new IOException("unsafe hard link target [" + link + "]");
        String target = GoPath.clean(link);
        Character k = kinds.get(target);
        if (k == null || k != 'f') throw new IOException("hard link to a missing file [" + link + "]");
        return target;
    }

    /** `.wh.NAME`: NAME deleted from the layers below, a 0/0 character device with no permissions. */
    private void whiteout(String path, TarReader.Header h) throws IOException {
        parents(path);
        claim(path, 'w');
        out.put(new TarWriter.Entry(prefix + path, (byte) '3', 0, h.uid, h.gid, h.mtime, h.mtimeNanos, "", 0, 0, 0,
                new TreeMap<>()));
    }

    /** `.wh..wh..opq`: the folder hides what the layers below have in it. */
    private void opaque(String dir) throws IOException {
        if (!dir.equals(".")) parents(dir + "/x");
        if (!opaque.add(dir)) return;
        if (pendingDir != null && pathOf(pendingDir).equals(dir)) {
            flushDir(); // the usual case: the marker right after its folder
        } else {
            TarWriter.Entry d = dirs.get(dir); // listed earlier: write it again, now with the xattr
            emitDir(d != null ? d : implicitDir(dir));
        }
    }

    private void flushDir() throws IOException {
        if (pendingDir == null) return;
        TarWriter.Entry d = pendingDir;
        pendingDir = null;
        emitDir(d);
    }

    private void emitDir(TarWriter.Entry d) throws IOException {
        String path = pathOf(d);
        dirs.put(path, d);
        if (opaque.contains(path)) {
            SortedMap<String, String> x = new TreeMap<>(d.xattrs());
            x.put("trusted.overlay.opaque", "y");
            d = new TarWriter.Entry(d.path(), d.type(), d.mode(), d.uid(), d.gid(), d.mtime(), d.nanos(), d.link(),
                    d.size(), d.major(), d.minor(), x);
        }
        out.put(d);
    }

    /** Folders a path needs that the layer did not list yet: created as root, 0755, as MkdirAll does (no recursion). */
    private void parents(String path) throws IOException {
        List<String> missing = new ArrayList<>(); // deepest first
        String dir = GoPath.dir(path);
        Character k;
        while ((k = kinds.get(dir)) == null) {
            missing.add(dir);
            dir = GoPath.dir(dir);
        }
        if (k != 'd') {
            String child = missing.isEmpty() ? path : missing.get(missing.size() - 1);
            throw new IOException("[" + child + "] is inside [" + dir + "], which is not a folder");
        }
        for (int i = missing.size() - 1; i >= 0; i--) {
            kinds.put(missing.get(i), 'd');
            flushDir();
            emitDir(implicitDir(missing.get(i)));
        }
    }

    private TarWriter.Entry implicitDir(String dir) {
        return new TarWriter.Entry(prefix + dir + "/", (byte) '5', 0755, 0, 0, time, 0, "", 0, 0, 0, new TreeMap<>());
    }

    /** Records what a path is; a second entry for the same path is only allowed folder over folder. */
    private void claim(String path, char kind) throws IOException {
        Character old = kinds.put(path, kind);
        if (old != null && !(old == 'd' && kind == 'd'))
            throw new IOException("conflicting entries for [" + path + "]");
    }

    private TarWriter.Entry entry(String path, byte type, TarReader.Header h, String link, long size) {
        return new TarWriter.Entry(prefix + path, type, (int) (h.mode & 07777), h.uid, h.gid, h.mtime, h.mtimeNanos,
                link, size, h.devmajor, h.devminor, h.xattrs);
    }

    private String pathOf(TarWriter.Entry d) {
        String p = d.path().substring(prefix.length());
        p = p.endsWith("/") ? p.substring(0, p.length() - 1) : p;
        return p.isEmpty() ? "." : p;
    }

    /** Reads the current body (to the output when `copy`), returning its CRC-64 for tar-split. */
    private byte[] body(TarReader r, boolean copy) throws IOException {
        TarSplit.Crc64 crc = new TarSplit.Crc64();
        for (int n; (n = r.read(buf, 0, buf.length)) > 0; ) {
            crc.update(buf, 0, n);
            if (copy) out.write(buf, 0, n);
        }
        return crc.sum();
    }

    /** containers/storage's compression codes: 0 none, 1 bzip2, 2 gzip (3 xz, 4 zstd: not supported). */
    private static int compression(InputStream in) throws IOException {
        in.mark(8);
        byte[] m = in.readNBytes(6);
        in.reset();
        if (m.length >= 3 && (m[0] & 0xff) == 0x1f && (m[1] & 0xff) == 0x8b && m[2] == 8) return 2;
        if (m.length >= 3 && m[0] == 'B' && m[1] == 'Z' && m[2] == 'h') return 1;
        if (m.length >= 6 && (m[0] & 0xff) == 0xfd && m[1] == '7' && m[2] == 'z' && m[3] == 'X' && m[4] == 'Z' && m[5] == 0)
            throw new IOException("xz compressed layers are not supported");
        if (m.length >= 4 && (m[0] & 0xff) == 0x28 && (m[1] & 0xff) == 0xb5 && (m[2] & 0xff) == 0x2f && (m[3] & 0xff) == 0xfd)
            throw new IOException("zstd compressed layers are not supported");
        return 0;
    }

    private static InputStream decompress(InputStream in, int compression) throws IOException {
        return switch (compression) {
            case 2 -> new GZIPInputStream(in, 1 << 16);
            case 1 -> new BZip2CompressorInputStream(in, true);
            default -> in;
        };
    }


    /** Counts the bytes read; mark/reset pass through. */
    static final class CountingInput extends BufferedInputStream {
        long count;
        private long marked;

        CountingInput(InputStream in) {
            super(in, 1 << 16);
        }

        @Override
        public synchronized int read() throws IOException {
            int c = super.read();
            if (c >= 0) count++;
            return c;
        }

        @Override
        public synchronized int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) count += n;
            return n;
        }

        @Override
        public synchronized long skip(long n) throws IOException {
            long s = super.skip(n);
            count += s;
            return s;
        }

        @Override
        public synchronized void mark(int limit) {
            super.mark(limit);
            marked = count;
        }

        @Override
        public synchronized void reset() throws IOException {
            super.reset();
            count = marked;
        }
    }
}
