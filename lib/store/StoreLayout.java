package lib.store;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * Where containers/storage (overlay driver) keeps things: the one place that knows the store's
 * paths. The writer (Storage), the reader (StoreTar) and verify use these names; all but ROOT
 * and RUNROOT are relative to ROOT, as the tar's entries are under it.
 */
public final class StoreLayout {
    /** The store (graphroot) and the run root, as paths in the images tar. */
    public static final String ROOT = "var/lib/containers/storage/";
    public static final String RUNROOT = "var/run/containers/storage/";

    /** The overlay driver's folder: one folder per layer, and l/ with a short link to each diff/. */
    public static final String DRIVER = "overlay/";
    public static final String LINKS = DRIVER + "l/";
    /** The layer store: layers.json and one tar-split per layer. */
    public static final String LAYERS = "overlay-layers/";
    public static final String LAYERS_JSON = LAYERS + "layers.json";
    /** The image store: images.json and a folder of big-data files per image. */
    public static final String IMAGES = "overlay-images/";
    public static final String IMAGES_JSON = IMAGES + "images.json";
    public static final String CONTAINERS = "overlay-containers/";

    private StoreLayout() {}

    /** overlay/ID/: the layer's folder (diff/, link, lower, work/, merged/, empty/). */
    public static String layerDir(String layerId) {
        return DRIVER + layerId + "/";
    }

    /** overlay/ID/diff: the layer's files. */
    public static String diff(String layerId) {
        return layerDir(layerId) + "diff";
    }

    /** overlay/l/LINK: the short name of a layer's diff/ (what lower lists). */
    public static String link(String link) {
        return LINKS + link;
    }

    /** Where overlay/l/LINK points: ../ID/diff. */
    public static String linkTarget(String layerId) {
        return "../" + layerId + "/diff";
    }

    /** An entry of a lower file: l/LINK, relative to overlay/. */
    public static String lowerEntry(String link) {
        return "l/" + link;
    }

    /** overlay-layers/ID.tar-split.gz: the layer's tar-split record. */
    public static String tarSplit(String layerId) {
        return LAYERS + layerId + ".tar-split.gz";
    }

    /** overlay-images/ID/: the image's big-data files. */
    public static String imageDir(String imageId) {
        return IMAGES + imageId + "/";
    }

    /** overlay-images/ID/FILE: one big-data item of an image. */
    public static String bigData(String imageId, String key) {
        return imageDir(imageId) + bigDataFile(key);
    }

    /** containers/storage's file name of a big-data item: the key when it is [.0-9a-z]*, else "=" + base64. */
    public static String bigDataFile(String key) {
        if (key.matches("[.0-9a-z]*")) return key;
        return "=" + Base64.getEncoder().encodeToString(key.getBytes(StandardCharsets.UTF_8));
    }
}
