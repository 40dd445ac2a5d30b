package lib.source;

import lib.exec.Run;
import lib.Fail;
import lib.model.Digest;
import lib.model.GoPath;
import lib.model.Image;
import lib.model.ImageRef;
import lib.model.JsonValue;
import lib.model.Layer;
import lib.tar.Compression;
import lib.tar.TarReader;
import java.io.*;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.util.*;

/**
 * The daemon's images read from one `docker save` as docker sends it, so that docker's time
 * and ours overlap. The store is planned before docker sends anything, from `docker image
 * inspect` (ids, creation times, diff IDs); the writer then asks for layers by diff ID, in
 * its own order, while a thread of ours reads the stream:
 * <ul>
 * <li>a layer the writer wants next is handed over as it passes, not stored anywhere;
 * <li>a layer that comes before its turn (docker sends them in its own order), or is wanted
 * twice, or that cannot be known before its end, is spooled into the private temporary
 * folder until the writer has read it;
 * <li>the configs and manifest.json (small) are kept, and make the final images once the
 * stream has ended: their ids and diff IDs must be what inspect said.
 * </ul>
 * A layer is known before its bytes by its name: docker 25 names it by its digest
 * (blobs/sha256/HEX), older docker by a v1 id, which is the hash of its folder's `json`
 * together with the layer's chain id (see v1Id); layers.json's checks (diff ID) apply as for
 * any other source. Nothing is trusted beyond a name: the writer hashes every layer it reads.
 */
final class DaemonStream implements AutoCloseable {
    private record Planned(String ref, String id, OffsetDateTime created, List<Digest> diffIds) {}

    private List<String> refs; // what `docker save` reads: those the cache does not hold (start)
    private final Path tmp;
    private String where;
    private final Map<String, Planned> planned = new LinkedHashMap<>();
    private final Map<String, Digest> chainToDiff = new HashMap<>(); // chain id -> its top diff ID
    private final Map<Digest, Integer> uses = new HashMap<>(); // reads the writer will make of a diff ID
    private final Set<String> chains = new HashSet<>();
    private final Map<Digest, Path> spooled = new HashMap<>();
    private final Map<String, Path> spooledByName = new HashMap<>(); // not known until the end
    private final Map<String, byte[]> small = new HashMap<>(); // configs, json, manifest.json, by entry name
    private final Map<String, String> links = new HashMap<>(); // entry name -> target (layer.tar symlinks)
    private final Set<Digest> served = new HashSet<>();
    private Digest wanted; // what the writer waits for
    private boolean writerDone; // the writer reads no more layers from the stream
    private Digest liveId;
    private InputStream live; // a layer handed over as it passes
    private boolean ended;
    private long smallTotal;
    private Fail failure;
    private final Thread reader;
    private final Run run; // the command's --verbose, --dry-run
    private Map<String, Image> saved; // a second, spooled `docker save`, for a layer read twice

    /** Reads nothing by itself: plan(), then entries() of a stream (start() does both; tests too). */
    DaemonStream(Run run, List<String> refs, Path tmp) {
        this.run = run;
        this.refs = refs;
        this.tmp = tmp;
        this.where = "docker save " + String.join(" ", new LinkedHashSet<>(refs));
        reader = new Thread(this::read, "docker save");
        reader.setDaemon(true);
    }

    /** Starts `docker save` of these refs (pulled first when missing), and gives their images as planned. */
    static DaemonStream start(Run run, List<String> refs, Path tmp) {
        DaemonStream s = planned(run, refs, tmp);
        s.reader.start();
        return s;
    }

    /** Plans these refs (pulled first when missing), from `docker image inspect`; start() reads them. */
    static DaemonStream planned(Run run, List<String> refs, Path tmp) {
        DaemonStream s = new DaemonStream(run, refs, tmp);
        s.plan();
        return s;
    }

    /**
     * Starts `docker save` of only these refs; the writer reads no layer whose chain of diff IDs
     * is `cached` (it is written from the cache), so such layers are passed over in the stream.
     */
    void start(Collection<String> save, java.util.function.Predicate<List<Digest>> cached) {
        refs = List.copyOf(save);
        where = "docker save " + String.join(" ", new LinkedHashSet<>(refs));
        uses.clear();
        chains.clear();
        for (String ref : refs) {
            List<Digest> ids = planned.get(ref).diffIds();
            for (int i = 0; i < ids.size(); i++)
                if (!cached.test(ids.subList(0, i + 1)) && chains.add(ids.subList(0, i + 1).toString())) uses.merge(ids.get(i), 1, Integer::sum);
        }
        reader.start();
    }

