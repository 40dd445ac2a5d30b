package lib.store;

import lib.Fail;
import lib.model.GoPath;
import lib.model.ImageRef;
import lib.model.JsonValue;
import lib.tar.CountingInput;
import lib.tar.TarIndex;
import lib.tar.TarReader;
import java.io.*;
import java.nio.channels.FileChannel;
import java.nio.file.*;
import java.util.*;

/**
 * An images tar (a containers-storage tree in a tar, either way of make) read as values, without
 * unpacking it: one pass over the tar that keeps the small metadata files (layers.json,
 * images.json, big data, link, lower, overlay/l/ links) and, when the tar is a file, where each
 * file body of a diff/ folder lies, so that a layer can be replayed later by positioned reads.
 * Memory grows with the number of entries, never with their size.
 */
public final class StoreTar {
    static final String ROOT = StoreLayout.ROOT;
    private static final int SMALL = 64 << 20; // a metadata file larger than this is not ours to read
    private static final java.util.regex.Pattern LINK_OR_LOWER = java.util.regex.Pattern.compile(StoreLayout.DRIVER + "[0-9a-f]{64}/(link|lower)");

    /** An entry of the tar: its type, link target and, for a regular file, where its body lies. */
    record Entry(byte type, String link, long offset, long size) {}

    /** One record of layers.json. */
    record Layer(String id, String parent, String diffDigest, long diffSize, String created) {}

    /** One record of images.json. */
    record Image(String id, String digest, List<String> names, String topLayer, List<String> bigDataNames,
                 Map<String, Long> bigDataSizes, Map<String, String> bigDataDigests, String created) {
        String name() {
            return names.isEmpty() ? id.substring(0, Math.min(12, id.length())) : names.get(0);
        }
    }

    final String where;
    private final Path file; // null when read from a stream: bodies cannot be read back
    final Map<String, Entry> entries = new LinkedHashMap<>(); // by path under ROOT, cleaned
    final Map<String, byte[]> small = new HashMap<>(); // metadata bodies, by path under ROOT
    List<Layer> layers = List.of();
    List<Image> images = List.of();

    private StoreTar(String where, Path file) {
        this.where = where;
        this.file = file;
    }

    /** Reads FILE, or stdin for "-" (then no body can be read back; see spooled()). */
    public static StoreTar read(String what) {
        if ("-".equals(what)) return read(unseekable(System.in), "stdin", null);
        Path p = Path.of(what);
        if (!Files.exists(p)) throw Fail.die("No such file [" + what + "]");
        if (!Files.isRegularFile(p)) throw Fail.die("Not a file [" + what + "]: give an images tar, or - for stdin");
        try (InputStream in = new FileInputStream(p.toFile())) {
            return read(in, what, p);
        } catch (IOException e) {
            throw Fail.die("Can't read [" + what + "]: " + e.getMessage());
        }
    }

    /** FILE as it is, or stdin copied into a private temporary file under tmp (verify needs the bodies). */
    public static StoreTar spooled(String what, Path tmp) {
        if (!"-".equals(what)) return read(what);
        Path spool = tmp.resolve("stdin.tar");
        try {
            Files.copy(System.in, spool);
            try (InputStream in = new FileInputStream(spool.toFile())) {
                return read(in, "stdin", spool);
            }
        } catch (IOException e) {
            throw Fail.die("Can't read [stdin]: " + e.getMessage());
        }
    }

    /** stdin as a pipe: skipping reads (FileInputStream.skip seeks, which a pipe refuses: "Illegal seek"). */
    static InputStream unseekable(InputStream in) {
        return new FilterInputStream(in) {
            @Override
            public long skip(long n) throws IOException {
                byte[] b = new byte[1 << 16];
                long left = n;
                for (int r; left > 0 && (r = in.read(b, 0, (int) Math.min(b.length, left))) > 0; ) left -= r;
                return n - left;
            }
        };
    }

    private static long ended(long count, Path file) {
        try {
            return file == null ? count : Math.min(count, Files.size(file));
        } catch (IOException e) {
            return count;
        }
    }

    static StoreTar read(InputStream raw, String where, Path file) {
        StoreTar t = new StoreTar(where, file);
        String at = null; // the entry being read
        CountingInput in = new CountingInput(raw);
        try (in) {
            TarReader r = new TarReader(in);
            for (TarReader.Header h = r.next(); h != null; h = r.next()) {
                at = h.name;
                t.add(h, r, in.count);
            }
            if (file != null && in.count > Files.size(file)) throw new EOFException(); // a skip went past the end of the file
        } catch (IOException e) {
            String m = String.valueOf(e.getMessage());
            if (e instanceof EOFException || m.startsWith("unexpected end of data")) // one message for a tar cut short
                throw Fail.die("Can't read [" + where + "]: it ends after " + ended(in.count, file) + " bytes"
                        + (at == null ? "" : (m.contains("header") ? ", after entry [" : ", inside entry [") + at + "]")
                        + " (cut short: copy or make it again)");
            throw Fail.die("Can't read [" + where + "]: " + m);
        }
        t.parse();
        return t;
    }

