package lib.registry;

import lib.exec.Run;
import lib.model.Platform;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.http.HttpRequest;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.*;
import lib.model.Digest;
import lib.Fail;
import lib.model.ImageRef;
import lib.model.JsonValue;

/**
 * Pushing to a registry, as the distribution spec says: a blob the target has already (HEAD) is
 * skipped; else POST an upload and PUT the bytes, streamed, with their digest (the registry
 * checks it too); the manifest last, under its tag. Used by lreg_cache (registry to registry,
 * blob by blob) and lreg_upload (from the docker daemon's save stream).
 */
public final class Push {
    private final Client client;
    private final String repo, where;

    /** A source of a blob's bytes, opened again on a retry. */
    public interface Bytes {
        InputStream open() throws IOException;
    }

    public Push(Run run, String target, boolean tlsVerify) {
        ImageRef r = ImageRef.parse(target);
        this.client = Client.of(run, r.domain(), tlsVerify);
        this.repo = r.path();
        this.where = "docker://" + target;
    }

    /** The blob's size when the target has it, else -1. */
    public long has(Digest d) {
        try (Client.Response r = client.send("HEAD", "/v2/" + repo + "/blobs/" + d, Map.of(), scope(), null)) {
            if (r.status() != 200) return -1;
            String len = r.header("Content-Length");
            return len == null ? 0 : Long.parseLong(len);
        }
    }

    /** Uploads a blob unless the target has it; returns its size. The digest of what passed must be d. */
    public long blob(Digest d, Bytes bytes) {
        long have = has(d);
        if (have >= 0) {
            client.say("exists " + d);
            return have;
        }
        String location;
        try (Client.Response r = client.send("POST", "/v2/" + repo + "/blobs/uploads/", Map.of(), scope(), HttpRequest.BodyPublishers.noBody())) {
            if (r.status() != 202 || r.header("Location") == null) throw Fail.die("Upload refused [" + where + ": " + d + "]: HTTP " + r.status());
            location = r.header("Location");
        }
        long[] size = {0};
        MessageDigest[] sha = {null};
        HttpRequest.BodyPublisher body = HttpRequest.BodyPublishers.ofInputStream(() -> {
            try {
                sha[0] = Digest.newSha256();
                size[0] = 0;
                return new Counting(new DigestInputStream(bytes.open(), sha[0]), size);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        String url = location + (location.contains("?") ? "&" : "?") + "digest=" + d;
        if (!url.startsWith("http")) url = url.startsWith("/") ? url : "/" + url;
        try (Client.Response r = client.send("PUT", url, Map.of("Content-Type", "application/octet-stream"), scope(), body)) {
            Digest got = sha[0] == null ? null : Digest.of(sha[0]);
            if (got != null && !got.equals(d)) throw Fail.die("Digest mismatch [" + where + ": " + d + "]: the blob is " + got);
            if (r.status() != 201) throw Fail.die("Upload failed [" + where + ": " + d + "]: HTTP " + r.status());
        }
        return size[0];
    }

    /** PUT the manifest under REF (a tag or its digest). */
    public void manifest(String ref, String mediaType, byte[] bytes) {
        try (Client.Response r = client.send("PUT", "/v2/" + repo + "/manifests/" + ref, Map.of("Content-Type", mediaType), scope(),
                HttpRequest.BodyPublishers.ofByteArray(bytes))) {
            if (r.status() != 201) throw Fail.die("Manifest refused [" + where + "]: HTTP " + r.status());
        }
    }

    private String scope() {
        return Client.scope(repo, "pull,push");
    }

    /** Counts what passes. */
    private static final class Counting extends java.io.FilterInputStream {
        private final long[] n;

        Counting(InputStream in, long[] n) {
            super(in);
            this.n = n;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) n[0]++;
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int r = super.read(b, off, len);
            if (r > 0) n[0] += r;
            return r;
        }
    }

    /**
     * lreg_cache: SOURCE (a reference) to TARGET, blob by blob (each streamed from the source
     * registry into the target, checked on the way), the manifest for the wanted platform last.
     */
    public static void copy(Run run, String source, boolean srcTlsVerify, String target) {
        Pull.Resolved r = Pull.resolve(run, Platform.host(), source, srcTlsVerify);
        Push push = new Push(run, target, false);
        for (Download.Blob b : r.blobs()) push.blob(b.digest(), () -> Download.stream(b));
        Pull.Manifest m = r.manifests().get(r.manifests().size() - 1);
        ImageRef t = ImageRef.parse(target);
        push.manifest(t.digest() != null ? t.digest() : t.tag() != null ? t.tag() : "latest", m.mediaType(), m.bytes());
    }

    /** The media type a manifest says it has; without one, OCI when its config is OCI's, else docker schema 2. */
    public static String mediaType(byte[] manifest) {
        try {
            JsonValue m = JsonValue.parse(manifest);
            String oci = m.path("config").path("mediaType").asText("").startsWith("application/vnd.oci.") ? Pull.OCI_MANIFEST : Pull.DOCKER_MANIFEST;
            return m.path("mediaType").asText(oci);
        } catch (IOException e) {
            throw Fail.die("Invalid manifest: " + e.getMessage());
        }
    }
}
