package lib;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.*;
import java.nio.file.*;
import java.time.DateTimeException;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.*;

/**
 * Where the images come from, named as skopeo names its transports:
 * <ul>
 * <li>a plain reference (or docker-daemon:REF): the docker daemon (DOCKER_HOST), pulled when
 *     missing; all daemon images are read from one `docker save` spooled to a temporary file;
 * <li>docker-archive:PATH[:REF], oci:DIR[:REF], oci-archive:PATH[:REF]: read in place.
 * </ul>
 * Each becomes an Image: its names, config and manifest bytes, and its layer blobs, base first.
 */
final class Sources {
    private Sources() {}

    private static final int SMALL = 16 << 20; // configs, manifests, indexes

    /** Opens the bytes of a blob, as many times as needed. */
    interface Opener {
        InputStream open() throws IOException;
    }

    /**
     * A layer as the source offers it: its digest and size as the manifest says (size -1: not
     * known), the diff ID from the config, its bytes, and a name for messages.
     */
    record Blob(String digest, long size, String diffId, Opener opener, String where) {}

    /**
     * An image: names as the store keeps them, config bytes and its creation time, manifest bytes
     * (null: generated as docker-archive does), layers base first.
     */
    record Image(List<String> names, java.util.function.Supplier<byte[]> lazyConfig, OffsetDateTime created, byte[] manifest,
                 List<Blob> layers, String where) {
        /** The config bytes; a daemon image's come at the end of its `docker save` stream. */
        byte[] config() {
            return lazyConfig.get();
        }
    }

    /** Opens every source, in order; the daemon's images are saved into tmp. */
    static List<Image> open(List<String> sources, Path tmp) {
        if (sources.isEmpty()) throw Fail.usage("No image");
        List<String> daemonRefs = new ArrayList<>();
        for (String s : sources) if (daemonRef(s) != null) daemonRefs.add(daemonRef(s));
        Map<String, Image> daemon = daemonRefs.isEmpty() ? Map.of() : daemon(daemonRefs, tmp);
        List<Image> images = new ArrayList<>();
        for (String s : sources) {
            String ref = daemonRef(s);
            if (ref != null) images.add(daemon.get(ref));
            else images.addAll(archive(s));
        }
        return images;
    }

    /** The daemon reference a source names, or null for the other transports. */
    private static String daemonRef(String s) {
        if (s.startsWith("docker-daemon:")) return s.substring("docker-daemon:".length());
        for (String t : List.of("docker-archive:", "oci:", "oci-archive:")) if (s.startsWith(t)) return null;
        if (s.matches("^[a-z][a-z0-9+.-]*:.*") && s.contains("://")) throw Fail.die("Unsupported source [" + s + "]");
        return s;
    }

    private static List<Image> archive(String s) {
        int colon = s.indexOf(':');
        String transport = s.substring(0, colon), rest = s.substring(colon + 1);
        int c = rest.indexOf(':');
        String path = c < 0 ? rest : rest.substring(0, c), ref = c < 0 || c == rest.length() - 1 ? null : rest.substring(c + 1);
        if (path.isEmpty()) throw Fail.usage("No path in [" + s + "]");
        Path p = Path.of(path);
        return switch (transport) {
            case "docker-archive" -> dockerArchive(TarIndex.of(readable(p, s), s), s, ref);
            case "oci" -> oci(dirBlobs(p, s), s, ref);
            case "oci-archive" -> oci(tarBlobs(TarIndex.of(readable(p, s), s), s), s, ref);
            default -> throw Fail.die("Unsupported source [" + s + "]");
        };
    }

    private static Path readable(Path p, String s) {
        if (!Files.isRegularFile(p) || !Files.isReadable(p)) throw Fail.die("Not readable [" + s + "]");
        return p;
    }

    // ---- the docker daemon

    /** pull what is missing, then one `docker save` of all refs, read as it streams (DockerSave). */
    private static Map<String, Image> daemon(List<String> refs, Path tmp) {
        Map<String, String> ids = ids(refs); // pulls what is missing first
        return DockerSave.start(refs, tmp).images(ids);
    }

