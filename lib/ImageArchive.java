package lib;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.*;
import java.nio.charset.StandardCharsets;
import java.nio.file.*;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * Writes a one-layer image as a file skopeo, podman and docker read: `docker-archive:FILE`
 * (what `docker save` writes, loadable by `docker load`) or `oci-archive:FILE` (an OCI layout
 * in a tar). Complete or absent: written under a temporary name, renamed when done.
 */
public final class ImageArchive {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ImageArchive() {}

    /** Writes the image to TRANSPORT:FILE, TRANSPORT being docker-archive or oci-archive. */
    public static void write(OverlayImage.Built img, String output) {
        int colon = output.indexOf(':');
        String transport = colon < 0 ? "" : output.substring(0, colon);
        Path file = Path.of(output.substring(colon + 1));
        if (!transport.equals("docker-archive") && !transport.equals("oci-archive"))
            throw Fail.usage("Unknown --output [" + output + "]; use docker-archive:FILE or oci-archive:FILE");
        OverlayLayer.check(img.layer(), img.diffId(), "ovl.tar of " + img.name()); // the checks make applies, before writing
        Output.write(file, null, os -> {
            TarArchiveOutputStream t = new TarArchiveOutputStream(os);
            t.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            if (transport.equals("docker-archive")) dockerArchive(img, t);
            else ociArchive(img, t);
            t.finish();
        });
    }

    static void dockerArchive(OverlayImage.Built img, TarArchiveOutputStream t) throws IOException {
        String layer = hex(img.diffId()) + "/layer.tar";
        String config = Digests.hex(img.config()) + ".json";
        add(t, layer, img.layer());
        add(t, config, img.config());
        ArrayNode manifest = JSON.createArrayNode();
        ObjectNode m = manifest.addObject();
        m.put("Config", config);
        m.putArray("RepoTags").add(ImageRef.parse(img.name()).familiar());
        m.putArray("Layers").add(layer);
        add(t, "manifest.json", JSON.writeValueAsBytes(manifest));
    }

    static void ociArchive(OverlayImage.Built img, TarArchiveOutputStream t) throws IOException {
        add(t, "oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}".getBytes(StandardCharsets.UTF_8));
        add(t, "blobs/sha256/" + hex(img.diffId()), img.layer());
        add(t, "blobs/sha256/" + Digests.hex(img.config()), img.config());
        ObjectNode m = JSON.createObjectNode();
        m.put("schemaVersion", 2);
        m.put("mediaType", "application/vnd.oci.image.manifest.v1+json");
        descriptor(m.putObject("config"), "application/vnd.oci.image.config.v1+json", "sha256:" + Digests.hex(img.config()), img.config().length);
        descriptor(m.putArray("layers").addObject(), "application/vnd.oci.image.layer.v1.tar", img.diffId(), img.layerSize());
        byte[] manifest = JSON.writeValueAsBytes(m);
        add(t, "blobs/sha256/" + Digests.hex(manifest), manifest);
        ObjectNode index = JSON.createObjectNode();
        index.put("schemaVersion", 2);
        ObjectNode d = index.putArray("manifests").addObject();
        descriptor(d, "application/vnd.oci.image.manifest.v1+json", "sha256:" + Digests.hex(manifest), manifest.length);
        d.putObject("annotations").put("org.opencontainers.image.ref.name", img.name());
        add(t, "index.json", JSON.writeValueAsBytes(index));
    }

    private static void descriptor(ObjectNode d, String mediaType, String digest, long size) {
        d.put("mediaType", mediaType);
        d.put("digest", digest);
        d.put("size", size);
    }

    private static void add(TarArchiveOutputStream t, String name, byte[] b) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(name);
        e.setSize(b.length);
        e.setModTime(OverlayImage.epoch() * 1000);
        t.putArchiveEntry(e);
        t.write(b);
        t.closeArchiveEntry();
    }

    private static void add(TarArchiveOutputStream t, String name, Path f) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(name);
        e.setSize(Files.size(f));
        e.setModTime(OverlayImage.epoch() * 1000);
        t.putArchiveEntry(e);
        Files.copy(f, t);
        t.closeArchiveEntry();
    }

    static String hex(String digest) {
        return digest.substring(digest.indexOf(':') + 1);
    }
}
