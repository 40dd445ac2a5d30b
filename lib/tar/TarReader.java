package lib.tar;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.*;

/**
 * Reads a layer tar the way Go's archive/tar does (as containers/storage and tar-split read it),
 * and keeps every byte it passes that is not a file body: rawBytes() hands them out for the
 * tar-split record, so the layer can be rebuilt byte for byte from them and the files.
 * Names and values are kept as raw bytes in ISO-8859-1 strings (one char per byte).
 */
public final class TarReader {
    static final int BLOCK = 512;
    private static final int MAX_SPECIAL = 1 << 20; // Go's limit on PAX and GNU long-name bodies
    private static final int MAX_HEADERS = 4 << 20; // the raw headers of one entry: a run of PAX headers is refused

    /** One entry: the fields Go's tar.Header has that a layer needs. */
    public static final class Header {
        public String name = "", linkname = "";
        public byte type;
        public long mode, uid, gid, size, devmajor, devminor;
        public long mtime; // seconds
        public int mtimeNanos;
        public final SortedMap<String, String> xattrs = new TreeMap<>();

        public boolean isDir() {
            return type == '5';
        }

        /** Go's isHeaderOnlyType: no body is read whatever the size field says. */
        public boolean headerOnly() {
            return type == '1' || type == '2' || type == '3' || type == '4' || type == '5' || type == '6';
        }
    }

    private final InputStream in;
    private final ByteArrayOutputStream raw = new ByteArrayOutputStream();
    private final byte[] skip = new byte[8192];
    private long remaining; // body bytes of the current entry not yet read
    private long pad; // padding after the body
    private boolean eof;

    public TarReader(InputStream in) {
        this.in = in;
    }

    /** The non-body bytes read since the last call (headers, padding, end blocks). */
    public byte[] rawBytes() {
        byte[] b = raw.toByteArray();
        raw.reset();
        return b;
    }

    /** The next entry, or null at the end of the archive; its body is then read with read(). */
    public Header next() throws IOException {
        if (eof) return null;
        copyRaw(remaining, true);
        remaining = 0;
        copyRaw(pad, false);
        pad = 0;
        Map<String, String> pax = new HashMap<>();
        String longName = null, longLink = null;
        int start = raw.size();
        while (true) {
            if (raw.size() - start > MAX_HEADERS) throw new IOException("invalid tar header (more than " + MAX_HEADERS + " bytes of extended headers)");
            byte[] blk = readBlock();
            if (blk == null) return end();
            if (isZero(blk)) {
                byte[] second = readBlock();
                if (second == null || isZero(second)) return end();
                throw new IOException("invalid tar header (a zero block, then data)");
            }
            checkSum(blk);
            byte type = blk[156];
            long size = number(blk, 124, 12);
            if (size < 0) throw new IOException("invalid tar header (negative size)");
            if (type == 'x' || type == 'g') {
                Map<String, String> records = paxRecords(special(size));
                if (type == 'g') return global(blk, records);
                pax = records; // as Go: only the last PAX header counts
            } else if (type == 'L') {
                longName = cString(special(size));
            } else if (type == 'K') {
                longLink = cString(special(size));
            } else {
                return header(blk, type, size, pax, longName, longLink);
            }
        }
    }

    /** Reads body bytes of the current entry. */
    public int read(byte[] b, int off, int len) throws IOException {
        if (remaining <= 0) return -1;
        int n = in.read(b, off, (int) Math.min(len, remaining));
        if (n < 0) throw new IOException("unexpected end of data (truncated)");
        remaining -= n;
        return n;
    }