    /** The image id of each ref: one `docker image inspect` when the daemon has them all, else pull what is missing. */
    private static Map<String, String> ids(List<String> refs) {
        List<String> argv = new ArrayList<>(List.of("image", "inspect", "--format", "{{.Id}}"));
        for (String ref : refs) {
            ImageRef.versioned(ref); // "Image must have a version", as images.sh says
            argv.add(ref);
        }
        Map<String, String> ids = new LinkedHashMap<>();
        try {
            List<String> lines = Docker.docker(argv.toArray(String[]::new)).read().lines().toList();
            if (lines.size() == refs.size()) {
                for (int i = 0; i < refs.size(); i++) ids.put(refs.get(i), lines.get(i).trim());
                return ids;
            }
        } catch (Fail missing) {
            // some image is not in the daemon: pull it below
        }
        for (String ref : refs) {
            Docker.pull(ref);
            ids.put(ref, Docker.id(ref));
        }
        return ids;
    }

    // ---- docker-archive: manifest.json, configs, layer tars (maybe compressed, then read decompressed)

    private static List<Image> dockerArchive(TarIndex idx, String where, String ref) {
        JsonValue manifest = json(idx.read("manifest.json", SMALL), where + ": manifest.json");
        List<Image> images = new ArrayList<>();
        int n = 0;
        for (JsonValue entry : manifest) {
            List<String> tags = new ArrayList<>();
            entry.path("RepoTags").forEach(t -> tags.add(name(t.asText())));
            boolean chosen = ref == null || (ref.equals("@" + n)) || (!ref.startsWith("@") && tags.contains(name(ref)));
            n++;
            if (!chosen) continue;
            List<String> names = ref == null || ref.startsWith("@") ? tags : List.of(name(ref));
            images.add(dockerImage(idx, entry, idx.read(entry.path("Config").asText(), SMALL), names, where));
        }
        if (images.isEmpty()) throw Fail.die("No image [" + (ref == null ? "" : ref) + "] in [" + where + "]");
        return images;
    }

    private static void sameLayerCount(int layers, int diffIds, String manifest, String where) {
        if (layers != diffIds)
            throw Fail.die("Inconsistent layer count in [" + where + "]: " + layers + " in " + manifest + ", " + diffIds + " in the config");
    }

    private static Image dockerImage(TarIndex idx, JsonValue entry, byte[] config, List<String> names, String where) {
        List<String> diffIds = diffIds(config, where);
        JsonValue layers = entry.path("Layers");
        sameLayerCount(layers.size(), diffIds.size(), "manifest.json", where);
        List<Blob> blobs = new ArrayList<>();
        for (int i = 0; i < diffIds.size(); i++) {
            String file = layers.get(i).asText();
            Opener raw = idx.opener(file);
            blobs.add(new Blob(diffIds.get(i), -1, diffIds.get(i), () -> Digests.decompressed(raw.open()), where + ": " + file));
        }
        return new Image(names, () -> config, created(config, where), null, blobs, where);
    }

    // ---- OCI layouts: index.json, blobs/sha256/HEX, in a folder or a tar

    private interface Blobs {
        byte[] read(String digest, String what);

        Opener opener(String digest, String what);
    }

    private static Blobs dirBlobs(Path dir, String where) {
        if (!Files.isDirectory(dir)) throw Fail.die("Not a directory [" + where + "]");
        return new Blobs() {
            public byte[] read(String digest, String what) {
                Path p = path(digest, what);
                try {
                    if (Files.size(p) > SMALL) throw Fail.die("Too large [" + where + ": " + what + "]");
                    return Files.readAllBytes(p);
                } catch (IOException e) {
                    throw Fail.die("Can't read [" + where + ": " + what + "]: " + e.getMessage());
                }
            }

            public Opener opener(String digest, String what) {
                Path p = path(digest, what);
                return () -> Files.newInputStream(p);
            }

            private Path path(String digest, String what) {
                Path p = digest.equals("index.json") ? dir.resolve("index.json") : dir.resolve(blobPath(digest, where));
                if (!Files.isReadable(p)) throw Fail.die("Missing " + what + " [" + p + "] in [" + where + "]");
                return p;
            }
        };
    }

