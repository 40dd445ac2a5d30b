package lib.store;

import lib.model.Digest;
import lib.model.GoJson;
import java.time.OffsetDateTime;
import java.util.*;

/**
 * The records of containers/storage as its Go structs marshal them: overlay-layers/layers.json,
 * overlay-images/images.json, and the schema 2 manifest that skopeo generates for an image read
 * from a docker-archive (or the daemon). Field order and omitted empty fields follow the Go structs.
 */
final class StorageJson {
    private StorageJson() {}

    /** One entry of layers.json. */
    record Layer(String id, String parent, OffsetDateTime created, OverlayLayer.Result r) {}

    /** One entry of images.json; bigData keeps its keys in the order they were set. */
    record Image(String id, String digest, List<String> names, List<String> history, String topLayer, String metadata,
                 LinkedHashMap<String, byte[]> bigData, OffsetDateTime created) {}

    static String layers(List<Layer> layers) {
        StringBuilder sb = new StringBuilder("[");
        for (Layer l : layers) {
            if (sb.length() > 1) sb.append(',');
            GoJson.field(sb.append('{'), "id", l.id());
            if (l.parent() != null) GoJson.field(sb.append(','), "parent", l.parent());
            GoJson.field(sb.append(','), "created", GoJson.time(l.created()));
            GoJson.field(sb.append(','), "compressed-diff-digest", l.r().blobDigest().toString());
            sb.append(",\"compressed-size\":").append(l.r().blobSize());
            GoJson.field(sb.append(','), "diff-digest", l.r().diffDigest().toString());
            sb.append(",\"diff-size\":").append(l.r().diffSize());
            if (l.r().compression() != 0) sb.append(",\"compression\":").append(l.r().compression());
            ids(sb, "uidset", l.r().uids());
            ids(sb, "gidset", l.r().gids());
            sb.append('}');
        }
        return sb.append(']').toString();
    }

    static String images(List<Image> images) {
        StringBuilder sb = new StringBuilder("[");
        for (Image i : images) {
            if (sb.length() > 1) sb.append(',');
            GoJson.field(sb.append('{'), "id", i.id());
            GoJson.field(sb.append(','), "digest", i.digest());
            strings(sb, "names", i.names());
            strings(sb, "names-history", i.history());
            if (i.topLayer() != null) GoJson.field(sb.append(','), "layer", i.topLayer());
            GoJson.field(sb.append(','), "metadata", i.metadata());
            strings(sb, "big-data-names", new ArrayList<>(i.bigData().keySet()));
            SortedMap<String, byte[]> sorted = new TreeMap<>(i.bigData());
            if (!sorted.isEmpty()) { // omitempty, as the Go struct says
                StringJoiner sizes = new StringJoiner(",", "{", "}"), digests = new StringJoiner(",", "{", "}");
                sorted.forEach((k, v) -> sizes.add(GoJson.string(new StringBuilder(), k).append(':').append(v.length)));
                sorted.forEach((k, v) -> digests.add(GoJson.field(new StringBuilder(), k, Digest.of(v).toString())));
                GoJson.string(sb.append(','), "big-data-sizes").append(':').append(sizes);
                GoJson.string(sb.append(','), "big-data-digests").append(':').append(digests);
            }
            GoJson.field(sb.append(','), "created", GoJson.time(i.created()));
            sb.append('}');
        }
        return sb.append(']').toString();
    }

    /** The manifest skopeo's docker-archive source generates: config and layers (digest = diff ID, size uncompressed). */
    static String dockerManifest(byte[] config, List<Digest> diffIds, List<Long> sizes) {
        StringBuilder sb = new StringBuilder("{\"schemaVersion\":2,");
        GoJson.field(sb, "mediaType", "application/vnd.docker.distribution.manifest.v2+json");
        sb.append(",\"config\":{");
        GoJson.field(sb, "mediaType", "application/vnd.docker.container.image.v1+json");
        sb.append(",\"size\":").append(config.length).append(',');
        GoJson.field(sb, "digest", Digest.of(config).toString()).append("},\"layers\":[");
        for (int i = 0; i < diffIds.size(); i++) {
            if (i > 0) sb.append(',');
            GoJson.field(sb.append('{'), "mediaType", "application/vnd.docker.image.rootfs.diff.tar.gzip");
            sb.append(",\"size\":").append(sizes.get(i)).append(',');
            GoJson.field(sb, "digest", diffIds.get(i).toString()).append('}');
        }
        return sb.append("]}").toString();
    }

    /** What skopeo's storage destination records: no signatures for the manifest. */
    static String metadata(String manifestDigest) {
        StringBuilder sb = new StringBuilder("{\"signatures-sizes\":{");
        return GoJson.string(sb, manifestDigest).append(":[]}}").toString();
    }

    private static void ids(StringBuilder sb, String key, SortedSet<Long> ids) {
        if (ids.isEmpty()) return;
        GoJson.string(sb.append(','), key).append(":[");
        for (Long id : ids) sb.append(id).append(',');
        sb.setLength(sb.length() - 1);
        sb.append(']');
    }

    private static void strings(StringBuilder sb, String key, List<String> values) {
        if (values.isEmpty()) return;
        GoJson.string(sb.append(','), key).append(":[");
        for (String v : values) GoJson.string(sb, v).append(',');
        sb.setLength(sb.length() - 1);
        sb.append(']');
    }
}
