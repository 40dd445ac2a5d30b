package lib.source;

import lib.Fail;
import lib.model.Digest;
import lib.model.Image;
import lib.model.ImageRef;
import lib.model.JsonValue;
import lib.model.Layer;
import lib.model.Opener;
import lib.model.Platform;
import lib.tar.Compression;
import lib.tar.TarIndex;
import java.nio.file.Path;
import java.util.*;

/**
 * docker-archive:PATH[:REF], the one reader of what `docker save` writes (ImageArchive is the one
 * writer): manifest.json, the configs, the layer tars (maybe compressed: read decompressed, as
 * docker-archive readers do); an archive with only an OCI layout (docker 25+) is read as one. REF chooses an image by name, or @N by its place in manifest.json.
 */
record DockerArchive(Path file, String ref, String where, Platform platform) implements Source {
    @Override
    public List<Image> images(Path tmp) {
        TarIndex idx = TarIndex.of(Source.readable(file, where), where);
        if (!idx.has("manifest.json") && idx.has("index.json")) return ociOnly(tmp);
        List<Image> images = new ArrayList<>();
        int n = 0;
        for (Image i : read(idx, where)) {
            List<String> tags = i.names().stream().map(ImageRef::stored).toList();
            boolean chosen = ref == null || ref.equals("@" + n) || !ref.startsWith("@") && tags.contains(ImageRef.stored(ref));
            n++;
            if (chosen) images.add(i.named(ref == null || ref.startsWith("@") ? tags : List.of(ImageRef.stored(ref))));
        }
        if (images.isEmpty()) throw Fail.die("No image [" + (ref == null ? "" : ref) + "] in [" + where + "]");
        return images;
    }

    /**
     * A docker save archive holding only its OCI layout (docker 25+ writes both shapes, and
     * manifest.json is read first, as docker load does): names from the index's annotations.
     */
    private List<Image> ociOnly(Path tmp) {
        List<Image> images = new ArrayList<>();
        for (Image i : OciLayout.archive(platform, file, null, where).images(tmp))
            if (ref == null) images.add(i);
            else if (i.names().contains(ImageRef.stored(ref))) images.add(i.named(List.of(ImageRef.stored(ref))));
        if (images.isEmpty()) throw Fail.die("No image [" + ref + "] in [" + where + "]");
        return images;
    }

    /** Every image of the archive, in manifest.json's order, named by its RepoTags as they are. */
    static List<Image> read(TarIndex idx, String where) {
        List<Image> images = new ArrayList<>();
        for (JsonValue entry : manifest(idx, where)) {
            List<String> tags = new ArrayList<>();
            entry.path("RepoTags").forEach(t -> tags.add(t.asText()));
            images.add(image(idx, entry, tags, where));
        }
        return images;
    }

    /** The layer files of the archive's first image, base first, as manifest.json names them. */
    static List<String> layerFiles(TarIndex idx, String where) {
        List<String> files = new ArrayList<>();
        manifest(idx, where).get(0).path("Layers").forEach(l -> files.add(l.asText()));
        return files;
    }

    private static JsonValue manifest(TarIndex idx, String where) {
        return Image.json(idx.read("manifest.json", Image.SMALL), where + ": manifest.json");
    }

    private static Image image(TarIndex idx, JsonValue entry, List<String> names, String where) {
        byte[] config = idx.read(entry.path("Config").asText(), Image.SMALL);
        List<Digest> diffIds = Image.diffIds(config, where);
        JsonValue files = entry.path("Layers");
        Image.sameLayerCount(files.size(), diffIds.size(), "manifest.json", where);
        List<Layer> layers = new ArrayList<>();
        for (int i = 0; i < diffIds.size(); i++) {
            String file = files.get(i).asText();
            Opener raw = idx.opener(file);
            layers.add(new Layer(diffIds.get(i), diffIds.get(i), -1, () -> Compression.decompressed(raw.open()), where + ": " + file));
        }
        return new Image(names, config, Image.created(config, where), null, layers, where);
    }


    @Override
    public String toString() {
        return "docker-archive:" + file + (ref == null ? "" : ":" + ref);
    }
}
