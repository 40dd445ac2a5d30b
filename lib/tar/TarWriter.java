package lib.tar;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.*;

/**
 * Writes the output tar: POSIX ustar headers, GNU long-name records for paths that do not fit
 * (raw bytes, as GNU tar reads them), PAX records only for xattrs, big numbers and sub-second
 * times. Owner names are left empty so that `tar -xp` as root keeps the numeric ids.
 * Strings carry raw bytes, one char per byte (ISO-8859-1).
 *
 * Why not commons-compress's TarArchiveOutputStream (1.28): it builds each PAX record as a Java
 * String and writes it as UTF-8, so an xattr value that is not UTF-8 text (security.capability,
 * binary trusted.* values copied from a layer) would not keep the raw bytes the layer holds;
 * the entries here carry raw bytes one char per byte, and those bytes must reach the tree as
 * they are (tried: a value byte 0xff comes out as c3 bf). It writes long names, big numbers and
 * devices well; the xattr values decide.
 */
public final class TarWriter {
    /** One entry; type is the tar type flag, link the symlink or hard-link target. Built with of() and the with methods. */
    public record Entry(String path, byte type, int mode, long uid, long gid, long mtime, int nanos, String link, long size,
                 long major, long minor, SortedMap<String, String> xattrs) {
        /** An entry of this type, root-owned, mode 0, time 0, no body, no xattrs. */
        public static Entry of(String path, byte type) {
            return new Entry(path, type, 0, 0, 0, 0, 0, "", 0, 0, 0, Collections.emptySortedMap());
        }

        public static Entry dir(String path, int mode, long uid, long gid, long mtime) {
            return of(path.endsWith("/") ? path : path + "/", (byte) '5').withMode(mode).withOwner(uid, gid).withMtime(mtime, 0);
        }

        public static Entry file(String path, int mode, long mtime, long size) {
            return of(path, (byte) '0').withMode(mode).withMtime(mtime, 0).withSize(size);
        }

        public static Entry symlink(String path, String target, long mtime) {
            return of(path, (byte) '2').withMode(0777).withMtime(mtime, 0).withLink(target);
        }

        public Entry withMode(int m) {
            return new Entry(path, type, m, uid, gid, mtime, nanos, link, size, major, minor, xattrs);
        }

        public Entry withOwner(long u, long g) {
            return new Entry(path, type, mode, u, g, mtime, nanos, link, size, major, minor, xattrs);
        }

        public Entry withMtime(long seconds, int nanoseconds) {
            return new Entry(path, type, mode, uid, gid, seconds, nanoseconds, link, size, major, minor, xattrs);
        }

        public Entry withLink(String l) {
            return new Entry(path, type, mode, uid, gid, mtime, nanos, l, size, major, minor, xattrs);
        }

        public Entry withSize(long s) {
            return new Entry(path, type, mode, uid, gid, mtime, nanos, link, s, major, minor, xattrs);
        }

        public Entry withDevice(long maj, long min) {
            return new Entry(path, type, mode, uid, gid, mtime, nanos, link, size, maj, min, xattrs);
        }

        public Entry withXattrs(SortedMap<String, String> x) {
            return new Entry(path, type, mode, uid, gid, mtime, nanos, link, size, major, minor, x);
        }

        public Entry withXattr(String key, String value) {
            SortedMap<String, String> x = new TreeMap<>(xattrs);
            x.put(key, value);
            return withXattrs(x);
        }
    }

    private static final byte[] ZERO = new byte[TarReader.BLOCK];
    private final OutputStream out;
    private long bodyLeft;
    private long bodySize;

    public TarWriter(OutputStream out) {
        this.out = new BufferedOutputStream(out, 1 << 20);
    }

    /** Writes the header(s) of an entry; a regular file's body follows with write(). */
    public void put(Entry e) throws IOException {
        if (bodyLeft != 0) throw new IllegalStateException("body of the previous entry not written");
        Map<String, String> pax = new TreeMap<>();
        if (e.uid() > 07777777) pax.put("uid", Long.toString(e.uid()));
        if (e.gid() > 07777777) pax.put("gid", Long.toString(e.gid()));
        if (e.size() > 077777777777L) pax.put("size", Long.toString(e.size()));
        if (e.nanos() != 0 || e.mtime() < 0 || e.mtime() > 077777777777L) pax.put("mtime", paxTime(e.mtime(), e.nanos()));
        e.xattrs().forEach((k, v) -> pax.put("SCHILY.xattr." + k, v));
        String[] split = ustarSplit(e.path());
        if (split == null) longName('L', e.path(), e.mtime());
        if (e.link().length() > 100) longName('K', e.link(), e.mtime());
        if (!pax.isEmpty()) paxHeader(pax, e.mtime());
        String name = split != null ? split[1] : e.path().substring(0, 100);
        String prefix = split != null ? split[0] : "";
        header(name, prefix, e.type(), e.mode(), e.uid() > 07777777 ? 0 : e.uid(), e.gid() > 07777777 ? 0 : e.gid(),
                e.size() > 077777777777L ? 0 : e.size(), Math.max(0, Math.min(e.mtime(), 077777777777L)),
                e.link().length() > 100 ? e.link().substring(0, 100) : e.link(), e.major(), e.minor());
        bodyLeft = bodySize = e.type() == '0' ? e.size() : 0;
    }

