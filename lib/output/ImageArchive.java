package lib.output;

import lib.Fail;
import lib.exec.Run;
import lib.model.Digest;
import lib.model.ImageRef;
import lib.model.JsonWriter;
import lib.overlay.OverlayImage;
import lib.store.OverlayLayer;
import lib.tar.TarWriter;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.*;
import java.nio.charset.StandardCharsets;
import java.nio.file.*;
import java.util.List;

/**
 * Writes a one-layer image as a file skopeo, podman and docker read: `docker-archive:FILE`
 * (what `docker save` writes, loadable by `docker load`) or `oci-archive:FILE` (an OCI layout
 * in a tar). Complete or absent: written under a temporary name, renamed when done.
 */
public final class ImageArchive {
    private ImageArchive() {}

    /** Writes the image to TRANSPORT:FILE, TRANSPORT being docker-archive or oci-archive. */
    public static void write(Run run, OverlayImage.Built img, String output) {
        int colon = output.indexOf(':');
        String transport = colon < 0 ? "" : output.substring(0, colon);
        Path file = Path.of(output.substring(colon + 1));
        if (!transport.equals("docker-archive") && !transport.equals("oci-archive"))
            throw Fail.usage("Unknown --output [" + output + "]; use docker-archive:FILE or oci-archive:FILE");
        OverlayLayer.check(img.layer(), img.diffId(), "ovl.tar of " + img.name()); // the checks make applies, before writing
        Output.write(run, file, null, os -> {
            TarWriter t = new TarWriter(os);
            if (transport.equals("docker-archive")) dockerArchive(img, t);
            else ociArchive(img, t);
            t.finish();
        });
    }

    static void dockerArchive(OverlayImage.Built img, TarWriter t) throws IOException {
        String layer = img.diffId().hex() + "/layer.tar";
        String config = Digest.of(img.config()).hex() + ".json";
        add(t, layer, img.layer());
        add(t, config, img.config());
        add(t, "manifest.json", JsonWriter.write(g -> {
            g.writeStartArray();
            g.writeStartObject();
            g.writeStringField("Config", config);
            JsonWriter.strings(g, "RepoTags", List.of(ImageRef.parse(img.name()).familiar()));
            JsonWriter.strings(g, "Layers", List.of(layer));
            g.writeEndObject();
            g.writeEndArray();
        }));
    }

    static void ociArchive(OverlayImage.Built img, TarWriter t) throws IOException {
        add(t, "oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}".getBytes(StandardCharsets.UTF_8));
        Digest config = Digest.of(img.config());
        add(t, img.diffId().blobPath(), img.layer());
        add(t, config.blobPath(), img.config());
        byte[] manifest = JsonWriter.write(g -> {
            g.writeStartObject();
            g.writeNumberField("schemaVersion", 2);
            g.writeStringField("mediaType", "application/vnd.oci.image.manifest.v1+json");
            g.writeFieldName("config");
            descriptor(g, "application/vnd.oci.image.config.v1+json", config, img.config().length);
            g.writeEndObject();
            g.writeArrayFieldStart("layers");
            descriptor(g, "application/vnd.oci.image.layer.v1.tar", img.diffId(), img.layerSize());
            g.writeEndObject();
            g.writeEndArray();
            g.writeEndObject();
        });
        add(t, Digest.of(manifest).blobPath(), manifest);
        add(t, "index.json", JsonWriter.write(g -> {
            g.writeStartObject();
            g.writeNumberField("schemaVersion", 2);
            g.writeArrayFieldStart("manifests");
            descriptor(g, "application/vnd.oci.image.manifest.v1+json", Digest.of(manifest), manifest.length);
            g.writeObjectFieldStart("annotations");
            g.writeStringField("org.opencontainers.image.ref.name", img.name());
            g.writeEndObject();
            g.writeEndObject();
            g.writeEndArray();
            g.writeEndObject();
        }));
    }

    /** Starts a descriptor object: mediaType, digest, size (the caller ends it). */
    private static void descriptor(JsonGenerator g, String mediaType, Digest digest, long size) throws IOException {
        g.writeStartObject();
        g.writeStringField("mediaType", mediaType);
        g.writeStringField("digest", digest.toString());
        g.writeNumberField("size", size);
    }

    private static void add(TarWriter t, String name, byte[] b) throws IOException {
        t.put(TarWriter.Entry.file(name, 0644, OverlayImage.epoch(), 0), b);
    }

    /** A member from a file, its bytes as they are (the layer: its xattr values are bytes, never re-encoded). */
    private static void add(TarWriter t, String name, Path f) throws IOException {
        t.put(TarWriter.Entry.file(name, 0644, OverlayImage.epoch(), Files.size(f)));
        try (InputStream in = Files.newInputStream(f)) {
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) t.write(buf, 0, n);
        }
    }
}
