package lib;

import java.io.*;
import java.nio.channels.Channels;
import java.nio.channels.Pipe;
import java.nio.file.*;
import java.security.MessageDigest;
import java.time.OffsetDateTime;
import java.util.*;

/**
 * One `docker save` of the daemon's images, read as it streams instead of from a saved file.
 * docker writes the archive's entries in its own order (docker 20.10: sorted by name, layer
 * folders and configs interleaved, manifest.json last), which is not the order the store is
 * written in. So each entry is taken as it passes, hashed on the way, and kept by its sha256:
 * an uncompressed layer.tar's sha256 is its diff ID, a config's is the image id. Small entries
 * stay in memory; a layer goes to a spool file in the run's temporary folder.
 * The writer asks for layers by diff ID (known beforehand from `docker image inspect`) and
 * gets each as soon as docker has written it, while docker goes on with the next.
 */
final class DockerSave {
    private static final int SMALL = 1 << 20; // configs, manifests: kept in memory
    private final Path spool;
    private final String where;
    private final Map<String, Path> files = new HashMap<>(); // sha256:HEX -> spooled body
    private final Map<String, byte[]> small = new HashMap<>();
    private Fail failure;
    private boolean done, exited; // the stream read to its end; docker exited with 0

    private DockerSave(Path spool, String where) {
        this.spool = spool;
        this.where = where;
    }

    /** Starts `docker save REFS` at once; its stream is read on a thread of its own. */
    static DockerSave start(Collection<String> refs, Path tmp) {
        List<String> argv = new ArrayList<>(List.of("save"));
        argv.addAll(new LinkedHashSet<>(refs));
        DockerSave s = new DockerSave(tmp, "docker save " + String.join(" ", new LinkedHashSet<>(refs)));
        try {
            Pipe pipe = Pipe.open();
            Exec docker = Docker.docker(argv.toArray(String[]::new)).fails("docker save failed " + refs)
                    .out(Channels.newOutputStream(pipe.sink()));
            thread("docker save", () -> {
                try (OutputStream sink = Channels.newOutputStream(pipe.sink())) {
                    docker.run();
                }
                s.exited();
            }, s);
            thread("docker save reader", () -> {
                try (InputStream in = new BufferedInputStream(Channels.newInputStream(pipe.source()), 1 << 16)) {
                    s.read(in);
                }
            }, s);
        } catch (IOException e) {
            throw Fail.die("Can't start [" + s.where + "]: " + e.getMessage());
        }
        return s;
    }

    private interface Job {
        void run() throws IOException;
    }

    private static void thread(String name, Job job, DockerSave s) {
        Thread t = new Thread(() -> {
            try {
                job.run();
            } catch (Fail f) {
                s.fail(f);
            } catch (IOException | RuntimeException e) {
                s.fail(Fail.die("Can't read [" + s.where + "]: " + e.getMessage()));
            }
        }, name);
        t.setDaemon(true);
        t.start();
    }

    private synchronized void exited() {
        exited = true;
        notifyAll();
    }

    private synchronized void fail(Fail f) {
        if (failure == null) failure = f;
        notifyAll();
    }

    /** Every entry of the stream, kept by its sha256. */
    private void read(InputStream in) throws IOException {
        TarReader r = new TarReader(in);
        byte[] buf = new byte[1 << 16];
        int n = 0;
        for (TarReader.Header h = r.next(); h != null; h = r.next()) {
            if (h.type != '0' || h.size == 0) continue; // folders, links to an entry already kept
            MessageDigest sha = Digest.newSha256();
            if (h.size <= SMALL) {
                ByteArrayOutputStream b = new ByteArrayOutputStream((int) h.size);
                for (int k; (k = r.read(buf, 0, buf.length)) > 0; ) b.write(buf, 0, k);
                byte[] body = b.toByteArray();
                keep(Digest.of(body).toString(), body, null);
                continue;
            }
            Path f = spool.resolve("layer-" + n++ + ".tar");
            try (OutputStream out = Files.newOutputStream(f)) {
                for (int k; (k = r.read(buf, 0, buf.length)) > 0; ) {
                    sha.update(buf, 0, k);
                    out.write(buf, 0, k);
                }
            }
            keep(Digest.of(sha).toString(), null, f);
        }
        in.transferTo(OutputStream.nullOutputStream());
        synchronized (this) {
            done = true;
            notifyAll();
        }
    }

