package lib.registry;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.*;
import java.util.*;
import lib.model.Digest;
import lib.Fail;
import lib.model.JsonValue;
import lib.exec.Temp;

/**
 * The OCI layout that keeps pulled images (make's OCI cache): blobs by digest, each written
 * under a temporary name and renamed only once its digest and size were checked, and index.json
 * naming each reference (org.opencontainers.image.ref.name), rewritten whole and renamed, last.
 */
final class CacheLayout {
    static final String REF_NAME = "org.opencontainers.image.ref.name";
    private final Path dir;

    CacheLayout(Path dir) {
        this.dir = dir;
        try {
            Files.createDirectories(dir.resolve("blobs/sha256"));
            if (!Files.exists(dir.resolve("oci-layout")))
                write(dir.resolve("oci-layout"), "{\"imageLayoutVersion\": \"1.0.0\"}".getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw Fail.die("Can't create folder [" + dir + "]: " + e.getMessage());
        }
    }

    Path blob(Digest d) {
        return dir.resolve(d.blobPath());
    }

    /** A blob is there only when it was checked (partial files have other names). */
    boolean has(Digest d, long size) {
        try {
            Path p = blob(d);
            return Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS) && (size < 0 || Files.size(p) == size);
        } catch (IOException e) {
            return false;
        }
    }

    /** A fresh partial file beside the blobs, removed on exit unless committed. */
    Path partial(Digest d) {
        try {
            Path p = Files.createTempFile(dir.resolve("blobs/sha256"), ".partial-" + d.hex().substring(0, 12) + "-", "");
            Temp.own(p);
            return p;
        } catch (IOException e) {
            throw Fail.die("Can't write in [" + dir + "]: " + e.getMessage());
        }
    }

    /** Small verified bytes (a manifest) as a blob. */
    void put(Digest d, byte[] b) {
        if (has(d, b.length)) return;
        write(blob(d), b);
    }

    /** The manifest digest index.json names for a reference, or null. */
    synchronized Digest tagged(String ref) {
        for (JsonValue m : index().path("manifests"))
            if (ref.equals(m.path("annotations").path(REF_NAME).asText(null))) return Digest.parseOrNull(m.path("digest").asText());
        return null;
    }

    /** index.json with REF naming this manifest (an entry with the same name replaced). */
    synchronized void tag(String ref, String mediaType, Digest digest, long size) {
        StringBuilder out = new StringBuilder("{\"schemaVersion\":2,\"manifests\":[");
        for (JsonValue m : index().path("manifests"))
            if (!ref.equals(m.path("annotations").path(REF_NAME).asText(null))) out.append(m.toJson()).append(',');
        out.append("{\"mediaType\":").append(quote(mediaType)).append(",\"digest\":\"").append(digest).append("\",\"size\":")
                .append(size).append(",\"annotations\":{\"").append(REF_NAME).append("\":").append(quote(ref)).append("}}]}");
        write(dir.resolve("index.json"), out.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** index.json without REF: its pull failed. */
    synchronized void untag(String ref) {
        if (tagged(ref) == null) return;
        StringBuilder out = new StringBuilder("{\"schemaVersion\":2,\"manifests\":[");
        String sep = "";
        for (JsonValue m : index().path("manifests"))
            if (!ref.equals(m.path("annotations").path(REF_NAME).asText(null))) {
                out.append(sep).append(m.toJson());
                sep = ",";
            }
        write(dir.resolve("index.json"), out.append("]}").toString().getBytes(StandardCharsets.UTF_8));
    }

    private JsonValue index() {
        Path p = dir.resolve("index.json");
        if (!Files.isRegularFile(p)) return JsonValue.MISSING;
        try {
            return JsonValue.parse(Files.readAllBytes(p));
        } catch (IOException e) {
            throw Fail.die("Can't read [" + p + "]: " + e.getMessage());
        }
    }

    private static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') b.append('\\').append(c);
            else if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
            else b.append(c);
        }
        return b.append('"').toString();
    }

    /** Written under a temporary name, then renamed: whole or absent. */
    private void write(Path target, byte[] b) {
        Path tmp = null;
        try {
            tmp = Files.createTempFile(target.getParent(), ".partial-", "");
            Temp.own(tmp);
            Files.write(tmp, b);
            Temp.commit(tmp, target);
        } catch (IOException e) {
            throw Fail.die("Can't write [" + target + "]: " + e.getMessage());
        } finally {
            if (tmp != null) try {
                Files.deleteIfExists(tmp);
            } catch (IOException e) {
                // removed at exit
            }
        }
    }
}
