package lib.tar;

import lib.Fail;
import java.io.*;
import java.util.*;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/** Small tar readers shared by the helpers. */
public final class Tars {
    private Tars() {}

    /** The entry names of a tar stream, in order, as `tar t` prints them. */
    public static List<String> names(InputStream in) {
        List<String> names = new ArrayList<>();
        try {
            TarArchiveInputStream t = new TarArchiveInputStream(in);
            for (TarArchiveEntry e; (e = t.getNextEntry()) != null; ) names.add(e.getName());
            in.transferTo(OutputStream.nullOutputStream()); // let a writer on a pipe finish
        } catch (IOException e) {
            throw Fail.die("Can't read tar: " + e.getMessage());
        }
        return names;
    }
}
