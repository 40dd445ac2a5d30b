package lib.store;

import lib.Fail;
import lib.model.Digest;
import lib.model.GoPath;
import lib.model.Layer;
import lib.tar.Compression;
import lib.tar.CountingInput;
import lib.tar.GnuTarFixes;
import lib.tar.HashedInput;
import lib.tar.TarReader;
import lib.tar.TarSplit;
import lib.tar.Tars;
import lib.tar.TarWriter;
import java.io.*;
import java.util.*;

/**
 * One layer blob into the output tar, read once as a stream: its files become the entries of
 * overlay/ID/diff/ as containers/storage's overlay driver unpacks them (whiteouts as 0/0
 * character devices, opaque markers as the trusted.overlay.opaque xattr, hard links pointing at
 * their path in the output), while the tar-split record, the digests and the id sets are taken
 * on the way.
 */
public final class OverlayLayer {
    /** What layers.json says about a stored layer. */
    record Result(Digest diffDigest, long diffSize, Digest blobDigest, long blobSize, int compression,
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
    private final GnuTarFixes.LateFolders late = new GnuTarFixes.LateFolders();
    private final GnuTarFixes.Inodes inodes = new GnuTarFixes.Inodes();
    private long entries; // headers read so far: the number of the current one
    private lib.vm.VmBoot.Layer vm; // null for the plain tree: what the VM's boot step needs

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
    public static Result write(Layer blob, TarWriter.Entry root, long time, TarWriter out) {
        return write(blob, root, time, out, null);
    }

    /** write(), also telling vm (when not null) every entry, and adding the whiteouts its opaque folders need on the VM. */
    public static Result write(Layer blob, TarWriter.Entry root, long time, TarWriter out, lib.vm.VmBoot.Layer vm) {
        try (InputStream raw = new BufferedInputStream(blob.opener().open(), 1 << 16)) {
            OverlayLayer o = new OverlayLayer(out, root, time);
            o.vm = vm;
            return o.apply(blob, raw);
        } catch (IOException | UncheckedIOException e) {
            Throwable c = e instanceof UncheckedIOException u ? u.getCause() : e;
            String m = c.getMessage() != null ? c.getMessage() : c instanceof EOFException ? "unexpected end of data" : c.toString();
            throw Fail.die("Can't read layer [" + blob.where() + "]: " + printable(m));
        }
    }

    /**
     * Names from a layer may hold any byte (kept one char per byte): shown as UTF-8 when they are,
     * other bytes and controls as \\xNN, so that the ERROR: line stays one readable line.
     */
    static String printable(String m) {
        return Tars.printable(m);
    }

    /** Reads a layer file through every check of write(), writing nothing: what mkimage --output hands on is checked too. */
    public static void check(java.nio.file.Path layer, Digest diffId, String where) {
        TarWriter.Entry root = TarWriter.Entry.dir("x/", 0555, 0, 0, 0);
        write(new Layer(diffId, null, -1, () -> java.nio.file.Files.newInputStream(layer), where), root, 0,
                new TarWriter(OutputStream.nullOutputStream()));
    }

    private Result apply(Layer blob, InputStream raw) throws IOException {
        // the digests are taken on threads of their own (HashedInput): this one parses and writes
        try (HashedInput blobSha = new HashedInput(raw)) {
            CountingInput blobIn = new CountingInput(blobSha);
            Compression compression = Compression.detect(blobIn);
            if (compression == Compression.NONE) return apply(blob, blobIn, blobIn, blobSha, null, compression); // the layer is the blob: one digest serves both
            try (HashedInput diffSha = new HashedInput(BlobCheck.guarded(blob, compression.open(blobIn), blobIn))) {
                return apply(blob, blobIn, new CountingInput(diffSha), blobSha, diffSha, compression);
            }
        }
    }

    private Result apply(Layer blob, CountingInput blobIn, CountingInput plain, HashedInput blobSha, HashedInput diffSha,
                         Compression compression) throws IOException {
        TarReader r = new TarReader(plain);
        try {
            for (TarReader.Header h = r.next(); h != null; h = r.next()) {
                split.segment(r.rawBytes());
                logIds(h);
                entry(h, r);
                entries++;
            }
            flushDir();
            split.segment(r.rawBytes());
            split.segment(r.rest(64 << 20));
            blobIn.transferTo(OutputStream.nullOutputStream()); // bytes after the compressed stream count too
        } catch (IOException e) {
            throw BlobCheck.damaged(blob, e, plain, blobIn, blobSha, diffSha);
        }
        Digest blobDigest = blobSha.digest(), diffDigest = diffSha == null ? blobDigest : diffSha.digest();
        BlobCheck.check(blob, blobDigest, blobIn.count, diffDigest);
        fixes(blob);
        return new Result(diffDigest, plain.count, blobDigest, blobIn.count, compression.code, uids, gids, split.finish());
    }

    /** containers/storage's uidset/gidset: every header but whiteouts. */
    private void logIds(TarReader.Header h) {
        if (GoPath.base(h.name).startsWith(".wh.")) return;
        uids.add(h.uid);
        gids.add(h.gid);
    }

    private void entry(TarReader.Header h, TarReader r) throws IOException {
        if (h.type == 'g') { // a PAX global header: nothing on disk (containers/storage ignores it), a name in tar-split
            split.file(h.name, 0, null);
            return;
        }
        refuse(h);
        if (h.name.startsWith("/")) throw new IOException("absolute path [" + h.name + "]");
        if (GoPath.hasDotDot(h.name)) throw new IOException("path with .. [" + h.name + "]");
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
        // A body that is not a file in diff/ (a whiteout's or opaque marker's, a sparse file's stored form) stays
        // in the record's next segment, with the entry's size 0: the replay then rebuilds the layer exactly
        boolean inDiff = crc != null && !h.sparse;
        split.file(h.name, inDiff ? h.size : 0, inDiff && h.size > 0 ? crc : null);
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
        claim(path, h.isDir() ? 'd' : 'f');
        switch (h.type) {
            case '0' -> {
                TarWriter.Entry e = entry(path, (byte) '0', h, "", h.size);
                emit(e);
                inodes.file(path, e, entries);
                return body(r, true);
            }
            case '5' -> pendingDir = entry(path + "/", (byte) '5', h, "", 0);
            case '2', '3', '4', '6' -> emit(entry(path, h.type, h, h.linkname, 0));
            case '1' -> {
                if (GoPath.clean(h.linkname).equals(path)) throw new IOException("hard link to itself [" + h.name + "]");
                String target = hardLinkTarget(h.linkname);
                TarWriter.Entry e = entry(path, h.type, h, prefix + target, 0);
                emit(e);
                inodes.link(path, target, e);
            }
            default -> throw new IOException("unsupported entry type '" + (char) h.type + "' [" + h.name + "]");
        }
        return null;
    }

    private String hardLinkTarget(String link) throws IOException {
        if (link.startsWith("/") || GoPath.hasDotDot(link))
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
        emit(TarWriter.Entry.of(prefix + path, (byte) '3').withOwner(h.uid, h.gid).withMtime(h.mtime, h.mtimeNanos));
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
        if (opaque.contains(path) && (vm == null || vm.keepsOpaqueMark(path))) d = d.withXattr("trusted.overlay.opaque", "y");
        emit(d);
        if (inheritsSetgid(path, d)) emit(d); // GNU tar stats a folder given again, and then clears the bit mkdir gave
    }

    /** mkdir gives a folder under a setgid folder the bit; GNU tar, which made it, assumes the mode it asked for. */
    private boolean inheritsSetgid(String path, TarWriter.Entry d) {
        if ((d.mode() & 02000) != 0) return false;
        for (String p = GoPath.dir(path); !p.equals(path) && !p.equals("."); path = p, p = GoPath.dir(p)) {
            TarWriter.Entry e = dirs.get(p);
            if (e != null && (e.mode() & 02000) != 0) return true;
        }
        TarWriter.Entry root = dirs.get(".");
        return root != null && (root.mode() & 02000) != 0;
    }

    /** Every entry of the layer goes out here: GNU tar's folder times are followed on the way. */
    private void emit(TarWriter.Entry e) throws IOException {
        out.put(e);
        if (vm != null) vm.entry(e.path(), e.type(), e.mode(), e.uid(), e.gid(), e.xattrs().keySet());
        String p = pathOf(e);
        if (!p.equals(".")) late.entry(p, e.type() == '5');
    }

    /**
     * At the end of the layer, what GNU tar would otherwise unpack differently from containers/storage:
     * files whose inode a hard-link header changed (written again from a second read of the blob, with
     * their links), then folders that got children after GNU tar had set their time.
     */
    private void fixes(Layer blob) throws IOException {
        if (vm != null) // busybox drops the opaque xattr: what the folder hides gets whiteouts (not in tar-split)
            for (String p : vm.end(kinds, opaque)) emit(TarWriter.Entry.of(prefix + p, (byte) '3').withMtime(time, 0));
        SortedMap<Long, String> again = inodes.changed();
        if (!again.isEmpty()) rewrite(blob, again);
        for (String d : new ArrayList<>(late.late())) {
            TarWriter.Entry e = dirs.get(d);
            if (e != null) emitDir(e);
        }
    }

    /** The files numbered in `again` (entry number -> path), read again from the blob, each followed by its links. */
    private void rewrite(Layer blob, SortedMap<Long, String> again) throws IOException {
        try (InputStream raw = new BufferedInputStream(blob.opener().open(), 1 << 16)) {
            TarReader r = new TarReader(Compression.detect(raw).open(raw));
            long n = 0;
            for (TarReader.Header h = r.next(); h != null && !again.isEmpty(); h = r.next(), n++) {
                r.rawBytes(); // the record was taken on the first read
                String path = again.remove(n);
                if (path == null) continue;
                TarWriter.Entry f = inodes.state(path);
                emit(f);
                body(r, true);
                for (String l : inodes.links(path))
                    emit(TarWriter.Entry.of(prefix + l, (byte) '1').withMode(f.mode()).withOwner(f.uid(), f.gid())
                            .withMtime(f.mtime(), f.nanos()).withLink(f.path()).withXattrs(f.xattrs()));
            }
        }
        if (!again.isEmpty()) throw new IOException("the layer changed between two reads");
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
        TarWriter.Entry parent = dirs.get(GoPath.dir(dir));
        int setgid = parent != null && (parent.mode() & 02000) != 0 ? 02000 : 0; // mkdir keeps a setgid parent's bit
        return TarWriter.Entry.dir(prefix + dir, 0755 | setgid, 0, 0, time);
    }

    /** Records what a path is; a second entry for the same path is only allowed folder over folder. */
    private void claim(String path, char kind) throws IOException {
        Character old = kinds.put(path, kind);
        if (old != null && !(old == 'd' && kind == 'd'))
            throw new IOException("conflicting entries for [" + path + "]");
    }

    private TarWriter.Entry entry(String path, byte type, TarReader.Header h, String link, long size) throws IOException {
        return TarWriter.Entry.of(prefix + path, type).withMode((int) (h.mode & 07777)).withOwner(h.uid, h.gid)
                .withMtime(h.mtime, h.mtimeNanos).withLink(link).withSize(size).withDevice(h.devmajor, h.devminor)
                .withXattrs(xattrs(h, type));
    }

    /**
     * The xattrs containers/storage sets: Go's tar reader drops those with an empty value (the
     * tar-split record keeps them), and the kernel refuses user.* ones on anything but files and
     * folders, so containers/storage fails on them: refused here too.
     */
    public static SortedMap<String, String> xattrs(TarReader.Header h, byte type) throws IOException {
        SortedMap<String, String> x = new TreeMap<>(h.xattrs);
        x.values().removeIf(String::isEmpty);
        boolean special = type == '2' || type == '3' || type == '4' || type == '6';
        for (String k : x.keySet()) {
            if (special && k.startsWith("user."))
                throw new IOException("extended attribute [" + k + "] on [" + h.name + "], which is not a file or folder"
                        + " (the kernel refuses user.* attributes there)");
        }
        return x;
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
}
