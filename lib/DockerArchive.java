package lib;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.*;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.compressors.bzip2.BZip2CompressorInputStream;

/**
 * docker-archive:PATH[:REF], the one reader of what `docker save` writes (ImageArchive is the one
 * writer): manifest.json, the configs, the layer tars (maybe compressed: read decompressed, as
 * docker-archive readers do). REF chooses an image by name, or @N by its place in manifest.json.
 */
record DockerArchive(Path file, String ref, String where) implements Source {
    @Override
    public List<Image> images(Path tmp) {
        List<Image> images = new ArrayList<>();
        int n = 0;
        for (Image i : read(TarIndex.of(Source.readable(file, where), where), where)) {
            List<String> tags = i.names().stream().map(ImageRef::stored).toList();
            boolean chosen = ref == null || ref.equals("@" + n) || !ref.startsWith("@") && tags.contains(ImageRef.stored(ref));
            n++;
            if (chosen) images.add(i.named(ref == null || ref.startsWith("@") ? tags : List.of(ImageRef.stored(ref))));
        }
        if (images.isEmpty()) throw Fail.die("No image [" + (ref == null ? "" : ref) + "] in [" + where + "]");
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
            layers.add(new Layer(diffIds.get(i), diffIds.get(i), -1, () -> decompressed(raw.open()), where + ": " + file));
        }
        return new Image(names, config, Image.created(config, where), null, layers, where);
    }

    /** gzip and bzip2 streams decompressed, others as they are. */
    private static InputStream decompressed(InputStream raw) throws IOException {
        InputStream in = new BufferedInputStream(raw, 1 << 16);
        in.mark(4);
        byte[] m = in.readNBytes(3);
        in.reset();
        if (m.length == 3 && (m[0] & 0xff) == 0x1f && (m[1] & 0xff) == 0x8b && m[2] == 8) return new GZIPInputStream(in, 1 << 16);
        if (m.length == 3 && m[0] == 'B' && m[1] == 'Z' && m[2] == 'h') return new BZip2CompressorInputStream(in, true);
        return in;
    }

    @Override
    public String toString() {
        return "docker-archive:" + file + (ref == null ? "" : ":" + ref);
    }
}
