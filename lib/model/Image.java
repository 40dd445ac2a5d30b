package lib.model;

import lib.Fail;
import java.io.IOException;
import java.time.DateTimeException;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

/**
 * An image as a source offers it: the names the store keeps for it, its config bytes and
 * creation time, its manifest bytes (null: the store generates one, as for a docker-archive),
 * its layers base first, and where it is, for messages.
 */
public record Image(List<String> names, byte[] config, OffsetDateTime created, byte[] manifest, List<Layer> layers, String where,
             byte[] toplevel) {
    /** toplevel: the index the manifest was chosen from (skopeo keeps it too), or null. */
    public Image(List<String> names, byte[] config, OffsetDateTime created, byte[] manifest, List<Layer> layers, String where) {
        this(names, config, created, manifest, layers, where, null);
    }

    /** The creation time of an image whose config has none (skopeo's copy time would not be the same twice). */
    public static final OffsetDateTime EPOCH = OffsetDateTime.of(1970, 1, 1, 0, 0, 0, 0, ZoneOffset.UTC);

    /** Small files of a source (configs, manifests, indexes) are read whole, up to this size. */
    public static final int SMALL = 16 << 20;

    public Image named(List<String> other) {
        return new Image(other, config, created, manifest, layers, where, toplevel);
    }

    /** The diff IDs of an image config (rootfs.diff_ids), base first. */
    public static List<Digest> diffIds(byte[] config, String where) {
        JsonValue ids = json(config, where + ": config").path("rootfs").path("diff_ids");
        if (!ids.isArray()) throw Fail.die("Invalid image config (rootfs is not set) in [" + where + "]");
        List<Digest> out = new ArrayList<>();
        for (JsonValue id : ids) out.add(Digest.parse(id.asText(), "diff ID", where));
        return out;
    }

    /** The image's creation time from its config, as skopeo records it; the epoch when it has none. */
    public static OffsetDateTime created(byte[] config, String where) {
        String c = json(config, where + ": config").path("created").asText("");
        try {
            if (!c.isEmpty()) return OffsetDateTime.parse(c);
        } catch (DateTimeException e) {
            // not RFC 3339: as if it had none
        }
        return EPOCH;
    }

    public static void sameLayerCount(int layers, int diffIds, String manifest, String where) {
        if (layers != diffIds)
            throw Fail.die("Inconsistent layer count in [" + where + "]: " + layers + " in " + manifest + ", " + diffIds + " in the config");
    }

    public static JsonValue json(byte[] b, String what) {
        try {
            return JsonValue.parse(b);
        } catch (IOException e) {
            throw Fail.die("Invalid JSON [" + what + "]: " + e.getMessage());
        }
    }
}
