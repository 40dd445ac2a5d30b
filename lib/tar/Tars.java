package lib.tar;

import lib.Fail;
import java.io.*;
import java.util.*;
import java.nio.charset.StandardCharsets;

/** Small tar readers shared by the helpers (the project's own TarReader: one tar stack). */
public final class Tars {
    private Tars() {}

    /**
     * Names from a tar may hold any byte (kept one char per byte): shown as UTF-8 when they are,
     * other bytes and controls as \\xNN, so that the ERROR: line stays one readable line.
     */
    public static String printable(String m) {
        String text = m.chars().allMatch(c -> c < 0x100) ? TarSplit.utf8(m) : m;
        StringBuilder b = new StringBuilder(m.length());
        for (char c : (text != null ? text : m).toCharArray()) {
            boolean raw = text == null && c >= 0x80; // a byte that is not UTF-8
            b.append(c < 0x20 || c == 0x7f || raw ? String.format("\\x%02x", (int) c) : String.valueOf(c));
        }
        return b.toString();
    }

    /** The entry names of a tar stream, in order, as `tar t` prints them. */
    public static List<String> names(InputStream in) {
        List<String> names = new ArrayList<>();
        try {
            TarReader t = new TarReader(in);
            for (TarReader.Header h; (h = t.next()) != null; t.skipBody())
                if (h.type != 'g') names.add(new String(h.name.getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8));
            in.transferTo(OutputStream.nullOutputStream()); // let a writer on a pipe finish
        } catch (IOException e) {
            throw Fail.die("Can't read tar: " + e.getMessage());
        }
        return names;
    }
}
