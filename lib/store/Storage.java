package lib.store;

import lib.Fail;
import lib.exec.Run;
import lib.exec.Progress;
import lib.exec.Temp;
import lib.model.Digest;
import lib.model.Image;
import lib.model.Layer;
import lib.model.Platform;
import lib.source.Item;
import lib.source.Source;
import lib.source.Sources;
import lib.tar.TarWriter;
import static lib.store.StoreLayout.ROOT;
import static lib.store.StoreLayout.RUNROOT;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.*;
import java.util.function.Predicate;
import lib.cache.Cache;

/**
 * The native way to the images tar: a containers-storage tree (overlay driver) written straight
 * into a tar stream, as `skopeo copy ... containers-storage:[overlay@ROOT+RUNROOT]NAME` would
 * leave it on disk. No root, no skopeo, nothing unpacked: each layer blob is read once, as a
 * stream, and its files go into the tar as they come.
 *
 * <pre>Storage.write(List.of("test/multi:1", "oci-archive:/tmp/app.tar:app:1"), out);</pre>
 *
 * This is the copy code, the one place that knows both sides: Sources give Image values, the
 * Plan decides the layer ids and names, and the tree goes out through TarWriter.
 *
 * Unpack the result as root with `tar --xattrs --xattrs-include='*' -xpf` (whiteouts are
 * character devices, opaque folders carry trusted.overlay.opaque).
 */
public final class Storage {
    private Storage() {}

    /** Storage.copy of the sources these items name (Item's grammar; overlays are not built here). */
    public static void write(Run run, List<String> items, OutputStream out) {
        if (items.isEmpty()) throw Fail.usage("No image");
        List<Source> sources = new ArrayList<>();
        for (String s : items) {
            Item item = Item.parse(s);
            if (item.isOverlay()) throw Fail.die("Unsupported source [" + s + "]");
            sources.add(Sources.of(run, Platform.host(), item, null, true));
        }
        copy(run, sources, out);
    }

    /**
     * Writes to `out` a tar holding var/lib/containers/storage (+ an empty var/run/containers/storage)
     * with all images from these sources, each image named by its reference(s).
     * Deterministic: same input, same bytes. Returns what it wrote: "N images, N layers".
     */
    public static String copy(Run run, List<Source> sources, OutputStream out) {
        return copy(run, sources, out, Cache.NONE, null);
    }

    /**
     * copy, with layers the cache holds written from it (and layers read from their sources kept in
     * it), and what an xcluster VM needs besides the tree (vm null: the plain tree, as skopeo writes it).
     */
    public static String copy(Run run, List<Source> sources, OutputStream out, Cache cache, lib.vm.VmBoot vm) {
        Path tmp = Temp.dir("images-storage");
        Plan[] plan = {null};
        try (Sources.Opened opened = Sources.open(run, sources, tmp, cache, images -> (plan[0] = new Plan(run, images, cache, vm))::cached)) {
            return plan[0].write(out, opened::complete);
        } catch (IOException e) {
            throw Fail.die("Can't write the storage tar: " + e.getMessage());
        } finally {
            if (plan[0] != null) plan[0].hits.values().forEach(Cache.Entry::close);
            Temp.delete(tmp);
        }
    }

    /** A layer to store: ids, overlay's short link name and lower chain, and the blob that fills it. */
    record Stored(String id, String parent, String link, String lower, Layer blob, OffsetDateTime created) {}

    /** The writer's code for the cache's keys (StoreCache.code), computed once, on first use. */
    private static final class Code {
        static final String VALUE = StoreCache.code(Storage.class);
    }

    /** What the images need, decided before any layer is read: ids, order, times. */
    static final class Plan {
        final Map<String, Stored> layers = new LinkedHashMap<>();
        final List<List<String>> chains = new ArrayList<>(); // per image: its layer ids, base first
        final long time; // of the store's own files: the newest image
        final Cache cache;
        final Map<String, Cache.Entry> hits = new HashMap<>(); // layer id -> its checked cache entry
        final lib.vm.VmBoot vm; // null: the plain tree
        final Run run; // --verbose: the cache's hits, the VM boot step's summary; progress