    private void add(TarReader.Header h, TarReader r, long offset) throws IOException {
        String name = GoPath.clean(h.name);
        if (!name.startsWith(ROOT)) {
            r.skipBody();
            return;
        }
        String path = name.substring(ROOT.length());
        long size = h.headerOnly() ? 0 : h.size;
        String link = h.type == '1' ? GoPath.clean(h.linkname) : h.linkname;
        if (h.type == '1' && link.startsWith(ROOT)) link = link.substring(ROOT.length());
        entries.put(path, new Entry(h.type, link, offset, size));
        if ((h.type == '0' || h.type == 0) && metadata(path)) {
            if (size > SMALL) throw new IOException("metadata file [" + path + "] is too large (" + size + " bytes)");
            small.put(path, r.body().readAllBytes()); // a short body is a truncated archive: read() says so
        } else {
            r.skipBody();
        }
    }

    /** The files read into memory: the JSON records, big data, link and lower (not diff/ bodies, not tar-splits). */
    static boolean metadata(String path) {
        return path.equals(StoreLayout.LAYERS_JSON) || path.equals(StoreLayout.IMAGES_JSON)
                || path.startsWith(StoreLayout.IMAGES) && !path.endsWith(".lock")
                || (path.endsWith("/link") || path.endsWith("/lower")) && LINK_OR_LOWER.matcher(path).matches();
    }

    private void parse() {
        byte[] lj = small.get(StoreLayout.LAYERS_JSON), ij = small.get(StoreLayout.IMAGES_JSON);
        if (lj == null) throw Fail.die("No [" + ROOT + StoreLayout.LAYERS_JSON + "] in [" + where + "]: not an images tar");
        if (ij == null) throw Fail.die("No [" + ROOT + StoreLayout.IMAGES_JSON + "] in [" + where + "]: not an images tar");
        List<Layer> ls = new ArrayList<>();
        for (JsonValue l : json(lj, "layers.json"))
            ls.add(new Layer(l.path("id").asText(), l.path("parent").asText(null), l.path("diff-digest").asText(null),
                    l.path("diff-size").asLong(-1), l.path("created").asText("")));
        List<Image> is = new ArrayList<>();
        for (JsonValue i : json(ij, "images.json")) is.add(image(i));
        layers = ls;
        images = is;
    }

    private static Image image(JsonValue i) {
        List<String> names = new ArrayList<>(), bd = new ArrayList<>();
        i.path("names").forEach(n -> names.add(n.asText()));
        i.path("big-data-names").forEach(n -> bd.add(n.asText()));
        Map<String, Long> sizes = new HashMap<>();
        Map<String, String> digests = new HashMap<>();
        for (String k : bd) {
            sizes.put(k, i.path("big-data-sizes").path(k).asLong(-1));
            digests.put(k, i.path("big-data-digests").path(k).asText(null));
        }
        return new Image(i.path("id").asText(), i.path("digest").asText(null), names, i.path("layer").asText(null), bd,
                sizes, digests, i.path("created").asText(""));
    }

    JsonValue json(byte[] b, String what) {
        try {
            return JsonValue.parse(b);
        } catch (IOException e) {
            throw Fail.die("Invalid JSON [" + what + "] in [" + where + "]: " + e.getMessage());
        }
    }

    Layer layer(String id) {
        for (Layer l : layers) if (l.id().equals(id)) return l;
        return null;
    }

    /** An image's layers, base first; stops at a layer missing from layers.json. */
    List<Layer> chain(Image img) {
        LinkedList<Layer> chain = new LinkedList<>();
        for (Layer l = img.topLayer() == null ? null : layer(img.topLayer()); l != null && chain.size() <= layers.size();
             l = l.parent() == null ? null : layer(l.parent()))
            chain.addFirst(l);
        return chain;
    }

    /** A big-data item of an image (config, manifest), or null. */
    byte[] bigData(Image img, String key) {
        return small.get(StoreLayout.bigData(img.id(), key));
    }

    /** The image named NAME (as stored, or as docker/podman would expand it), or whose id starts with it. */
    Image find(String name) {
        String full = null;
        try {
            full = ImageRef.parse(name).full();
        } catch (RuntimeException e) {
            // not a reference: maybe an id
        }
        for (Image i : images) if (i.names().contains(name) || full != null && i.names().contains(full)) return i;
        String id = name.startsWith("sha256:") ? name.substring(7) : name;
        if (id.matches("[0-9a-f]{3,64}")) for (Image i : images) if (i.id().startsWith(id)) return i;
        throw Fail.die("No image [" + name + "] in [" + where + "]");
    }

    /** The body of a regular file (through hard links in the tar), or null when it is not one. */
    InputStream open(String path) throws IOException {
        Entry e = entries.get(path);
        for (int hops = 0; e != null && e.type() == '1' && hops < 40; hops++) e = entries.get(e.link());
        if (e == null || !(e.type() == '0' || e.type() == 0)) return null;
        if (file == null) throw new IOException("cannot read back [" + path + "] from a stream");
        return body(e);
    }

    private FileChannel channel; // one for all bodies: verify opens tens of thousands

    private InputStream body(Entry e) throws IOException {
        if (channel == null) channel = FileChannel.open(file, StandardOpenOption.READ);
        return TarIndex.slice(channel, e.offset(), e.size());
    }

    /** Closes the file the bodies are read from. */
    void closeQuietly() {
        try {
            if (channel != null) channel.close();
        } catch (IOException e) {
            // read-only: nothing lost
        }
        channel = null;
    }
}