    private static Blobs tarBlobs(TarIndex idx, String where) {
        return new Blobs() {
            public byte[] read(String digest, String what) {
                return idx.read(digest.equals("index.json") ? "index.json" : blobPath(digest, where), SMALL);
            }

            public Opener opener(String digest, String what) {
                return idx.opener(blobPath(digest, where));
            }
        };
    }

    private static String blobPath(String digest, String where) {
        if (!digest.matches("sha256:[0-9a-f]{64}")) throw Fail.die("Unsupported digest [" + digest + "] in [" + where + "]");
        return "blobs/sha256/" + digest.substring(7);
    }

    private static List<Image> oci(Blobs blobs, String where, String ref) {
        JsonValue index = json(blobs.read("index.json", "index.json"), where + ": index.json");
        List<Image> images = new ArrayList<>();
        for (JsonValue d : index.path("manifests")) {
            String refName = d.path("annotations").path("org.opencontainers.image.ref.name").asText(null);
            if (ref != null && !ref.equals(refName)) continue;
            images.add(ociImage(blobs, d, where, ociName(d, ref != null ? ref : refName, where)));
        }
        if (images.isEmpty()) throw Fail.die("No image [" + (ref == null ? "" : ref) + "] in [" + where + "]");
        return images;
    }

    /** The store name of an OCI image: its reference when it is NAME:TAG, else the containerd name annotation. */
    private static String ociName(JsonValue d, String refName, String where) {
        try {
            if (refName != null) return name(refName);
        } catch (Fail f) {
            // a bare tag such as "1.0": look for a full name
        }
        String full = d.path("annotations").path("io.containerd.image.name").asText(null);
        if (full != null) return name(full);
        throw Fail.die("No image name for [" + (refName == null ? d.path("digest").asText() : refName) + "] in [" + where
                + "]; name it NAME:TAG in the layout");
    }

    private static Image ociImage(Blobs blobs, JsonValue desc, String where, String name) {
        String mdigest = desc.path("digest").asText();
        byte[] manifest = verified(blobs.read(mdigest, "manifest"), mdigest, where);
        JsonValue m = json(manifest, where + ": manifest " + mdigest);
        String type = m.path("mediaType").asText(desc.path("mediaType").asText(""));
        if (type.contains("index") || type.contains("manifest.list") || m.has("manifests"))
            throw Fail.die("Manifest lists are not supported [" + where + ": " + mdigest + "]");
        String cdigest = m.path("config").path("digest").asText();
        byte[] config = verified(blobs.read(cdigest, "config"), cdigest, where);
        List<String> diffIds = diffIds(config, where);
        JsonValue layers = m.path("layers");
        sameLayerCount(layers.size(), diffIds.size(), "the manifest", where);
        List<Blob> blobList = new ArrayList<>();
        for (int i = 0; i < layers.size(); i++) {
            String digest = layers.get(i).path("digest").asText();
            blobList.add(new Blob(digest, layers.get(i).path("size").asLong(-1), diffIds.get(i),
                    blobs.opener(digest, "layer"), where + ": " + blobPath(digest, where)));
        }
        return new Image(List.of(name), () -> config, created(config, where), manifest, blobList, where);
    }

    private static byte[] verified(byte[] b, String digest, String where) {
        if (!Digests.sha256(b).equals(digest))
            throw Fail.die("Digest mismatch [" + where + ": " + digest + "]: the blob is " + Digests.sha256(b));
        return b;
    }

    // ---- shared

    private static List<String> diffIds(byte[] config, String where) {
        JsonValue c = json(config, where + ": config");
        JsonValue ids = c.path("rootfs").path("diff_ids");
        if (!ids.isArray()) throw Fail.die("Invalid image config (rootfs is not set) in [" + where + "]");
        List<String> out = new ArrayList<>();
        for (JsonValue id : ids) {
            if (!id.asText().matches("sha256:[0-9a-f]{64}")) throw Fail.die("Invalid diff ID [" + id.asText() + "] in [" + where + "]");
            out.add(id.asText());
        }
        return out;
    }

    /** The image's creation time from its config, as skopeo records it; the epoch when it has none. */
    static OffsetDateTime created(byte[] config, String where) {
        String c = json(config, where + ": config").path("created").asText("");
        try {
            if (!c.isEmpty()) return OffsetDateTime.parse(c);
        } catch (DateTimeException e) {
            // not RFC 3339: as if it had none
        }
        return OffsetDateTime.of(1970, 1, 1, 0, 0, 0, 0, ZoneOffset.UTC);
    }

