package lib.source;

import lib.exec.Run;
import lib.Fail;
import lib.model.Image;
import lib.model.ImageRef;
import lib.model.Layer;
import lib.overlay.OverlayImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * An overlay image folder, built without docker (OverlayImage) and handed over as a value: one
 * layer, the layer file read in place; no manifest, so the store generates one as it does for a
 * docker-archive, which keeps the tree byte for byte what skopeo makes of `docker save`.
 */
record OverlaySource(OverlayImage.Built built) implements Source {
    /** Builds the overlay of an item in folder work. */
    static OverlaySource build(Run run, Item item, Path work) {
        Path rootfs = item.rootfs(run);
        mkdirs(work);
        return new OverlaySource(OverlayImage.build(run, rootfs, item.manifest(rootfs), item.tag(), work));
    }

    private static void mkdirs(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (java.io.IOException e) {
            throw Fail.die("Can't create folder [" + dir + "]: " + e.getMessage());
        }
    }

    @Override
    public List<Image> images(Path tmp) {
        String where = "overlay " + built.name() + " [" + built.layer() + "]";
        Path file = built.layer();
        Layer layer = new Layer(built.diffId(), built.diffId(), -1, () -> Files.newInputStream(file), where);
        byte[] config = built.config();
        return List.of(new Image(List.of(ImageRef.stored(built.name())), config, Image.created(config, where), null, List.of(layer), where));
    }

    @Override
    public String toString() {
        return "overlay:" + built.name();
    }
}