    /** The body of the current entry as a stream, which ends where the body ends. */
    public InputStream body() {
        return new InputStream() {
            @Override
            public int read() throws IOException {
                byte[] b = new byte[1];
                return TarReader.this.read(b, 0, 1) < 0 ? -1 : b[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                return TarReader.this.read(b, off, len);
            }
        };
    }

    /** Skips the body of the current entry, keeping nothing (indexing an archive file). */
    public void skipBody() throws IOException {
        in.skipNBytes(remaining + pad);
        remaining = pad = 0;
        raw.reset();
    }

    /** Everything after the end of the archive (extra padding), as Go's ReadAll of the rest. */
    public byte[] rest(int max) throws IOException {
        byte[] b = in.readNBytes(max + 1);
        if (b.length > max) throw new IOException("more than " + max + " bytes after the end of the archive");
        return b;
    }

    private Header end() {
        eof = true;
        return null;
    }

    private Header global(byte[] blk, Map<String, String> records) {
        Header h = new Header();
        h.type = 'g';
        h.name = cString(Arrays.copyOfRange(blk, 0, 100));
        records.forEach((k, v) -> {
            if (k.startsWith("SCHILY.xattr.")) h.xattrs.put(k.substring(13), v);
        });
        return h;
    }

    private Header header(byte[] blk, byte type, long size, Map<String, String> pax, String longName, String longLink)
            throws IOException {
        Header h = new Header();
        boolean ustar = match(blk, 257, "ustar\0") && match(blk, 263, "00");
        boolean star = ustar && match(blk, 508, "tar\0");
        h.name = cString(Arrays.copyOfRange(blk, 0, 100));
        if (ustar) {
            String prefix = cString(Arrays.copyOfRange(blk, 345, star ? 345 + 131 : 500));
            if (!prefix.isEmpty()) h.name = prefix + "/" + h.name;
        }
        h.linkname = cString(Arrays.copyOfRange(blk, 157, 257));
        h.type = type;
        h.mode = number(blk, 100, 8);
        h.uid = number(blk, 108, 8);
        h.gid = number(blk, 116, 8);
        h.size = size;
        h.mtime = number(blk, 136, 12);
        if (type == '3' || type == '4') {
            h.devmajor = number(blk, 329, 8);
            h.devminor = number(blk, 337, 8);
        }
        if (longName != null) h.name = longName;
        if (longLink != null) h.linkname = longLink;
        applyPax(h, pax);
        if (h.size < 0) throw new IOException("invalid tar header (negative size) [" + h.name + "]");
        if (type == 0) h.type = h.name.endsWith("/") ? (byte) '5' : (byte) '0';
        if (type == 'S' || pax.keySet().stream().anyMatch(k -> k.startsWith("GNU.sparse."))) {
            throw new IOException("sparse file [" + h.name + "] is not supported");
        }
        long body = h.headerOnly() ? 0 : h.size;
        remaining = body;
        pad = (BLOCK - body % BLOCK) % BLOCK;
        return h;
    }

    private static void applyPax(Header h, Map<String, String> pax) throws IOException {
        for (Map.Entry<String, String> e : pax.entrySet()) {
            String k = e.getKey(), v = e.getValue();
            switch (k) {
                case "path" -> h.name = v;
                case "linkpath" -> h.linkname = v;
                case "size" -> h.size = decimal(v);
                case "uid" -> h.uid = decimal(v);
                case "gid" -> h.gid = decimal(v);
                case "mtime" -> paxTime(h, v);
                default -> {
                    if (k.startsWith("SCHILY.xattr.")) h.xattrs.put(k.substring(13), v);
                }
            }
        }
    }

    private static void paxTime(Header h, String v) throws IOException {
        int dot = v.indexOf('.');
        h.mtime = decimal(dot < 0 ? v : v.substring(0, dot));
        if (dot >= 0) {
            String frac = (v.substring(dot + 1) + "000000000").substring(0, 9);
            h.mtimeNanos = (int) decimal(frac);
            if (v.startsWith("-") && h.mtimeNanos > 0) { // -1.5 is 1.5 s before the epoch
                h.mtime -= 1;
                h.mtimeNanos = 1_000_000_000 - h.mtimeNanos;
            }
        }
    }

    private static long decimal(String s) throws IOException {
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            throw new IOException("invalid number in tar header [" + (s.length() > 40 ? s.substring(0, 40) + "..." : s) + "]");
        }
    }