    /**
     * The image of ref complete without `docker save`, or null: when every layer is `cached` and
     * the cache holds its config (by image id, as inspect gives it), with the diff IDs and time inspect says.
     */
    Image fromCache(String ref, Image planned, lib.cache.Cache cache, java.util.function.Predicate<List<Digest>> cached) {
        Planned p = this.planned.get(ref);
        for (int i = 1; i <= p.diffIds().size(); i++) if (!cached.test(p.diffIds().subList(0, i))) return null;
        Digest id = Digest.parseOrNull(p.id());
        byte[] config = id == null ? null : cache.config(id.hex());
        if (config == null || !Image.diffIds(config, where).equals(p.diffIds())
                || !Image.created(config, where).toInstant().equals(p.created().toInstant())) return null;
        return new Image(planned.names(), config, planned.created(), null, planned.layers(), planned.where());
    }

    /** The image of each ref as inspect shows it: config bytes come with complete(). */
    Map<String, Image> images() {
        Map<String, Image> out = new HashMap<>();
        for (Planned p : planned.values()) {
            List<Layer> layers = new ArrayList<>();
            for (Digest d : p.diffIds()) {
                boolean[] opened = {false};
                String at = "docker-daemon:" + p.ref() + ": layer " + d;
                layers.add(new Layer(d, d, -1, () -> opened[0] ? again(d) : open(d, opened), at));
            }
            out.put(p.ref(), new Image(List.of(ImageRef.stored(p.ref())), null, p.created(), null, layers, "docker-daemon:" + p.ref()));
        }
        return out;
    }

    private void plan() {
        Map<String, String> inspected = DaemonSource.inspect(run, refs, "{{.Id}} {{.Created}}{{range .RootFS.Layers}} {{.}}{{end}}");
        for (String ref : refs) {
            String[] w = inspected.get(ref).split(" ");
            if (w.length < 2) throw Fail.die("docker image inspect did not show [" + ref + "]");
            OffsetDateTime t = OffsetDateTime.parse(w[1]);
            // a config without a time: Go's zero time here, the epoch in Image.created
            OffsetDateTime created = t.getYear() <= 1 ? Image.EPOCH : t;
            List<Digest> diffIds = new ArrayList<>();
            for (int i = 2; i < w.length; i++) diffIds.add(Digest.parse(w[i], "diff ID", "docker image inspect " + ref));
            plan(ref, w[0], created, diffIds);
        }
    }

    /** One image to read: its layers' chain ids (to know them by v1 id), and how often the writer reads each. */
    void plan(String ref, String id, OffsetDateTime created, List<Digest> diffIds) {
        String chain = null;
        for (int i = 0; i < diffIds.size(); i++) {
            Digest d = diffIds.get(i);
            chain = chain == null ? d.toString() : Digest.of(chain + " " + d).toString(); // docker's chain id
            chainToDiff.put(chain, d);
            // the store holds a layer once per chain of layers under it (Storage.Plan): so many reads
            if (chains.add(diffIds.subList(0, i + 1).toString())) uses.merge(d, 1, Integer::sum);
        }
        planned.put(ref, new Planned(ref, id, created, diffIds));
    }

    // ---- the writer's side

    /** The layer with this diff ID: handed over as it passes, or from its spool file. */
    private InputStream open(Digest d, boolean[] opened) throws IOException {
        opened[0] = true;
        synchronized (this) {
            wanted = d;
            notifyAll();
            while (true) {
                if (failure != null) throw failure;
                if (d.equals(liveId)) {
                    InputStream in = live;
                    live = null;
                    liveId = null;
                    wanted = null;
                    return handed(in, d);
                }
                Path f = spooled.get(d);
                if (f != null) {
                    wanted = null;
                    return fromSpool(d, f);
                }
                if (ended) break;
                await();
            }
        }
        throw Fail.die("docker save did not write layer [" + d + "] (" + where + ")");
    }

    /** A live layer: when the writer closes it, the reader goes on with the stream. */
    private InputStream handed(InputStream in, Digest d) {
        return new FilterInputStream(in) {
            @Override
            public void close() {
                synchronized (DaemonStream.this) {
                    served.add(d);
                    DaemonStream.this.notifyAll();
                }
            }
        };
    }

    private InputStream fromSpool(Digest d, Path f) throws IOException {
        boolean last = uses.merge(d, -1, Integer::sum) <= 0;
        return new FilterInputStream(Compression.decompressed(new FileInputStream(f.toFile()))) {
            @Override
            public void close() throws IOException {
                super.close();
                if (last) Files.deleteIfExists(f);
            }
        };
    }

    /**
     * A layer read a second time (GnuTarFixes writes some files again from a second read): the
     * stream has gone on, so it comes from a spooled `docker save` of the same images. Rare.
     */
    private InputStream again(Digest d) throws IOException {
        Map<String, Image> s;
        synchronized (this) {
            if (saved == null) saved = DaemonSource.save(run, refs, tmp);
            s = saved;
        }
        for (Image i : s.values())
            for (Layer l : i.layers()) if (l.diffId().equals(d)) return l.opener().open();
        throw Fail.die("docker save did not write layer [" + d + "] (" + where + ")");
    }