        Plan(Run run, List<Image> images, Cache cache, lib.vm.VmBoot vm) {
            this.run = run;
            this.cache = cache;
            this.vm = vm;
            long t = 0;
            for (Image img : images) {
                OffsetDateTime created = img.created();
                t = Math.max(t, created.toEpochSecond());
                List<String> chain = new ArrayList<>();
                String parent = null;
                for (Layer b : img.layers()) {
                    String hex = b.diffId().hex(); // containers/storage's layer id: the chain id
                    String id = parent == null ? hex : Digest.of(parent + "+" + hex).hex();
                    if (!layers.containsKey(id)) {
                        Stored p = parent == null ? null : layers.get(parent);
                        String lower = p == null ? null : StoreLayout.lowerEntry(p.link()) + (p.lower() == null ? "" : ":" + p.lower());
                        layers.put(id, new Stored(id, parent, link(id), lower, b, created));
                    }
                    chain.add(id);
                    parent = id;
                }
                chains.add(chain);
            }
            time = t;
            if (!cache.enabled()) return;
            for (Stored l : layers.values()) { // each layer's entry, found and checked
                Cache.Entry e = StoreCache.find(cache, key(l), l.blob().size());
                if (e != null) hits.put(l.id(), e);
            }
            StoreCache.say(run, images, chains, hits);
        }

        /** The cache key of a layer's diff tree (StoreCache), or null when it is not cached. */
        String key(Stored l) {
            return StoreCache.key(Code.VALUE, l.id(), l.blob(), l.created().toEpochSecond(), vm != null);
        }

        /** Is the layer of this chain of diff IDs (base first) written from the cache? (the daemon saves only what is not) */
        boolean cached(List<Digest> chain) {
            String id = null;
            for (Digest d : chain) id = id == null ? d.hex() : Digest.of(id + "+" + d.hex()).hex();
            return hits.containsKey(id);
        }

        /** The tree into os; complete gives the images with their configs once the layers are written. */
        String write(OutputStream os, java.util.function.Supplier<List<Image>> complete) throws IOException {
            StoreCache.Tee tee = new StoreCache.Tee(os);
            TarWriter out = new TarWriter(tee);
            dirs(out, time, "var/", "var/lib/", "var/lib/containers/");
            out.put(dir(ROOT, 0700, time));
            out.put(file(ROOT + "storage.lock", 0644, time));
            out.put(file(ROOT + "userns.lock", 0644, time));
            out.put(dir(ROOT + StoreLayout.DRIVER, 0700, time));
            out.put(file(ROOT + StoreLayout.DRIVER + ".has-mount-program", 0600, time), bytes("false"));
            out.put(dir(ROOT + StoreLayout.LINKS, 0755, time));
            for (Stored l : layers.values())
                out.put(TarWriter.Entry.symlink(ROOT + StoreLayout.link(l.link()), StoreLayout.linkTarget(l.id()), time));
            out.put(dir(ROOT + StoreLayout.LAYERS, 0700, time));
            Map<String, OverlayLayer.Result> results = new HashMap<>();
            int i = 0;
            for (Stored l : layers.values()) {
                long start = System.nanoTime();
                OverlayLayer.Result r = layer(l, out, tee);
                results.put(l.id(), r);
                double secs = Math.max(1e-3, (System.nanoTime() - start) / 1e9);
                Progress.say(run, String.format("Layer %d/%d %.12s [%s] %s in %.1f s (%s/s)%s", ++i, layers.size(), l.id(), l.blob().where(),
                        Ls.size(r.diffSize()), secs, Ls.size((long) (r.diffSize() / secs)), hits.containsKey(l.id()) ? ", from the cache" : ""));
            }
            List<StorageJson.Layer> records = new ArrayList<>();
            for (Stored l : layers.values())
                records.add(new StorageJson.Layer(l.id(), l.parent(), l.created().withOffsetSameInstant(ZoneOffset.UTC), results.get(l.id())));
            out.put(file(ROOT + StoreLayout.LAYERS_JSON, 0600, time), bytes(StorageJson.layers(records)));
            out.put(file(ROOT + StoreLayout.LAYERS + "layers.lock", 0644, time));
            List<Image> done = complete.get();
            int stored = images(out, results, done);
            out.put(dir(ROOT + StoreLayout.CONTAINERS, 0700, time));
            out.put(file(ROOT + StoreLayout.CONTAINERS + "containers.lock", 0644, time));
            out.put(dir(ROOT + "mounts/", 0700, time));
            out.put(dir(ROOT + "tmp/", 0700, time));
            dirs(out, time, "var/run/", "var/run/containers/");
            out.put(dir(RUNROOT, 0700, time));
            if (vm != null) vmBoot(out, done);
            out.finish();
            return stored + " images, " + layers.size() + " layers";
        }