    private synchronized void keep(String digest, byte[] body, Path file) throws IOException {
        if (small.containsKey(digest) || files.containsKey(digest)) {
            if (file != null) Files.delete(file);
        } else if (body != null) {
            small.put(digest, body);
        } else {
            files.put(digest, file);
        }
        notifyAll();
    }

    /** Waits until the entry with this digest has passed, or the stream ended (then false). */
    private synchronized boolean await(String digest) {
        waitFor(() -> small.containsKey(digest) || files.containsKey(digest) || done);
        return small.containsKey(digest) || files.containsKey(digest);
    }

    /** The stream to its end and docker to its exit: then every entry is known. */
    private synchronized void finish() {
        waitFor(() -> done && exited);
    }

    /** Waits (holding the lock) until the condition holds; a failure of either thread is thrown here. */
    private void waitFor(java.util.function.BooleanSupplier condition) {
        while (!condition.getAsBoolean() && failure == null) {
            try {
                wait();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw Fail.die("Interrupted");
            }
        }
        if (failure != null) throw failure;
    }

    /**
     * The image of each ref (ref -> image id): names, creation time and diff IDs from one
     * `docker image inspect`, so that the store can be planned before docker has written
     * anything; the layers and the config come from the stream.
     */
    Map<String, Image> images(Map<String, String> ids) {
        List<String> argv = new ArrayList<>(List.of("image", "inspect", "--format",
                "{{.Id}} {{.Created}}{{range .RootFS.Layers}} {{.}}{{end}}"));
        argv.addAll(new LinkedHashSet<>(ids.values()));
        Map<String, String[]> byId = new HashMap<>();
        for (String line : Docker.docker(argv.toArray(String[]::new)).read().lines().toList()) {
            String[] w = line.trim().split(" ");
            byId.put(w[0], w);
        }
        Map<String, Image> out = new HashMap<>();
        ids.forEach((ref, id) -> {
            String[] w = byId.get(id);
            if (w == null || w.length < 2) throw Fail.die("docker image inspect did not show [" + ref + "] (" + id + ")");
            OffsetDateTime parsed = OffsetDateTime.parse(w[1]);
            // no time in the config: Go's zero time here, the epoch in Sources.created
            OffsetDateTime created = parsed.getYear() <= 1 ? Image.created(new byte[] {'{', '}'}, where) : parsed;
            List<Layer> blobs = new ArrayList<>();
            for (int i = 2; i < w.length; i++) {
                String diffId = w[i];
                Digest d = Digest.parse(diffId, "diff ID", where);
                blobs.add(new Layer(d, d, -1, () -> layer(diffId, ref), where + ": layer " + diffId));
            }
            out.put(ref, new Image(List.of(ImageRef.stored(ref)), () -> config(id, ref, created), created, null, blobs,
                    "docker-daemon:" + ref, null));
        });
        return out;
    }

    /** A layer's bytes by its diff ID, as soon as docker has written it. */
    InputStream layer(String diffId, String ref) throws IOException {
        if (!await(diffId)) {
            finish();
            throw Fail.die("docker save did not write layer [" + diffId + "] of [" + ref + "]");
        }
        synchronized (this) {
            if (small.containsKey(diffId)) return new ByteArrayInputStream(small.get(diffId));
            // kept until the run ends with its temporary folder: a layer may be read twice (GnuTarFixes)
            return new FileInputStream(files.get(diffId).toFile());
        }
    }

    /** An image's config (its sha256 is the image id), once docker has finished. */
    byte[] config(String imageId, String ref, OffsetDateTime created) {
        finish();
        byte[] c;
        synchronized (this) {
            c = small.get(imageId);
        }
        if (c == null) throw Fail.die("docker save did not write [" + ref + "] (" + imageId + ")");
        if (!Image.created(c, where).toInstant().equals(created.toInstant()))
            throw Fail.die("docker image inspect and the config of [" + ref + "] disagree on its creation time");
        return c;
    }
}