    public void write(byte[] b, int off, int len) throws IOException {
        if (len > bodyLeft) throw new IllegalStateException("body longer than its header says");
        out.write(b, off, len);
        bodyLeft -= len;
        if (bodyLeft == 0) pad(bodySize);
    }

    /** A regular file with its body held in memory (the entry's size is the body's). */
    public void put(Entry e, byte[] body) throws IOException {
        put(e.withSize(body.length));
        if (body.length > 0) write(body, 0, body.length);
    }

    /** The two zero blocks that end an archive; flushes but does not close the caller's stream. */
    public void finish() throws IOException {
        out.write(ZERO);
        out.write(ZERO);
        out.flush();
    }

    private void pad(long size) throws IOException {
        int p = (int) ((TarReader.BLOCK - size % TarReader.BLOCK) % TarReader.BLOCK);
        out.write(ZERO, 0, p);
    }

    /** {prefix, name} as ustar holds a path, or null when it does not fit. */
    private static String[] ustarSplit(String path) {
        if (path.length() <= 100) return new String[] {"", path};
        for (int i = path.indexOf('/'); i >= 0 && i <= 155; i = path.indexOf('/', i + 1)) {
            int rest = path.length() - i - 1;
            if (rest <= 100 && rest > 0) return new String[] {path.substring(0, i), path.substring(i + 1)};
        }
        return null;
    }

    private void longName(char type, String value, long mtime) throws IOException {
        byte[] b = (value + "\0").getBytes(StandardCharsets.ISO_8859_1);
        header("././@LongLink", "", (byte) type, 0644, 0, 0, b.length, Math.max(0, mtime), "", 0, 0);
        out.write(b);
        pad(b.length);
    }

    private void paxHeader(Map<String, String> records, long mtime) throws IOException {
        StringBuilder sb = new StringBuilder();
        records.forEach((k, v) -> sb.append(record(k, v)));
        byte[] b = sb.toString().getBytes(StandardCharsets.ISO_8859_1);
        header("PaxHeaders/entry", "", (byte) 'x', 0644, 0, 0, b.length, Math.max(0, Math.min(mtime, 077777777777L)), "", 0, 0);
        out.write(b);
        pad(b.length);
    }

    /** "LEN KEY=VALUE\n", LEN counting its own digits. */
    private static String record(String k, String v) {
        int body = k.length() + v.length() + 3; // space, '=', newline
        int len = body + Integer.toString(body).length();
        if (Integer.toString(len).length() != Integer.toString(body).length()) len = body + Integer.toString(len).length();
        return len + " " + k + "=" + v + "\n";
    }

    private static String paxTime(long sec, int nanos) {
        if (nanos == 0) return Long.toString(sec);
        if (sec < 0) { // -1.5 s: whole part rounds toward zero
            sec += 1;
            nanos = 1_000_000_000 - nanos;
            return (sec == 0 ? "-0" : Long.toString(sec)) + "." + String.format("%09d", nanos).replaceFirst("0+$", "");
        }
        return sec + "." + String.format("%09d", nanos).replaceFirst("0+$", "");
    }

    private void header(String name, String prefix, byte type, int mode, long uid, long gid, long size, long mtime,
                        String link, long major, long minor) throws IOException {
        byte[] h = new byte[TarReader.BLOCK];
        put(h, 0, 100, name);
        octal(h, 100, 8, mode & 07777);
        octal(h, 108, 8, uid);
        octal(h, 116, 8, gid);
        octal(h, 124, 12, size);
        octal(h, 136, 12, mtime);
        h[156] = type;
        put(h, 157, 100, link);
        put(h, 257, 6, "ustar\0");
        put(h, 263, 2, "00");
        octal(h, 329, 8, major);
        octal(h, 337, 8, minor);
        put(h, 345, 155, prefix);
        Arrays.fill(h, 148, 156, (byte) ' ');
        long sum = 0;
        for (byte b : h) sum += b & 0xff;
        octal(h, 148, 7, sum); // six digits and a NUL, then the space already there
        out.write(h);
    }

    private static void put(byte[] h, int off, int len, String s) {
        byte[] b = s.getBytes(StandardCharsets.ISO_8859_1);
        System.arraycopy(b, 0, h, off, Math.min(len, b.length));
    }

    /** len-1 octal digits, zero-padded, then a NUL (the caller checked that v fits). */
    private static void octal(byte[] h, int off, int len, long v) {
        for (int i = off + len - 2; i >= off; i--, v >>>= 3) h[i] = (byte) ('0' + (v & 7));
        h[off + len - 1] = 0;
    }
}
