package lib.store;

import lib.Fail;
import lib.exec.Temp;
import lib.model.Digest;
import lib.model.GoPath;
import lib.model.JsonValue;
import lib.tar.TarSplit;
import java.io.*;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.*;
import java.util.zip.GZIPInputStream;

/**
 * `images verify`: checks a storage tree in a tar the way containers/storage reads it back, without
 * unpacking it: layer ids, link/lower/l/, images and their big data, and each layer's tar-split
 * replayed with the bodies of its diff/ files giving exactly the layer's diff digest.
 *
 * The tar is read once: one pass over its headers (bodies skipped, metadata kept), then each layer
 * replayed in tar-split order, each diff/ body read once where it lies in the tar. The replay must
 * follow the tar-split (the digest is of segments and bodies in that order) and both ways of make
 * put the tar-splits after the diff/ folders, so a pipe is first copied into a private file.
 */
public final class Verify {
    private final StoreTar t;
    private final Map<String, String> imageOf = new HashMap<>(); // layer id -> the first image that uses it
    private long bytes;
    private final byte[] buf = new byte[1 << 16];

    private Verify(StoreTar t) {
        this.t = t;
        for (StoreTar.Image img : t.images)
            for (StoreTar.Layer l : t.chain(img)) imageOf.putIfAbsent(l.id(), img.name());
    }

    /** Checks FILE (or "-"); returns the one-line summary, or dies with the first error. */
    public static String run(String what) {
        java.nio.file.Path tmp = Temp.dir("images-verify");
        try {
            long start = System.nanoTime();
            StoreTar t = StoreTar.spooled(what, tmp);
            Verify v = new Verify(t);
            v.layers();
            v.images();
            try {
                for (StoreTar.Layer l : t.layers) v.replay(l);
            } finally {
                t.closeQuietly();
            }
            return String.format("OK %s: %d images, %d layers, %s of layer data replayed (%.1f s)", t.where, t.images.size(),
                    t.layers.size(), Ls.size(v.bytes), (System.nanoTime() - start) / 1e9);
        } finally {
            Temp.delete(tmp);
        }
    }

    private Fail fail(String layerId, String what) {
        String img = imageOf.get(layerId);
        return Fail.die((img == null ? "" : "Image [" + img + "] ") + "layer [" + layerId + "]: " + what);
    }

    /** Ids, parents, link, lower and l/ of every layer in layers.json. */
    void layers() {
        Set<String> seen = new HashSet<>();
        for (StoreTar.Layer l : t.layers) {
            if (!l.id().matches("[0-9a-f]{64}")) throw fail(l.id(), "invalid layer id in layers.json");
            if (!seen.add(l.id())) throw fail(l.id(), "listed twice in layers.json");
            if (l.diffDigest() == null || !l.diffDigest().matches("sha256:[0-9a-f]{64}"))
                throw fail(l.id(), "invalid diff-digest [" + l.diffDigest() + "] in layers.json");
            StoreTar.Layer p = l.parent() == null ? null : t.layer(l.parent());
            if (l.parent() != null && p == null) throw fail(l.id(), "parent [" + l.parent() + "] is not in layers.json");
            String hex = l.diffDigest().substring(7);
            String want = p == null ? hex : Digest.of(p.id() + "+" + hex).hex();
            if (!want.equals(l.id()))
                throw fail(l.id(), "the id is not the id of parent [" + l.parent() + "] and diff digest [" + l.diffDigest() + "]");
            if (!t.entries.containsKey(StoreLayout.diff(l.id()))) throw fail(l.id(), "no folder [" + StoreLayout.diff(l.id()) + "]");
            links(l, p);
        }
    }

    private void links(StoreTar.Layer l, StoreTar.Layer p) {
        String link = text(StoreLayout.layerDir(l.id()) + "link");
        if (link == null || !link.matches("[A-Z2-7]{26}")) throw fail(l.id(), "missing or invalid [overlay/" + l.id() + "/link]");
        StoreTar.Entry sym = t.entries.get(StoreLayout.link(link));
        if (sym == null || sym.type() != '2' || !sym.link().equals("../" + l.id() + "/diff"))
            throw fail(l.id(), "[" + StoreLayout.link(link) + "] is not a link to " + StoreLayout.linkTarget(l.id()));
        String lower = text(StoreLayout.layerDir(l.id()) + "lower");
        String want = p == null ? null : StoreLayout.lowerEntry(text(StoreLayout.layerDir(p.id()) + "link"))
                + (text(StoreLayout.layerDir(p.id()) + "lower") == null ? "" : ":" + text(StoreLayout.layerDir(p.id()) + "lower"));
        if (!Objects.equals(lower, want)) throw fail(l.id(), "[overlay/" + l.id() + "/lower] is [" + lower + "], not [" + want + "]");
    }

    private String text(String path) {
        byte[] b = t.small.get(path);
        return b == null ? null : new String(b, StandardCharsets.UTF_8);
    }

