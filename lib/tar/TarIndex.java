package lib.tar;

import lib.Fail;
import lib.model.GoPath;
import lib.model.Opener;
import java.io.*;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.nio.file.Path;
import java.util.*;

/**
 * The entries of a tar file (a docker-archive, an oci-archive, a spooled `docker save`) and
 * random access to their bodies: one pass over the headers, skipping the bodies, then each
 * body opened where it lies. Symbolic and hard links inside the archive are followed.
 */
public final class TarIndex {
    private record Item(String name, byte type, String link, long offset, long size) {}

    private final Path file;
    private final String where;
    private final Map<String, Item> items = new HashMap<>();

    private TarIndex(Path file, String where) {
        this.file = file;
        this.where = where;
    }

    public static TarIndex of(Path file, String where) {
        TarIndex idx = new TarIndex(file, where);
        try (CountingInput in = new CountingInput(new FileInputStream(file.toFile()))) {
            TarReader r = new TarReader(in);
            for (TarReader.Header h = r.next(); h != null; h = r.next()) {
                String name = GoPath.clean(h.name);
                idx.items.put(name, new Item(name, h.type, h.linkname, in.count, h.headerOnly() ? 0 : h.size));
                r.skipBody();
                long size = file.toFile().length();
                if (in.count > size) // a skip went past the end: the archive is cut short
                    throw Fail.die("Can't read [" + where + "]: it ends after " + size + " bytes, inside entry [" + name + "] (cut short)");
            }
        } catch (IOException e) {
            throw Fail.die("Can't read [" + where + "]: " + e.getMessage());
        }
        return idx;
    }

    /** Is there a regular member of this name (through links)? */
    public boolean has(String name) {
        return resolve(name) != null;
    }

    /** The body of a (small) member; dies when it is missing or larger than max. */
    public byte[] read(String name, int max) {
        Item it = need(name);
        if (it.size() > max) throw Fail.die("Too large [" + where + ": " + name + "]: " + it.size() + " bytes");
        try (InputStream in = open(it)) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw Fail.die("Can't read [" + where + ": " + name + "]: " + e.getMessage());
        }
    }

    /** Opens the body of a member (which must exist) as a stream. */
    public Opener opener(String name) {
        Item it = need(name);
        return () -> open(it);
    }

    private Item need(String name) {
        Item it = resolve(name);
        if (it == null) throw Fail.die("Missing [" + name + "] in [" + where + "]");
        return it;
    }

    private InputStream open(Item it) throws IOException {
        FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
        return new FilterInputStream(slice(ch, it.offset(), it.size())) {
            @Override
            public void close() throws IOException {
                ch.close();
            }
        };
    }

    /** size bytes of a file from offset, read where they lie (positional reads: many can share one channel). */
    public static InputStream slice(FileChannel ch, long offset, long size) {
        return new InputStream() {
            long pos = offset, left = size;

            @Override
            public int read() throws IOException {
                byte[] b = new byte[1];
                return read(b, 0, 1) < 0 ? -1 : b[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (left <= 0) return -1;
                int n = ch.read(ByteBuffer.wrap(b, off, (int) Math.min(len, left)), pos);
                if (n < 0) throw new EOFException("truncated archive");
                pos += n;
                left -= n;
                return n;
            }

            @Override
            public long skip(long n) {
                long k = Math.max(0, Math.min(n, left));
                pos += k;
                left -= k;
                return k;
            }
        };
    }

    /** A regular member by name, through symbolic links (relative to their folder) and hard links. */
    private Item resolve(String name) {
        String n = GoPath.clean(name);
        for (int hops = 0; hops < 40; hops++) {
            Item it = items.get(n);
            if (it == null) return null;
            if (it.type() == '2') n = GoPath.clean(GoPath.dir(n) + "/" + it.link());
            else if (it.type() == '1') n = GoPath.clean(it.link());
            else return it.type() == '0' ? it : null;
        }
        return null;
    }
}
