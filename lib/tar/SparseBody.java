package lib.tar;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The body of a GNU sparse file stored in PAX records (formats 0.0, 0.1 and 1.0), read as Go's
 * archive/tar reads it: a regular file of its real size, the holes as zeros. Format 0.0 and 0.1
 * keep the map of data fragments in the records, 1.0 at the start of the body. Old GNU sparse
 * (type 'S') is not read here: containers/storage refuses the type.
 */
public final class SparseBody {
    /** The stored (physical) body of the entry. */
    public interface Physical {
        int read(byte[] b, int off, int len) throws IOException;

        long remaining();
    }

    private static final int MAX_MAP = 1 << 20; // Go's limit on a 1.0 map, as on any special body

    private final Physical in;
    private final long[] frags; // offset, length, offset, length... in order, not overlapping
    private final long size;
    private long pos;
    private int next; // index of the fragment at or after pos

    private SparseBody(Physical in, long[] frags, long size) {
        this.in = in;
        this.frags = frags;
        this.size = size;
    }

    /** The name the records give (GNU.sparse.name), or null. */
    public static String name(Map<String, String> pax) {
        String n = pax.getOrDefault("GNU.sparse.name", "");
        return version(pax) == null || n.isEmpty() ? null : n;
    }

    /** The real size the records give, or `size` when they give none. */
    public static long size(Map<String, String> pax, long size) throws IOException {
        if (version(pax) == null) return size;
        String s = pax.getOrDefault("GNU.sparse.size", "");
        if (s.isEmpty()) s = pax.getOrDefault("GNU.sparse.realsize", "");
        return s.isEmpty() ? size : number(s);
    }

    /** The reader of a sparse entry of real size `size`, or null when the records do not make one. */
    public static SparseBody of(Map<String, String> pax, long size, Physical in) throws IOException {
        String v = version(pax);
        if (v == null) return null;
        long[] frags = v.equals("1.0") ? map1x0(in) : map0x1(pax);
        long end = 0;
        for (int i = 0; i < frags.length; i += 2) {
            long off = frags[i], len = frags[i + 1];
            if (off < 0 || len < 0 || off > Long.MAX_VALUE - len || off + len > size || end > off)
                throw new IOException("invalid tar header (bad sparse map)");
            end = off + len;
        }
        return new SparseBody(in, frags, size);
    }

    /** "0.0" (also 0.1) or "1.0", or null: not a sparse file, or a version Go reads as a plain file. */
    private static String version(Map<String, String> pax) {
        String major = pax.getOrDefault("GNU.sparse.major", ""), minor = pax.getOrDefault("GNU.sparse.minor", "");
        if (major.equals("0") && (minor.equals("0") || minor.equals("1"))) return "0.0";
        if (major.equals("1") && minor.equals("0")) return "1.0";
        if (!major.isEmpty() || !minor.isEmpty()) return null;
        return pax.getOrDefault("GNU.sparse.map", "").isEmpty() ? null : "0.0";
    }

    private static long[] map0x1(Map<String, String> pax) throws IOException {
        long n = number(pax.getOrDefault("GNU.sparse.numblocks", ""));
        String m = pax.getOrDefault("GNU.sparse.map", "");
        String[] parts = m.isEmpty() ? new String[0] : m.split(",", -1);
        if (n < 0 || parts.length != 2 * n) throw new IOException("invalid tar header (bad sparse map)");
        long[] frags = new long[parts.length];
        for (int i = 0; i < parts.length; i++) frags[i] = number(parts[i]);
        return frags;
    }

    /** Format 1.0: decimal lines (count, then offset and length of each) in whole blocks at the start of the body. */
    private static long[] map1x0(Physical in) throws IOException {
        StringBuilder text = new StringBuilder();
        List<String> lines = new ArrayList<>();
        long want = 1;
        byte[] blk = new byte[512];
        while (lines.size() < want) {
            if (text.length() + blk.length > MAX_MAP) throw new IOException("invalid tar header (sparse map too long)");
            for (int got = 0, n; got < blk.length; got += n) {
                n = in.read(blk, got, blk.length - got);
                if (n < 0) throw new IOException("unexpected end of data (truncated sparse map)");
            }
            for (byte c : blk) {
                if (c == '\n') {
                    lines.add(text.toString());
                    text.setLength(0);
                    if (lines.size() == 1) {
                        long count = number(lines.get(0));
                        if (count < 0 || count > MAX_MAP) throw new IOException("invalid tar header (bad sparse map)");
                        want = 1 + 2 * count;
                    }
                } else {
                    text.append((char) (c & 0xff));
                }
            }
        }
        long[] frags = new long[(int) want - 1];
        for (int i = 0; i < frags.length; i++) frags[i] = number(lines.get(i + 1));
        return frags;
    }

    private static long number(String s) throws IOException {
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            throw new IOException("invalid tar header (bad sparse map)");
        }
    }

    /** Reads the real content: zeros in the holes, the stored fragments where they lie. */
    public int read(byte[] b, int off, int len) throws IOException {
        if (pos >= size) {
            if (in.remaining() > 0) throw new IOException("sparse file contains unreferenced data");
            return -1;
        }
        while (next < frags.length && frags[next] + frags[next + 1] <= pos) next += 2;
        long limit = next < frags.length ? frags[next] : size; // the hole ends here
        int n;
        if (pos < limit) {
            n = (int) Math.min(len, limit - pos);
            java.util.Arrays.fill(b, off, off + n, (byte) 0);
        } else {
            long fragEnd = frags[next] + frags[next + 1];
            if (in.remaining() <= 0) throw new IOException("sparse file references non-existent data");
            n = in.read(b, off, (int) Math.min(len, fragEnd - pos));
            if (n < 0) throw new IOException("unexpected end of data (truncated)");
        }
        pos += n;
        return n;
    }
}
