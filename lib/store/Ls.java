package lib.store;

import lib.Fail;
import lib.model.JsonWriter;
import java.io.IOException;
import java.io.PrintStream;
import java.util.*;

/** `images ls` and `images inspect`: what an images tar holds, read from its metadata alone. */
public final class Ls {
    private Ls() {}

    /** One row of `images ls`. */
    record Row(List<String> names, String id, long size, int layers, int shared, String created) {}

    static List<Row> rows(StoreTar t) {
        Map<String, Integer> users = new HashMap<>();
        for (StoreTar.Image img : t.images) for (StoreTar.Layer l : t.chain(img)) users.merge(l.id(), 1, Integer::sum);
        List<Row> rows = new ArrayList<>();
        for (StoreTar.Image img : t.images) {
            long size = 0;
            int shared = 0;
            List<StoreTar.Layer> chain = t.chain(img);
            for (StoreTar.Layer l : chain) {
                size += Math.max(0, l.diffSize());
                if (users.get(l.id()) > 1) shared++;
            }
            rows.add(new Row(img.names(), img.id(), size, chain.size(), shared, img.created()));
        }
        return rows;
    }

    /** A line per image: names, short id, size, layers (and how many are shared with other images). */
    public static void ls(String what, boolean json, PrintStream out) {
        StoreTar t = StoreTar.read(what);
        List<Row> rows = rows(t);
        if (json) {
            out.println(JsonWriter.pretty(g -> {
                g.writeStartArray();
                for (Row r : rows) {
                    g.writeStartObject();
                    JsonWriter.strings(g, "names", r.names());
                    g.writeStringField("id", r.id());
                    g.writeNumberField("size", r.size());
                    g.writeNumberField("layers", r.layers());
                    g.writeNumberField("shared", r.shared());
                    g.writeStringField("created", r.created());
                    g.writeEndObject();
                }
                g.writeEndArray();
            }));
            return;
        }
        for (Row r : rows)
            out.printf("%s %.12s %s %d layers (%d shared)%n", r.names().isEmpty() ? "<none>" : String.join(",", r.names()),
                    r.id(), size(r.size()), r.layers(), r.shared());
    }

    /** What a tar holds, for make's last line: "2 images, 3 layers, 4.0 MB". */
    public static String summary(String file) {
        StoreTar t = StoreTar.read(file);
        long size = 0;
        try {
            size = java.nio.file.Files.size(java.nio.file.Path.of(file));
        } catch (IOException e) {
            // the size is only shown
        }
        return t.images.size() + " images, " + t.layers.size() + " layers, " + size(size);
    }

    /**
     * An image's manifest and config. Default: one JSON object (Id, Names, Digest, Created, Layers, Manifest, Config),
     * like `docker image inspect`; config: the config bytes as stored (`skopeo inspect --config --raw`);
     * raw: the manifest bytes as stored (`skopeo inspect --raw`).
     */
    public static void inspect(String what, String name, String part, PrintStream out) {
        StoreTar t = StoreTar.read(what);
        StoreTar.Image img = t.find(name);
        byte[] config = t.bigData(img, "sha256:" + img.id()), manifest = t.bigData(img, "manifest-" + img.digest());
        if (manifest == null) manifest = t.bigData(img, "manifest");
        if (config == null) throw Fail.die("Image [" + img.name() + "]: no config in its big data");
        if (manifest == null) throw Fail.die("Image [" + img.name() + "]: no manifest in its big data");
        switch (part) {
            case "config" -> out.println(new String(config, java.nio.charset.StandardCharsets.UTF_8));
            case "raw" -> out.println(new String(manifest, java.nio.charset.StandardCharsets.UTF_8));
            default -> out.println(summary(t, img, config, manifest));
        }
    }

    private static String summary(StoreTar t, StoreTar.Image img, byte[] config, byte[] manifest) {
        try {
            return JsonWriter.pretty(g -> {
                g.writeStartObject();
                g.writeStringField("Id", img.id());
                JsonWriter.strings(g, "Names", img.names());
                g.writeStringField("Digest", img.digest());
                g.writeStringField("Created", img.created());
                g.writeArrayFieldStart("Layers");
                for (StoreTar.Layer l : t.chain(img)) {
                    g.writeStartObject();
                    g.writeStringField("Id", l.id());
                    g.writeStringField("DiffDigest", l.diffDigest());
                    g.writeNumberField("DiffSize", l.diffSize());
                    g.writeEndObject();
                }
                g.writeEndArray();
                g.writeFieldName("Manifest");
                JsonWriter.copy(g, manifest);
                g.writeFieldName("Config");
                JsonWriter.copy(g, config);
                g.writeEndObject();
            });
        } catch (java.io.UncheckedIOException e) {
            throw Fail.die("Image [" + img.name() + "]: invalid JSON in its big data: " + e.getCause().getMessage());
        }
    }

    /** Bytes as people read them: 1.4 MB, 512 B (powers of 1000, as podman shows sizes). */
    public static String size(long b) {
        if (b < 1000) return b + " B";
        String[] units = {"kB", "MB", "GB", "TB"};
        double v = b;
        int u = -1;
        while (v >= 1000 && u < units.length - 1) {
            v /= 1000;
            u++;
        }
        return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }
}
