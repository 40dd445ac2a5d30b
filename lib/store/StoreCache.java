package lib.store;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.*;
import lib.cache.Cache;
import lib.model.Digest;
import lib.model.GoJson;
import lib.model.GoPath;
import lib.model.Image;
import lib.tar.Compression;
import lib.tar.GnuTarFixes;
import lib.tar.TarReader;
import lib.tar.TarSplit;
import lib.tar.TarWriter;

/**
 * Storage's side of the layer cache (lib/cache/Cache): the key of a stored layer, and its diff
 * tree written either from the cache or from its blob, kept in the cache on the way.
 *
 * What decides the bytes of a diff tree, and so the key: the layer id (the chain id: the layers
 * below it, which also decide its folder in the output), the blob's digest (checked by the
 * writer as it reads: the key is content, never a name), the time given to folders the layer
 * implies, and the writer's own code (its class files: another version writes another key).
 * A source that gives no blob digest is not cached.
 */
final class StoreCache {
    private StoreCache() {}

    /** The sha256 of the class files that write a diff tree: a changed writer does not use an old entry. */
    static String code() {
        return Code.VALUE;
    }

    /** Computed once, on first use (the class is loaded then). */
    private static final class Code {
        static final String VALUE = compute();
    }

    private static String compute() {
        java.security.MessageDigest sha = Digest.newSha256();
        for (Class<?> top : List.of(Storage.class, StoreCache.class, lib.vm.VmBoot.class, lib.vm.MergedTree.class, StoreLayout.class, OverlayLayer.class, TarWriter.class, TarSplit.class, TarReader.class,
                GnuTarFixes.class, Compression.class, GoPath.class, GoJson.class))
            for (Class<?> c : top.getNestMembers()) {
                try (InputStream in = c.getResourceAsStream("/" + c.getName().replace('.', '/') + ".class")) {
                    if (in == null) return ""; // not readable: no cache
                    sha.update(c.getName().getBytes(StandardCharsets.UTF_8));
                    sha.update(in.readAllBytes());
                } catch (IOException e) {
                    return "";
                }
            }
        return Digest.of(sha).hex();
    }

    /** The key of a stored layer's diff tree, or null when it is not cached. */
    static String key(Storage.Stored l, boolean vm) {
        if (l.blob().digest() == null || code().isEmpty()) return null;
        String what = "layer 1\n" + code() + "\n" + l.id() + "\n" + l.blob().digest() + "\n" + l.created().toEpochSecond() + "\n"
                + (vm ? "vm\n" : ""); // the VM's tree has whiteouts for opaque folders (lib/vm), the plain one does not
        return Digest.of(what).hex();
    }

    /** Finds (and checks) the cache entry of every layer of the plan; under --verbose, says hit or miss for each image. */
    static void lookup(Storage.Plan plan, List<Image> images) {
        if (!plan.cache.enabled()) return;
        for (Storage.Stored l : plan.layers.values()) {
            String key = key(l, plan.vm != null);
            Cache.Entry e = key == null ? null : plan.cache.find(key);
            if (e == null) continue;
            OverlayLayer.Result r = result(e);
            if (r == null || l.blob().size() >= 0 && l.blob().size() != r.blobSize()) e.close(); // not what the source says: read it
            else plan.hits.put(l.id(), e);
        }
        if (!plan.run.verbose()) return;
        for (int i = 0; i < images.size(); i++) {
            List<String> chain = plan.chains.get(i);
            long hit = chain.stream().filter(plan.hits::containsKey).count();
            System.err.println("cache " + (hit == chain.size() ? "hit" : "miss") + " [" + images.get(i).where() + "]: "
                    + hit + " of " + chain.size() + " layers cached");
        }
    }