    /** Once the stream has ended and docker exited: the images with their configs, checked against the plan. */
    List<Image> complete(List<Image> images) {
        synchronized (this) {
            writerDone = true;
            notifyAll();
            while (!ended && failure == null) await();
            if (failure != null) throw failure;
        }
        try {
            reader.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw Fail.die("Interrupted");
        }
        if (failure != null) throw failure;
        Map<String, byte[]> byId = configs();
        List<Image> out = new ArrayList<>();
        for (Image i : images) {
            Planned p = i.config() == null ? planned.get(i.where().substring("docker-daemon:".length())) : null;
            if (p == null) {
                out.add(i);
                continue;
            }
            byte[] config = byId.get(p.id());
            if (config == null) throw Fail.die("docker save did not write [" + p.ref() + "] (" + p.id() + ")");
            if (!Image.diffIds(config, where).equals(p.diffIds()) || !Image.created(config, where).toInstant().equals(p.created().toInstant()))
                throw Fail.die("docker save and docker image inspect disagree on [" + p.ref() + "]: did it change meanwhile?");
            out.add(new Image(i.names(), config, i.created(), null, i.layers(), i.where()));
        }
        return out;
    }

    /** The configs the stream held, by image id (their sha256), as manifest.json names them. */
    private Map<String, byte[]> configs() {
        if (!small.containsKey("manifest.json")) throw Fail.die("No manifest.json in [" + where + "]");
        Map<String, byte[]> out = new HashMap<>();
        for (Listed l : listed()) out.put(Digest.of(l.config()).toString(), l.config());
        return out;
    }

    /** An image of manifest.json whose config the stream held, and its Layers (entry names). */
    private record Listed(byte[] config, JsonValue layers) {}

    private List<Listed> listed() {
        byte[] m = small.get("manifest.json");
        List<Listed> out = new ArrayList<>();
        if (m == null) return out;
        for (JsonValue e : Image.json(m, where + ": manifest.json")) {
            byte[] c = small.get(GoPath.clean(e.path("Config").asText()));
            if (c != null) out.add(new Listed(c, e.path("Layers")));
        }
        return out;
    }

    private void await() {
        try {
            wait();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw Fail.die("Interrupted");
        }
    }

    @Override
    public void close() {
        synchronized (this) {
            if (failure == null && !ended) failure = Fail.die("Stopped [" + where + "]");
            notifyAll();
        }
    }

    // ---- the reader's side

    private void read() {
        run(() -> Docker.docker(run, docker()).fails("docker save failed " + refs).stream(this::entries));
    }

    /** Reads `in` as if docker sent it, on this thread (tests: the writer's side on another). */
    void read(InputStream in) {
        run(() -> {
            try {
                entries(in);
            } catch (IOException e) {
                throw Fail.die("Can't read [" + where + "]: " + e.getMessage());
            }
        });
    }

    /** Reads; a failure is kept for the writer to throw; at the end the writer knows the stream has ended. */
    private void run(Runnable reading) {
        try {
            reading.run();
        } catch (Fail f) {
            synchronized (this) {
                if (failure == null) failure = f;
            }
        } catch (RuntimeException e) {
            synchronized (this) {
                if (failure == null) failure = Fail.die("Can't read [" + where + "]: " + e);
            }
        } finally {
            synchronized (this) {
                ended = true;
                notifyAll();
            }
        }
    }

    private String[] docker() {
        List<String> argv = new ArrayList<>(List.of("save"));
        argv.addAll(new LinkedHashSet<>(refs));
        return argv.toArray(String[]::new);
    }

    /** Every entry of the stream as it passes; then the bytes after the archive, so that docker can exit. */
    private void entries(InputStream stdout) throws IOException {
        TarReader r = new TarReader(new BufferedInputStream(stdout, 1 << 16));
        for (TarReader.Header h = r.next(); h != null; h = r.next()) {
            r.rawBytes();
            String name = GoPath.clean(h.name);
            if (h.type == '2') links.put(name, GoPath.clean(GoPath.dir(name) + "/" + h.linkname));
            if (h.type != '0' && h.type != '7') continue;
            Digest d = known(name);
            if (d != null) layer(d, name, r, h.size);
            else if (h.size > Image.SMALL || name.endsWith("/layer.tar")) spoolByName(name, r);
            else if ((smallTotal += h.size) > 4L * Image.SMALL) throw new IOException("more than 64 MB of small files");
            else small.put(name, r.body().readAllBytes()); // configs, jsons, manifest.json
            stopped();
        }
        stdout.transferTo(OutputStream.nullOutputStream());
        resolveByName();
    }