        /** How many stored layers sit on this one (the VM's boot step keeps its merged tree until they are written). */
        int children(String id) {
            return (int) layers.values().stream().filter(c -> id.equals(c.parent())).count();
        }

        /** overlay/ID/ with diff/ filled from the blob, link, lower, work/, merged/ (empty/ on a base layer), then its tar-split. */
        private OverlayLayer.Result layer(Stored l, TarWriter out, StoreCache.Tee tee) throws IOException {
            long t = l.created().toEpochSecond();
            String dir = ROOT + StoreLayout.layerDir(l.id());
            out.put(dir(dir, 0700, t));
            TarWriter.Entry diff = dir(dir + "diff/", 0555, t);
            out.put(diff);
            lib.vm.VmBoot.Layer v = vm == null ? null : vm.layer(l.id(), dir + "diff/", l.parent(), children(l.id()));
            OverlayLayer.Result r = StoreCache.diffTree(cache, hits.get(l.id()), key(l), l.blob(), v, diff, t, out, tee);
            if (l.parent() == null) out.put(dir(dir + "empty/", 0700, t));
            out.put(file(dir + "link", 0644, t), bytes(l.link()));
            if (l.lower() != null) out.put(file(dir + "lower", 0644, t), bytes(l.lower()));
            out.put(dir(dir + "merged/", 0700, t));
            out.put(dir(dir + "work/", 0700, t));
            out.put(file(ROOT + StoreLayout.tarSplit(l.id()), 0600, t), r.tarSplit());
            return r;
        }

        /** overlay-images/: each image's big-data files, then images.json. */
        /** Returns how many images it stored (one id, one image: names add up). */
        private int images(TarWriter out, Map<String, OverlayLayer.Result> results, List<Image> images) throws IOException {
            Map<String, StorageJson.Image> byId = new LinkedHashMap<>();
            for (int i = 0; i < images.size(); i++) commit(byId, images.get(i), chains.get(i), results);
            out.put(dir(ROOT + StoreLayout.IMAGES, 0700, time));
            for (StorageJson.Image img : byId.values()) {
                String dir = ROOT + StoreLayout.imageDir(img.id());
                out.put(dir(dir, 0700, time));
                for (Map.Entry<String, byte[]> e : img.bigData().entrySet())
                    out.put(file(dir + StoreLayout.bigDataFile(e.getKey()), 0600, time), e.getValue());
            }
            if (vm != null) for (StorageJson.Image img : byId.values()) vm.names(img.names());
            out.put(file(ROOT + StoreLayout.IMAGES_JSON, 0600, time),
                    bytes(StorageJson.images(new ArrayList<>(byId.values()))));
            out.put(file(ROOT + StoreLayout.IMAGES + "images.lock", 0644, time));
            return byId.size();
        }

