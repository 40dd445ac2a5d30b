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
        public boolean sparse; // a PAX sparse file: its stored body is kept in rawBytes(), not the real content read
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
    private SparseBody sparse; // the current entry when it is a PAX sparse file, else null

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
        sparse = null;
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
        if (sparse != null) return sparse.read(b, off, len);
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
        sparse = null;
        eof = true;
        return null;
    }

    /** A PAX global header is an entry of its own, as in Go (its records apply to no other entry). */
    private Header global(byte[] blk, Map<String, String> records) throws IOException {
        Header all = new Header();
        all.name = cString(Arrays.copyOfRange(blk, 0, 100));
        applyPax(all, records);
        Header h = new Header(); // as Go: only the name and the xattrs; its body was the records, read already
        h.type = 'g';
        h.name = all.name;
        h.xattrs.putAll(all.xattrs);
        return h;
    }

    private Header header(byte[] blk, byte type, long size, Map<String, String> pax, String longName, String longLink)
            throws IOException {
        Header h = new Header();
        boolean ustar = match(blk, 257, "ustar\0"); // as Go: the version field is not looked at
        boolean star = ustar && match(blk, 508, "tar\0");
        boolean gnu = match(blk, 257, "ustar  \0");
        h.name = cString(Arrays.copyOfRange(blk, 0, 100));
        String prefix = ustar ? cString(Arrays.copyOfRange(blk, 345, star ? 345 + 131 : 500)) : gnu ? oldGoPrefix(blk) : "";
        if (!prefix.isEmpty()) h.name = prefix + "/" + h.name;
        h.linkname = cString(Arrays.copyOfRange(blk, 157, 257));
        h.type = type;
        h.mode = number(blk, 100, 8);
        h.uid = number(blk, 108, 8);
        h.gid = number(blk, 116, 8);
        h.size = size;
        h.mtime = number(blk, 136, 12);
        if (ustar || gnu) { // Go reads these for every type, and refuses a bad one
            h.devmajor = number(blk, 329, 8);
            h.devminor = number(blk, 337, 8);
        }
        if (type != '3' && type != '4') h.devmajor = h.devminor = 0;
        applyPax(h, pax);
        if (longName != null) h.name = longName; // as Go: GNU long names win over PAX ones
        if (longLink != null) h.linkname = longLink;
        if (h.size < 0) throw new IOException("invalid tar header (negative size) [" + h.name + "]");
        if (type == 0) h.type = h.name.endsWith("/") ? (byte) '5' : (byte) '0';
        // old GNU sparse ('S') stays refused: Go reads it, but containers/storage has no case for the type
        if (type == 'S') throw new IOException("sparse file [" + h.name + "] is not supported (old GNU sparse type 'S')");
        long body = h.headerOnly() ? 0 : h.size;
        remaining = body;
        pad = (BLOCK - body % BLOCK) % BLOCK;
        sparse = sparse(h, pax);
        return h;
    }

    /**
     * The old GNU header has access and change times where USTAR has its prefix; Go before 1.8
     * wrote a prefix there. As Go: when those times do not parse, an ASCII prefix is used.
     */
    private static String oldGoPrefix(byte[] blk) {
        try {
            if (blk[345] != 0) number(blk, 345, 12);
            if (blk[357] != 0) number(blk, 357, 12);
            return "";
        } catch (IOException e) {
            String p = cString(Arrays.copyOfRange(blk, 345, 500));
            return p.chars().allMatch(c -> c < 0x80) ? p : "";
        }
    }

    /** A GNU sparse file in PAX records: read as a regular file of its real size, holes as zeros (as Go). */
    private SparseBody sparse(Header h, Map<String, String> pax) throws IOException {
        String name = SparseBody.name(pax);
        long size = SparseBody.size(pax, h.size);
        SparseBody s = SparseBody.of(pax, size, new SparseBody.Physical() {
            public int read(byte[] b, int off, int len) throws IOException {
                if (remaining <= 0) return -1;
                int n = in.read(b, off, (int) Math.min(len, remaining));
                if (n < 0) throw new IOException("unexpected end of data (truncated)");
                raw.write(b, off, n); // the stored bytes go to the tar-split record as they are (see Header.sparse)
                remaining -= n;
                return n;
            }

            public long remaining() {
                return remaining;
            }
        });
        if (s == null) return null;
        if (h.headerOnly()) throw new IOException("invalid tar header (sparse map on a " + (char) h.type + " entry) [" + h.name + "]");
        if (name != null) h.name = name;
        h.size = size;
        h.sparse = true;
        return s;
    }

    private static void applyPax(Header h, Map<String, String> pax) throws IOException {
        for (Map.Entry<String, String> e : pax.entrySet()) {
            String k = e.getKey(), v = e.getValue();
            if (v.isEmpty()) continue; // as Go: an empty record keeps the header's value
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
        List<String> pairs = new ArrayList<>();
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
            if (k.equals("GNU.sparse.offset") || k.equals("GNU.sparse.numbytes")) { // sparse 0.0: pairs, in order
                if (k.equals("GNU.sparse.offset") != (pairs.size() % 2 == 0) || v.contains(","))
                    throw new IOException("invalid PAX record (sparse map out of order)");
                pairs.add(v);
            } else {
                m.put(k, v);
            }
            i += n;
        }
        if (!pairs.isEmpty()) m.put("GNU.sparse.map", String.join(",", pairs));
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
        if ((b[148] & 0x80) != 0) throw new IOException("invalid tar header (bad checksum)"); // octal only, as Go
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