    /** The body of a PAX or GNU long-name header, kept in the raw bytes with its padding. */
    private byte[] special(long size) throws IOException {
        if (size > MAX_SPECIAL) throw new IOException("tar extended header too large (" + size + " bytes)");
        byte[] b = in.readNBytes((int) size);
        if (b.length < size) throw new IOException("unexpected end of data (truncated)");
        raw.write(b);
        copyRaw((BLOCK - size % BLOCK) % BLOCK, false);
        return b;
    }

    private static final Set<String> NUL_FREE = Set.of("path", "linkpath", "uname", "gname"); // Go's validPAXRecord

    private static Map<String, String> paxRecords(byte[] b) throws IOException {
        Map<String, String> m = new LinkedHashMap<>();
        String s = new String(b, StandardCharsets.ISO_8859_1);
        int i = 0;
        while (i < s.length()) {
            int sp = s.indexOf(' ', i);
            if (sp < 0) throw new IOException("invalid PAX record");
            int n = (int) decimal(s.substring(i, sp));
            if (n < 5 || i + n > s.length() || s.charAt(i + n - 1) != '\n') throw new IOException("invalid PAX record");
            String rec = s.substring(sp + 1, i + n - 1);
            int eq = rec.indexOf('=');
            if (eq <= 0) throw new IOException("invalid PAX record");
            String k = rec.substring(0, eq), v = rec.substring(eq + 1);
            if (k.indexOf(0) >= 0 || v.indexOf(0) >= 0 && NUL_FREE.contains(k))
                throw new IOException("invalid PAX record (NUL in " + k.replace("\0", "\\0") + ")");
            m.put(k, v);
            i += n;
        }
        return m;
    }

    private byte[] readBlock() throws IOException {
        byte[] b = in.readNBytes(BLOCK);
        if (b.length == 0) return null;
        raw.write(b);
        if (b.length < BLOCK) throw new IOException("unexpected end of data (truncated header)");
        return b;
    }

    /** Reads n bytes into the raw record; a short read is an error in a body, not in the last padding. */
    private void copyRaw(long n, boolean body) throws IOException {
        byte[] buf = skip;
        while (n > 0) {
            int r = in.read(buf, 0, (int) Math.min(buf.length, n));
            if (r < 0) {
                if (body) throw new IOException("unexpected end of data (truncated)");
                return;
            }
            raw.write(buf, 0, r);
            n -= r;
        }
    }

    private static void checkSum(byte[] b) throws IOException {
        long want = number(b, 148, 8);
        long unsigned = 0, signed = 0;
        for (int i = 0; i < BLOCK; i++) {
            int c = (i >= 148 && i < 156) ? ' ' : b[i];
            unsigned += c & 0xff;
            signed += c;
        }
        if (want != unsigned && want != signed) throw new IOException("invalid tar header (bad checksum)");
    }

    /** An octal field, or base-256 when the top bit is set (GNU). */
    static long number(byte[] b, int off, int len) throws IOException {
        if ((b[off] & 0x80) != 0) {
            long x = b[off] & 0x7f;
            if ((b[off] & 0x40) != 0) throw new IOException("invalid tar header (negative number)");
            for (int i = 1; i < len; i++) x = x << 8 | (b[off + i] & 0xff);
            return x;
        }
        int s = off, e = off + len;
        while (s < e && (b[s] == ' ' || b[s] == 0)) s++;
        while (e > s && (b[e - 1] == ' ' || b[e - 1] == 0)) e--;
        long x = 0;
        for (int i = s; i < e; i++) {
            if (b[i] == 0) break;
            if (b[i] < '0' || b[i] > '7') throw new IOException("invalid tar header (bad number)");
            x = x * 8 + (b[i] - '0');
        }
        return x;
    }

    private static boolean isZero(byte[] b) {
        for (byte x : b) if (x != 0) return false;
        return true;
    }

    private static boolean match(byte[] b, int off, String s) {
        for (int i = 0; i < s.length(); i++) if (b[off + i] != (byte) s.charAt(i)) return false;
        return true;
    }

    static String cString(byte[] b) {
        int n = 0;
        while (n < b.length && b[n] != 0) n++;
        return new String(b, 0, n, StandardCharsets.ISO_8859_1);
    }
}