    /** The entries of a diff tree (its folder already written): copied from the cache, or from the blob and kept. */
    static OverlayLayer.Result diffTree(Storage.Plan plan, Storage.Stored l, TarWriter.Entry diff, long t, TarWriter out, Tee tee)
            throws IOException {
        out.flush();
        Cache.Entry hit = plan.hits.get(l.id());
        lib.vm.VmBoot.Layer vm = plan.vm == null ? null : plan.vm.layer(l.id(), StoreLayout.ROOT + StoreLayout.diff(l.id()) + "/", l.parent(), plan.children(l.id()));
        if (hit != null) {
            hit.copyBody(tee);
            if (vm != null) replay(hit, diff.path(), vm);
            return result(hit);
        }
        String key = key(l, vm != null);
        try (Cache.Writer w = key == null ? null : plan.cache.writer(key)) {
            tee.copy = w;
            OverlayLayer.Result r = OverlayLayer.write(l.blob(), diff, t, out, vm);
            out.flush();
            tee.copy = null;
            if (w != null) w.commit(r.tarSplit(), meta(r));
            return r;
        } finally {
            tee.copy = null;
        }
    }

    /**
     * A hit tells the VM's boot step what OverlayLayer would have told it: every entry of the diff
     * tree as written (owners, xattrs), then the layer's kinds for the merged tree of the layers
     * above. The tree as written has whiteouts where the opaque folders had their mark dropped
     * (lib/vm): as kinds they hide the same lower names, so the merged tree is the same.
     */
    private static void replay(Cache.Entry hit, String diff, lib.vm.VmBoot.Layer vm) throws IOException {
        Map<String, Character> kinds = new HashMap<>();
        kinds.put(".", 'd');
        Set<String> opaque = new HashSet<>();
        TarReader r = new TarReader(hit.body());
        for (TarReader.Header h; (h = r.next()) != null; r.skipBody()) {
            vm.entry(h.name, h.type, (int) h.mode, h.uid, h.gid, h.xattrs.keySet());
            if (!h.name.startsWith(diff)) continue;
            String p = h.name.substring(diff.length()).replaceAll("/+$", "");
            if (p.isEmpty()) p = ".";
            kinds.put(p, h.type == '5' ? 'd' : h.type == '3' && h.devmajor == 0 && h.devminor == 0 ? 'w' : 'f');
            if (h.type == '5' && h.xattrs.containsKey("trusted.overlay.opaque")) opaque.add(p);
        }
        vm.end(kinds, opaque);
    }

    /** What layers.json needs besides the split: "DIFF SIZE BLOB SIZE COMPRESSION\nUIDS\nGIDS\n". */
    static byte[] meta(OverlayLayer.Result r) {
        return (r.diffDigest() + " " + r.diffSize() + " " + r.blobDigest() + " " + r.blobSize() + " " + r.compression() + "\n"
                + ids(r.uids()) + "\n" + ids(r.gids()) + "\n").getBytes(StandardCharsets.UTF_8);
    }

    /** The Result an entry holds, or null when its meta does not read (an old or foreign entry). */
    static OverlayLayer.Result result(Cache.Entry e) {
        try {
            String[] lines = new String(e.meta, StandardCharsets.UTF_8).split("\n", -1);
            String[] w = lines[0].split(" ");
            Digest diff = Digest.parseOrNull(w[0]), blob = Digest.parseOrNull(w[2]);
            if (lines.length != 4 || w.length != 5 || diff == null || blob == null) return null;
            return new OverlayLayer.Result(diff, Long.parseLong(w[1]), blob, Long.parseLong(w[3]), Integer.parseInt(w[4]),
                    ids(lines[1]), ids(lines[2]), e.split);
        } catch (RuntimeException x) {
            return null;
        }
    }

    private static String ids(SortedSet<Long> ids) {
        StringBuilder b = new StringBuilder();
        for (long id : ids) b.append(b.length() > 0 ? "," : "").append(id);
        return b.toString();
    }

    private static SortedSet<Long> ids(String s) {
        SortedSet<Long> out = new TreeSet<>();
        for (String id : s.split(",")) if (!id.isEmpty()) out.add(Long.parseLong(id));
        return out;
    }

    /** The output stream under the TarWriter, copying what passes into a cache entry while one is being made. */
    static final class Tee extends OutputStream {
        private final OutputStream out;
        OutputStream copy;

        Tee(OutputStream out) {
            this.out = out;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            if (copy != null) copy.write(b, off, len);
        }

        @Override
        public void flush() throws IOException {
            out.flush();
        }
    }
}