    /** The name the store keeps for a reference: docker.io/library/x:tag, as skopeo writes it. */
    static String name(String ref) {
        ImageRef r = ImageRef.parse(ref);
        if (!r.hasVersion()) r = r.withTag("latest");
        return r.full();
    }

    private static JsonValue json(byte[] b, String what) {
        try {
            return JsonValue.parse(b);
        } catch (IOException e) {
            throw Fail.die("Invalid JSON [" + what + "]: " + e.getMessage());
        }
    }

    /**
     * A small JSON document (manifest.json, index.json, a manifest, an image config) as a tree,
     * read with jackson-core's streaming parser: it starts in a fraction of ObjectMapper's time,
     * which counts when the whole run takes a second or two. Navigation as with JsonNode: path()
     * never fails, a missing value answers asText(default).
     */
    static final class JsonValue implements Iterable<JsonValue> {
        private static final JsonFactory FACTORY = new JsonFactory();
        private static final JsonValue MISSING = new JsonValue(null);
        private final Object value; // Map<String, JsonValue>, List<JsonValue>, String, Number, Boolean or null

        private JsonValue(Object value) {
            this.value = value;
        }

        static JsonValue parse(byte[] json) throws IOException {
            try (JsonParser p = FACTORY.createParser(json)) {
                if (p.nextToken() == null) throw new IOException("empty document");
                JsonValue v = read(p);
                if (p.nextToken() != null) throw new IOException("data after the document");
                return v;
            }
        }

        private static JsonValue read(JsonParser p) throws IOException {
            JsonToken t = p.currentToken();
            switch (t) {
                case START_OBJECT -> {
                    Map<String, JsonValue> m = new LinkedHashMap<>();
                    while (p.nextToken() == JsonToken.FIELD_NAME) {
                        String key = p.currentName();
                        p.nextToken();
                        m.put(key, read(p));
                    }
                    return new JsonValue(m);
                }
                case START_ARRAY -> {
                    List<JsonValue> l = new ArrayList<>();
                    while (p.nextToken() != JsonToken.END_ARRAY) l.add(read(p));
                    return new JsonValue(l);
                }
                case VALUE_STRING -> {
                    return new JsonValue(p.getText());
                }
                case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> {
                    return new JsonValue(p.getNumberValue());
                }
                case VALUE_TRUE, VALUE_FALSE -> {
                    return new JsonValue(t == JsonToken.VALUE_TRUE);
                }
                case VALUE_NULL -> {
                    return new JsonValue(null);
                }
                default -> throw new IOException("unexpected " + t);
            }
        }

        /** The member of an object, or a missing value. */
        JsonValue path(String key) {
            return value instanceof Map<?, ?> m && m.get(key) instanceof JsonValue v ? v : MISSING;
        }

        /** The element of an array, or a missing value. */
        JsonValue get(int i) {
            return value instanceof List<?> l && i >= 0 && i < l.size() ? (JsonValue) l.get(i) : MISSING;
        }

        boolean has(String key) {
            return value instanceof Map<?, ?> m && m.containsKey(key);
        }

        boolean isArray() {
            return value instanceof List;
        }

        int size() {
            return value instanceof List<?> l ? l.size() : value instanceof Map<?, ?> m ? m.size() : 0;
        }

        /** A string or number as text; `otherwise` when missing, null or a container. */
        String asText(String otherwise) {
            return value instanceof String || value instanceof Number || value instanceof Boolean ? value.toString() : otherwise;
        }

        String asText() {
            return asText("");
        }

        long asLong(long otherwise) {
            return value instanceof Number n ? n.longValue() : otherwise;
        }

        /** The elements of an array (nothing for anything else). */
        @Override
        public Iterator<JsonValue> iterator() {
            if (!(value instanceof List<?> l)) return Collections.emptyIterator();
            List<JsonValue> items = new ArrayList<>();
            for (Object o : l) items.add((JsonValue) o);
            return items.iterator();
        }
    }
}