    /** The writer gave up: stop reading, and Exec.stream stops docker. */
    private synchronized void stopped() throws IOException {
        if (failure != null) throw new IOException("stopped");
    }

    /** The diff ID an entry holds, when its name tells: blobs/sha256/HEX, or V1ID/layer.tar after V1ID/json. */
    private Digest known(String name) {
        if (name.startsWith("blobs/sha256/")) {
            Digest d = Digest.parse("sha256:" + name.substring("blobs/sha256/".length()), "blob", where);
            return chainToDiff.containsValue(d) ? d : null; // a layer, not a config
        }
        if (!name.endsWith("/layer.tar")) return null;
        String v1 = GoPath.dir(name);
        byte[] json = small.get(v1 + "/json");
        if (json == null) return null;
        for (Map.Entry<String, Digest> c : chainToDiff.entrySet())
            for (boolean withOs : new boolean[] {true, false})
                if (v1.equals(v1Id(json, c.getKey(), withOs))) return c.getValue();
        return null;
    }

    /**
     * docker's v1 id of a layer folder (image/v1 CreateID, docker 1.10 to 24): the sha256 of its
     * json without "id", with "parent" as a digest and "layer_id" the chain id, keys sorted, as
     * Go's json.Marshal of a map writes it. docker adds "os" to the json of layers below the top
     * after taking the id, so both are tried. A wrong guess only costs the spool.
     */
    static String v1Id(byte[] json, String chainId, boolean withOs) {
        SortedMap<String, String> fields = JsonValue.rawFields(json);
        if (fields == null) return null;
        fields.remove("id");
        if (!withOs) fields.remove("os");
        String parent = fields.get("parent");
        if (parent != null) fields.put("parent", "\"sha256:" + parent.substring(1));
        fields.put("layer_id", "\"" + chainId + "\"");
        StringBuilder b = new StringBuilder("{");
        fields.forEach((k, v) -> b.append(b.length() > 1 ? "," : "").append('"').append(k).append("\":").append(v));
        return Digest.of(b.append('}').toString()).hex();
    }

    /** A layer known by name: handed to the writer when it is the one it waits for, else spooled. */
    private void layer(Digest d, String name, TarReader r, long size) throws IOException {
        synchronized (this) {
            if (!uses.containsKey(d)) return; // not read: written from the cache
            if (spooled.containsKey(d) || served.contains(d) && uses.getOrDefault(d, 0) <= 0) return; // had it: docker sent it twice
            boolean next = uses.getOrDefault(d, 0) == 1 && !served.contains(d) && wantedNext(d);
            stopped(); // the writer gave up while we waited for it
            if (next) {
                InputStream body = Compression.decompressed(r.body());
                liveId = d;
                live = body;
                notifyAll();
                while (failure == null && !served.contains(d)) await();
                uses.merge(d, -1, Integer::sum);
                return;
            }
        }
        Path f = spool(r.body());
        synchronized (this) {
            spooled.put(d, f);
            notifyAll();
        }
    }

    /**
     * Is d what the writer asks for? When the writer is busy (writing a layer, the store's head),
     * the reader waits until it asks for the next one, or has all its layers: docker waits on its
     * pipe meanwhile, and nothing is spooled that the writer would take at once.
     */
    private boolean wantedNext(Digest d) {
        while (wanted == null && !writerDone && failure == null) await();
        return d.equals(wanted);
    }

    /** The rest of a layer into a file of the private temporary folder. */
    private Path spool(InputStream in) throws IOException {
        Path f = Files.createTempFile(tmp, "layer-", ".tar");
        try (OutputStream out = Files.newOutputStream(f)) {
            in.transferTo(out);
        }
        return f;
    }

    private void spoolByName(String name, TarReader r) throws IOException {
        spooledByName.put(name, spool(r.body()));
    }

    /** At the end: layers not known by name, found through manifest.json and the configs. */
    private void resolveByName() throws IOException {
        if (spooledByName.isEmpty()) return;
        for (Listed l : listed()) {
            List<Digest> ids = Image.diffIds(l.config(), where);
            for (int i = 0; i < Math.min(ids.size(), l.layers().size()); i++) {
                String file = GoPath.clean(l.layers().get(i).asText());
                for (int hops = 0; links.containsKey(file) && hops < 8; hops++) file = links.get(file);
                Path f = spooledByName.get(file);
                if (f == null && small.containsKey(file)) f = spool(new ByteArrayInputStream(small.get(file)));
                synchronized (this) {
                    if (f != null && !spooled.containsKey(ids.get(i)) && !served.contains(ids.get(i))) spooled.put(ids.get(i), f);
                }
            }
        }
    }
}