    /** Every image: its top layer, big data (sizes, digests), id and digest, diff ids, names. */
    void images() {
        Map<String, String> owner = new HashMap<>();
        for (StoreTar.Image img : t.images) {
            String n = "Image [" + img.name() + "]: ";
            if (img.topLayer() != null && t.layer(img.topLayer()) == null)
                throw Fail.die(n + "its layer [" + img.topLayer() + "] is not in layers.json");
            for (String k : img.bigDataNames()) {
                byte[] b = t.bigData(img, k);
                String file = StoreLayout.bigData(img.id(), k);
                if (b == null) throw Fail.die(n + "missing big data [" + file + "]");
                if (b.length != img.bigDataSizes().get(k) || !Digest.of(b).toString().equals(img.bigDataDigests().get(k)))
                    throw Fail.die(n + "big data [" + file + "] does not match its size and digest in images.json");
            }
            config(img, n);
            for (String name : img.names()) {
                String other = owner.putIfAbsent(name, img.id());
                if (other != null) throw Fail.die(n + "the name [" + name + "] is also on image [" + other + "]");
            }
        }
    }

    /** The id is the config's digest, the digest a manifest's, and the config's diff ids are the layers'. */
    private void config(StoreTar.Image img, String n) {
        byte[] config = t.bigData(img, "sha256:" + img.id());
        if (config == null || !img.bigDataNames().contains("sha256:" + img.id())) throw Fail.die(n + "no config [sha256:" + img.id() + "] in its big data");
        if (img.digest() == null || !img.bigDataNames().contains("manifest-" + img.digest()))
            throw Fail.die(n + "no manifest [manifest-" + img.digest() + "] in its big data");
        List<String> want = new ArrayList<>();
        t.json(config, "config of " + img.name()).path("rootfs").path("diff_ids").forEach(d -> want.add(d.asText()));
        List<String> have = new ArrayList<>();
        for (StoreTar.Layer l : t.chain(img)) have.add(l.diffDigest());
        if (!have.equals(want)) throw Fail.die(n + "its layers " + have + " are not its config's diff ids " + want);
    }

    /** Rebuilds the layer tar from its tar-split and diff/ bodies; its sha256 and size must be the layer's. */
    void replay(StoreTar.Layer l) {
        String ts = StoreLayout.tarSplit(l.id());
        MessageDigest sha = Digest.newSha256();
        long size = 0;
        try (InputStream raw = t.open(ts)) {
            if (raw == null) throw fail(l.id(), "missing tar-split [" + ts + "]");
            BufferedReader r = new BufferedReader(new InputStreamReader(new GZIPInputStream(raw, 1 << 16), StandardCharsets.UTF_8));
            for (String line; (line = r.readLine()) != null; ) {
                if (line.isBlank()) continue;
                size += entry(l, t.json(line.getBytes(StandardCharsets.UTF_8), ts), sha);
            }
        } catch (IOException e) {
            throw fail(l.id(), "can't read [" + ts + "]: " + e.getMessage());
        }
        bytes += size;
        String got = "sha256:" + HexFormat.of().formatHex(sha.digest());
        if (!got.equals(l.diffDigest())) throw fail(l.id(), "the replayed tar-split gives " + got + ", not the diff digest " + l.diffDigest());
        if (l.diffSize() >= 0 && size != l.diffSize()) throw fail(l.id(), "the replayed tar-split has " + size + " bytes, not the diff size " + l.diffSize());
    }

    /** One tar-split line: a segment, or a file whose body comes from diff/; returns the bytes it adds. */
    private long entry(StoreTar.Layer l, JsonValue e, MessageDigest sha) throws IOException {
        long type = e.path("type").asLong(0);
        if (type == 2) {
            byte[] seg = Base64.getDecoder().decode(e.path("payload").asText());
            sha.update(seg);
            return seg.length;
        }
        if (type != 1) throw fail(l.id(), "unknown tar-split entry type " + type);
        long want = e.path("size").asLong(0);
        if (want == 0) return 0;
        String name = e.has("name_raw") ? new String(Base64.getDecoder().decode(e.path("name_raw").asText()), StandardCharsets.ISO_8859_1)
                : new String(e.path("name").asText().getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
        String path = GoPath.clean("/" + name).substring(1);
        String file = StoreLayout.diff(l.id()) + "/" + path;
        TarSplit.Crc64 crc = new TarSplit.Crc64();
        long n = 0;
        try (InputStream in = t.open(file)) {
            if (in == null) throw fail(l.id(), "file [" + path + "] of the tar-split is not a file in diff/");
            for (int k; (k = in.read(buf)) > 0; n += k) {
                crc.update(buf, 0, k);
                sha.update(buf, 0, k);
            }
        }
        String sum = Base64.getEncoder().encodeToString(crc.sum());
        if (n != want || !sum.equals(e.path("payload").asText()))
            throw fail(l.id(), "file [" + path + "] differs from its tar-split (" + (n != want ? n + " bytes, not " + want : "CRC-64") + ")");
        return n;
    }
}