        /** What skopeo's Commit does for one image: create it (or update it when its id exists), then add its names. */
        private void commit(Map<String, StorageJson.Image> byId, Image src, List<String> chain,
                            Map<String, OverlayLayer.Result> results) {
            byte[] manifest = src.manifest() != null ? src.manifest() : generated(src, chain, results);
            Digest md = Digest.of(manifest);
            String id = Digest.of(src.config()).hex();
            StorageJson.Image img = byId.get(id);
            LinkedHashMap<String, byte[]> bigData = img != null ? img.bigData() : new LinkedHashMap<>();
            bigData.put(Digest.of(src.config()).toString(), src.config());
            if (src.toplevel() != null) bigData.put("manifest-" + Digest.of(src.toplevel()), src.toplevel()); // the index it was chosen from
            bigData.put("manifest-" + md, manifest);
            bigData.put("manifest", manifest);
            bigData.put("signature-" + md.hex(), new byte[0]);
            List<String> names = img != null ? img.names() : new ArrayList<>();
            List<String> history = img != null ? img.history() : new ArrayList<>();
            OffsetDateTime created = img != null ? img.created() : src.created();
            String top = chain.isEmpty() ? null : chain.get(chain.size() - 1);
            // skopeo records the index (the top-level manifest) as the image's digest, the signatures under the instance's
            String digest = (src.toplevel() != null ? Digest.of(src.toplevel()) : md).toString();
            byId.put(id, new StorageJson.Image(id, digest, names, history, top, StorageJson.metadata(md.toString()), bigData, created));
            for (String name : src.names()) {
                for (StorageJson.Image other : byId.values()) other.names().remove(name);
                names.add(0, name);
                if (!history.contains(name)) history.add(name);
            }
        }

        /** The VM's boot script and its data, the pinned drop-in; a WARNING: per image and file the VM cannot restore. */
        private void vmBoot(TarWriter out, List<Image> images) throws IOException {
            Set<String> said = new HashSet<>();
            for (int i = 0; i < images.size(); i++) {
                String name = images.get(i).names().isEmpty() ? "(no name)" : images.get(i).names().get(0);
                for (String w : vm.warnings(name, chains.get(i))) if (said.add(w)) System.err.println(w);
            }
            run.say(vm.summary());
            for (lib.vm.VmBoot.File f : vm.files()) {
                if (f.body() == null) out.put(TarWriter.Entry.dir(f.path(), f.mode(), f.uid(), f.gid(), time));
                else out.put(TarWriter.Entry.file(f.path(), f.mode(), time, 0).withOwner(f.uid(), f.gid()), f.body());
            }
        }

        private static byte[] generated(Image src, List<String> chain, Map<String, OverlayLayer.Result> results) {
            List<Digest> diffIds = new ArrayList<>();
            List<Long> sizes = new ArrayList<>();
            for (int i = 0; i < chain.size(); i++) {
                diffIds.add(src.layers().get(i).diffId());
                sizes.add(results.get(chain.get(i)).diffSize());
            }
            return bytes(StorageJson.dockerManifest(src.config(), diffIds, sizes));
        }
    }

    /** overlay's short name of a layer: 26 base32 letters, here from the layer id, so the same input gives the same tar. */
    static String link(String layerId) {
        byte[] h = Digest.newSha256().digest(("link:" + layerId).getBytes(StandardCharsets.UTF_8));
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        StringBuilder sb = new StringBuilder();
        long bits = 0;
        int n = 0;
        for (byte b : h) {
            bits = bits << 8 | (b & 0xff);
            n += 8;
            while (n >= 5 && sb.length() < 26) {
                sb.append(alphabet.charAt((int) (bits >>> (n - 5)) & 31));
                n -= 5;
            }
        }
        return sb.toString();
    }

    private static void dirs(TarWriter out, long t, String... paths) throws IOException {
        for (String p : paths) out.put(dir(p, 0755, t));
    }

    private static TarWriter.Entry dir(String path, int mode, long t) {
        return TarWriter.Entry.dir(path, mode, 0, 0, t);
    }

    /** A regular file entry: empty, or sized by the body given with it to put(entry, body). */
    private static TarWriter.Entry file(String path, int mode, long t) {
        return TarWriter.Entry.file(path, mode, t, 0);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
