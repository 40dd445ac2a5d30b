package lib.registry;

import lib.exec.Run;

import java.io.IOException;
import java.nio.file.Path;
import java.util.*;
import java.util.concurrent.*;
import lib.model.Digest;
import lib.Fail;
import lib.model.ImageRef;
import lib.model.JsonValue;
import lib.model.Platform;

/**
 * docker://REF pulled into the OCI cache without skopeo: for each reference its manifest (by
 * tag, revalidated each run, or by digest), through an index or manifest list to the manifest
 * of the wanted platform; then the config and layers of all references at once, over a few
 * connections, each blob once, its digest and size checked as it passes; the manifests and
 * index.json last, so that a failed pull names nothing.
 */
public final class Pull {
    static final int MANIFEST_MAX = 4 << 20; // as containers/image bounds a manifest
    static final int CONNECTIONS = 4;
    static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json",
            OCI_INDEX = "application/vnd.oci.image.index.v1+json",
            DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json",
            DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";
    static final String ACCEPT = String.join(", ", OCI_MANIFEST, DOCKER_MANIFEST, DOCKER_LIST, OCI_INDEX);

    private Pull() {}

    record Manifest(byte[] bytes, String mediaType, Digest digest) {}


    /** A reference resolved: its top manifest (what the tag names), the manifests under it, its blobs. */
    record Resolved(String ref, Manifest top, List<Manifest> manifests, List<Download.Blob> blobs) {}

    /** Blobs being fetched in this run, by digest: a reader waits for its blob (await) while others still come. */
    private static final Map<Digest, CompletableFuture<Void>> inflight = new ConcurrentHashMap<>();
    private static final ExecutorService POOL = Executors.newFixedThreadPool(CONNECTIONS, r -> {
        Thread t = new Thread(r, "pull");
        t.setDaemon(true);
        return t;
    });

    /**
     * Pulls each full reference (HOST/PATH:TAG or @DIGEST) into the layout at `cache`. Returns when
     * the manifests and configs are there; the layers keep coming over a few connections (each
     * blob once), so that make writes the first layer while the next ones download: await().
     * A blob that fails is not kept, and its images are taken out of index.json again.
     */
    public static void into(Run run, Platform platform, Path cache, List<String> refs, boolean tlsVerify) {
        CacheLayout layout = new CacheLayout(cache);
        List<Resolved> all = new ArrayList<>();
        for (String ref : refs) all.add(resolve(run, platform, ref, tlsVerify));
        Map<Digest, Download.Blob> missing = new LinkedHashMap<>(); // the configs first: small, and needed at once
        for (Resolved r : all) if (!layout.has(r.blobs().get(0).digest(), r.blobs().get(0).size())) missing.putIfAbsent(r.blobs().get(0).digest(), r.blobs().get(0));
        for (Resolved r : all) for (Download.Blob b : r.blobs()) if (!layout.has(b.digest(), b.size())) missing.putIfAbsent(b.digest(), b);
        List<String> names = all.stream().map(Resolved::ref).toList();
        boolean[] failed = {false}; // under the layout's lock: a failed blob untags, and nothing is tagged after
        for (Download.Blob b : missing.values())
            inflight.computeIfAbsent(b.digest(), d -> CompletableFuture.runAsync(() -> Download.into(layout, b), POOL)
                    .whenComplete((v, e) -> {
                        if (e != null) synchronized (layout) {
                            failure.compareAndSet(null, e.getCause() instanceof Fail f ? f : Fail.die("Pull failed [" + d + "]: " + e));
                            failed[0] = true;
                            names.forEach(layout::untag);
                        }
                    }));
        for (Resolved r : all) await(r.blobs().get(0).digest());
        for (Resolved r : all) {
            boolean cached = r.top().digest().equals(layout.tagged(r.ref()))
                    && r.blobs().stream().noneMatch(b -> missing.containsKey(b.digest()));
            for (Manifest m : r.manifests()) layout.put(m.digest(), m.bytes());
            synchronized (layout) {
                if (failed[0]) break;
                layout.tag(r.ref(), r.top().mediaType(), r.top().digest(), r.top().bytes().length);
            }
            System.err.println((cached ? "Cached [" : "Pulled [") + r.ref() + "]"); // Pulled: its layers may still be coming
        }
        for (Download.Blob b : missing.values()) if (inflight.get(b.digest()).isCompletedExceptionally()) await(b.digest()); // its error now
    }

    /** The first blob that failed in this run (its images are no longer in the cache's index). */
    private static final java.util.concurrent.atomic.AtomicReference<Fail> failure = new java.util.concurrent.atomic.AtomicReference<>();

    /** Throws the error of a blob that failed in this run, if one did: that is why an image is missing. */
    public static void rethrowFailure() {
        Fail f = failure.get();
        if (f != null) throw f;
    }

