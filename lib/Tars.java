package lib;

import java.io.*;
import java.util.*;
import java.nio.charset.StandardCharsets;

/** Small tar readers shared by the helpers (the project's own TarReader: one tar stack). */
public final class Tars {
    private Tars() {}

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
