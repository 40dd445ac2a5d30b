package lib.source;

import lib.Fail;
import lib.model.Digest;
import lib.model.Image;
import lib.model.ImageRef;
import lib.model.JsonValue;
import lib.model.Layer;
import lib.model.Opener;
import lib.model.Platform;
import lib.tar.TarIndex;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.*;

/**
 * An OCI image layout: index.json and blobs/sha256/HEX, in a folder (oci:DIR[:REF], also the
 * OCI cache of registry images) or in a tar (oci-archive:PATH[:REF]). REF chooses the image by
 * its org.opencontainers.image.ref.name annotation.
 */
final class OciLayout implements Source {
    private static final String REF_NAME = "org.opencontainers.image.ref.name";

    /** The blobs of a layout, wherever they lie. */
    private interface Blobs {
        /** A small file: index.json, or a blob by digest. */
        byte[] read(String file, String what);

        Opener opener(Digest digest);
    }

    private final Blobs blobs;
    private final String ref, where;
    private final Platform platform; // an index gives its manifest for this one

    private OciLayout(Platform platform, Blobs blobs, String ref, String where) {
        this.platform = platform;
        this.blobs = blobs;
        this.ref = ref;
        this.where = where;
    }

    static OciLayout dir(Platform platform, Path dir, String ref, String where) {
        return new OciLayout(platform, new DirBlobs(dir, where), ref, where);
    }

    static OciLayout archive(Platform platform, Path file, String ref, String where) {
        return new OciLayout(platform, new TarBlobs(file, where), ref, where);
    }

    /** Is REF named in the layout's index.json? */
    static boolean has(Path dir, String ref) {
        Path index = dir.resolve("index.json");
        if (!Files.isReadable(index)) return false;
        for (JsonValue m : new DirBlobs(dir, dir.toString()).index().path("manifests"))
            if (ref.equals(m.path("annotations").path(REF_NAME).asText(null))) return true;
        return false;
    }

    @Override
    public List<Image> images(Path tmp) {
        JsonValue index = Image.json(blobs.read("index.json", "index.json"), where + ": index.json");
        List<Image> images = new ArrayList<>();
        for (JsonValue d : index.path("manifests")) {
            String refName = d.path("annotations").path(REF_NAME).asText(null);
            if (ref != null && !ref.equals(refName)) continue;
            String containerd = d.path("annotations").path("io.containerd.image.name").asText(null);
            images.add(image(d, ref == null && containerd != null ? ImageRef.stored(containerd) : name(d, ref != null ? ref : refName)));
        }
        if (images.isEmpty()) throw Fail.die("No image [" + (ref == null ? "" : ref) + "] in [" + where + "]");
        return images;
    }

    /**
     * The store name of an image: the reference asked for; else the containerd name annotation
     * (docker save writes a bare tag as the reference name), else the reference name.
     */
    private String name(JsonValue d, String refName) {
        try {
            if (refName != null) return ImageRef.stored(refName);
        } catch (Fail f) {
            // a bare tag such as "1.0": look for a full name
        }
        String full = d.path("annotations").path("io.containerd.image.name").asText(null);
        if (full != null) return ImageRef.stored(full);
        throw Fail.die("No image name for [" + (refName == null ? d.path("digest").asText() : refName) + "] in [" + where
                + "]; name it NAME:TAG in the layout");
    }

    private Image image(JsonValue desc, String name) {
        Digest mdigest = digest(desc.path("digest").asText());
        byte[] manifest = verified(blobs.read(mdigest.blobPath(), "manifest"), mdigest);
        JsonValue m = Image.json(manifest, where + ": manifest " + mdigest);
        byte[] toplevel = null; // an index or manifest list: its manifest for the wanted platform (Platform)
        for (int depth = 0; Platform.isIndex(m, desc); depth++) {
            if (depth == 8) throw Fail.die("Indexes nested too deep [" + where + ": " + mdigest + "]");
            if (toplevel == null) toplevel = manifest;
            mdigest = digest(platform.choose(Platform.entries(m), where + ": " + mdigest).digest());
            manifest = verified(blobs.read(mdigest.blobPath(), "manifest"), mdigest);
            m = Image.json(manifest, where + ": manifest " + mdigest);
            desc = JsonValue.MISSING;
        }
        Digest cdigest = digest(m.path("config").path("digest").asText());
        byte[] config = verified(blobs.read(cdigest.blobPath(), "config"), cdigest);
        List<Digest> diffIds = Image.diffIds(config, where);
        JsonValue descs = m.path("layers");
        Image.sameLayerCount(descs.size(), diffIds.size(), "the manifest", where);
        List<Layer> layers = new ArrayList<>();
        for (int i = 0; i < descs.size(); i++) {
            Digest digest = digest(descs.get(i).path("digest").asText());
            layers.add(new Layer(diffIds.get(i), digest, descs.get(i).path("size").asLong(-1), blobs.opener(digest),
                    where + ": " + digest.blobPath()));
        }
        return new Image(List.of(name), config, Image.created(config, where), manifest, layers, where, toplevel);
    }

    private Digest digest(String s) {
        Digest d = Digest.parseOrNull(s);
        if (d == null) throw Fail.die("Unsupported digest [" + s + "] in [" + where + "]");
        return d;
    }

    private byte[] verified(byte[] b, Digest digest) {
        Digest got = Digest.of(b);
        if (!got.equals(digest)) throw Fail.die("Digest mismatch [" + where + ": " + digest + "]: the blob is " + got);
        return b;
    }

    @Override
    public String toString() {
        return where;
    }

    private record DirBlobs(Path dir, String where) implements Blobs {
        public byte[] read(String file, String what) {
            Path p = path(file, what);
            try {
                if (Files.size(p) > Image.SMALL) throw Fail.die("Too large [" + where + ": " + what + "]");
                return Files.readAllBytes(p);
            } catch (IOException e) {
                throw Fail.die("Can't read [" + where + ": " + what + "]: " + e.getMessage());
            }
        }

        public Opener opener(Digest digest) {
            if (lib.registry.Pull.pending(digest)) // a registry blob still coming: wait for it when it is read
                return () -> {
                    lib.registry.Pull.await(digest);
                    return Files.newInputStream(path(digest.blobPath(), "layer"));
                };
            Path p = path(digest.blobPath(), "layer");
            return () -> Files.newInputStream(p);
        }

        JsonValue index() {
            return Image.json(read("index.json", "index.json"), where + ": index.json");
        }

        private Path path(String file, String what) {
            if (!Files.exists(dir)) throw Fail.die("No such folder [" + where + "]");
            if (!Files.isDirectory(dir)) throw Fail.die("Not a directory [" + where + "]");
            Path p = dir.resolve(file);
            if (!Files.isReadable(p)) throw Fail.die("Missing " + what + " [" + p + "] in [" + where + "]");
            // a FIFO or a link to /dev/zero would hang or never end: refused before reading
            if (!Files.isRegularFile(p)) throw Fail.die("Not a regular file: " + what + " [" + p + "] in [" + where + "]");
            return p;
        }
    }

    /** The tar is indexed on first use, so that sources are opened in the order given. */
    private static final class TarBlobs implements Blobs {
        private final Path file;
        private final String where;
        private TarIndex idx;

        TarBlobs(Path file, String where) {
            this.file = file;
            this.where = where;
        }

        public byte[] read(String name, String what) {
            return index().read(name, Image.SMALL);
        }

        public Opener opener(Digest digest) {
            return index().opener(digest.blobPath());
        }

        private TarIndex index() {
            if (idx == null) idx = TarIndex.of(Source.readable(file, where), where);
            return idx;
        }
    }
}