    /** Is this blob still being fetched in this run? */
    public static boolean pending(Digest d) {
        CompletableFuture<Void> f = inflight.get(d);
        return f != null && (!f.isDone() || f.isCompletedExceptionally());
    }

    /** Waits until the blob is there; its error (digest mismatch, ...) when it failed. */
    public static void await(Digest d) {
        CompletableFuture<Void> f = inflight.get(d);
        if (f == null) return;
        try {
            f.join();
        } catch (CompletionException | CancellationException e) {
            if (e.getCause() instanceof Fail fail) throw fail;
            throw Fail.die("Pull failed [" + d + "]: " + e.getCause());
        }
    }

    /** The manifests of a reference, down to the one for the wanted platform, and what it needs. */
    static Resolved resolve(Run run, Platform platform, String ref, boolean tlsVerify) {
        ImageRef r = ImageRef.versioned(ref);
        String where = "docker://" + ref;
        Client c = Client.of(run, r.domain(), tlsVerify);
        Manifest top = manifest(c, r.path(), r.digest() != null ? r.digest() : r.tag(), where);
        List<Manifest> ms = new ArrayList<>(List.of(top));
        Manifest m = top;
        JsonValue j = json(m, where);
        for (int depth = 0; Platform.isIndex(j, JsonValue.MISSING) || m.mediaType().equals(DOCKER_LIST); depth++) {
            if (depth == 8) throw Fail.die("Indexes nested too deep [" + where + "]");
            m = manifest(c, r.path(), platform.chosen(j, where + ": " + m.digest()), where);
            ms.add(m);
            j = json(m, where);
        }
        return new Resolved(r.full(), top, ms, blobs(c, r.path(), j, m, where));
    }

    /** The config and the layers; schema 1 and foreign layers are refused. */
    static List<Download.Blob> blobs(Client c, String repo, JsonValue j, Manifest m, String where) {
        if (j.path("schemaVersion").asLong(0) == 1 || m.mediaType().contains("distribution.manifest.v1"))
            throw Fail.die("Unsupported manifest [" + where + "]: schema 1 (re-push the image with a current docker or skopeo)");
        if (!j.path("config").has("digest")) throw Fail.die("Invalid manifest [" + where + "]: no config (" + m.mediaType() + ")");
        List<Download.Blob> out = new ArrayList<>(List.of(blob(c, repo, j.path("config"), where)));
        for (JsonValue l : j.path("layers")) {
            String type = l.path("mediaType").asText("");
            if (type.contains("foreign") || type.contains("nondistributable") || l.has("urls"))
                throw Fail.die("Unsupported layer [" + where + ": " + l.path("digest").asText() + "]: a foreign layer (" + type + ")");
            out.add(blob(c, repo, l, where));
        }
        return out;
    }

    static Download.Blob blob(Client c, String repo, JsonValue desc, String where) {
        Digest d = Digest.parseOrNull(desc.path("digest").asText());
        if (d == null) throw Fail.die("Unsupported digest [" + desc.path("digest").asText() + "] in [" + where + "]");
        long size = desc.path("size").asLong(-1);
        if (size < 0) throw Fail.die("Invalid size of [" + where + ": " + d + "]");
        return new Download.Blob(d, size, c, repo, where);
    }

    /** GET /v2/REPO/manifests/VERSION, at most 4 MiB; by digest it must be that digest. */
    static Manifest manifest(Client c, String repo, String version, String where) {
        try (Client.Response r = c.get("/v2/" + repo + "/manifests/" + version, Map.of("Accept", ACCEPT), Client.scope(repo, "pull"))) {
            Client.check(r, where, "manifest " + version);
            String len = r.header("Content-Length");
            if (len != null && len.matches("[0-9]{1,18}") && Long.parseLong(len) > MANIFEST_MAX)
                throw Fail.die("Manifest too large [" + where + "]: " + len + " bytes (at most 4 MiB)");
            byte[] b = r.body().readNBytes(MANIFEST_MAX + 1);
            if (b.length > MANIFEST_MAX) throw Fail.die("Manifest too large [" + where + "]: over 4 MiB");
            Digest d = Digest.of(b);
            if (version.startsWith("sha256:") && !d.toString().equals(version))
                throw Fail.die("Digest mismatch [" + where + ": " + version + "]: the manifest is " + d);
            String type = Optional.ofNullable(r.header("Content-Type")).orElse("").replaceFirst(";.*", "").trim();
            if (type.isEmpty() || type.equals("application/json")) type = json(new Manifest(b, "", d), where).path("mediaType").asText(OCI_MANIFEST);
            return new Manifest(b, type, d);
        } catch (IOException e) {
            throw Fail.die("Can't read manifest [" + where + "]: " + e.getMessage());
        }
    }



    static JsonValue json(Manifest m, String where) {
        try {
            return JsonValue.parse(m.bytes());
        } catch (IOException e) {
            throw Fail.die("Invalid JSON [" + where + ": manifest " + m.digest() + "]: " + e.getMessage());
        }
    }

}
