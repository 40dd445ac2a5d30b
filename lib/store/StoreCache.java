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
import lib.model.Layer;
import lib.exec.Run;
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

    /**
     * The sha256 of the class files that write a diff tree (the writer, Storage, names itself and
     * these): a changed writer does not use an old entry. "" when they cannot be read: no cache.
     */
    static String code(Class<?> writer) {
        java.security.MessageDigest sha = Digest.newSha256();
        for (Class<?> top : List.of(writer, StoreCache.class, lib.vm.VmBoot.class, lib.vm.MergedTree.class, StoreLayout.class, OverlayLayer.class, BlobCheck.class, TarWriter.class, TarSplit.class, TarReader.class,
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

    /** The key of a stored layer's diff tree (its id, its blob, its time), or null when it is not cached. */
    static String key(String code, String id, Layer blob, long created, boolean vm) {
        if (blob.digest() == null || code.isEmpty()) return null;
        String what = "layer 1\n" + code + "\n" + id + "\n" + blob.digest() + "\n" + created + "\n"
                + (vm ? "vm\n" : ""); // the VM's tree has whiteouts for opaque folders (lib/vm), the plain one does not
        return Digest.of(what).hex();
    }

    /** The checked cache entry under key (null: not cached), or null: none, or not what the source says (blobSize, -1: unknown). */
    static Cache.Entry find(Cache cache, String key, long blobSize) {
        Cache.Entry e = key == null ? null : cache.find(key);
        if (e == null) return null;
        OverlayLayer.Result r = result(e);
        if (r == null || blobSize >= 0 && blobSize != r.blobSize()) { // not what the source says: read it
            e.close();
            return null;
        }
        return e;
    }

    /** Under --verbose, hit or miss for each image (chains: its layer ids, hits: the layers found). */
    static void say(Run run, List<Image> images, List<List<String>> chains, Map<String, Cache.Entry> hits) {
        if (!run.verbose()) return;
        for (int i = 0; i < images.size(); i++) {
            List<String> chain = chains.get(i);
            long hit = chain.stream().filter(hits::containsKey).count();
            System.err.println("cache " + (hit == chain.size() ? "hit" : "miss") + " [" + images.get(i).where() + "]: "
                    + hit + " of " + chain.size() + " layers cached");
        }
    }

    /**
     * The entries of a diff tree (its folder already written): copied from the cache entry hit, or
     * from the blob and kept under key (null: not kept); vm (or null) sees every entry.
     */
    static OverlayLayer.Result diffTree(Cache cache, Cache.Entry hit, String key, Layer blob, lib.vm.VmBoot.Layer vm,
                                        TarWriter.Entry diff, long t, TarWriter out, Tee tee) throws IOException {
        out.flush();
        if (hit != null) {
            hit.copyBody(tee);
            if (vm != null) replay(hit, diff.path(), vm);
            return result(hit);
        }
        try (Cache.Writer w = key == null ? null : cache.writer(key)) {
            tee.copy = w;
            OverlayLayer.Result r = OverlayLayer.write(blob, diff, t, out, vm);
            out.flush();
            tee.copy = null;
            if (w != null) w.commit(r.tarSplit(), meta(r, vm == null ? 0 : vm.whiteouts().size()));
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
        vm.made(vmWhiteouts(hit)); // the tree as written has them as whiteouts: it no longer tells which were made
    }

    /**
     * What layers.json needs besides the split, and the number of whiteouts made for the VM's
     * opaque folders: "DIFF SIZE BLOB SIZE COMPRESSION\nUIDS\nGIDS\nVM_WHITEOUTS\n".
     */
    static byte[] meta(OverlayLayer.Result r, int vmWhiteouts) {
        return (r.diffDigest() + " " + r.diffSize() + " " + r.blobDigest() + " " + r.blobSize() + " " + r.compression() + "\n"
                + ids(r.uids()) + "\n" + ids(r.gids()) + "\n" + vmWhiteouts + "\n").getBytes(StandardCharsets.UTF_8);
    }

    /** The whiteouts the entry's tree holds that were made for the VM's opaque folders. */
    static int vmWhiteouts(Cache.Entry e) {
        return Integer.parseInt(new String(e.meta, StandardCharsets.UTF_8).split("\n", -1)[3]);
    }

    /** The Result an entry holds, or null when its meta does not read (an old or foreign entry). */
    static OverlayLayer.Result result(Cache.Entry e) {
        try {
            String[] lines = new String(e.meta, StandardCharsets.UTF_8).split("\n", -1);
            String[] w = lines[0].split(" ");
            Digest diff = Digest.parseOrNull(w[0]), blob = Digest.parseOrNull(w[2]);
            if (lines.length != 5 || !lines[3].matches("[0-9]{1,9}") || w.length != 5 || diff == null || blob == null) return null;
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
