package lib.registry;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.Map;
import lib.model.Digest;
import lib.Fail;
import lib.exec.Temp;

/**
 * One blob into the cache: streamed into a partial file while its SHA-256 is taken, never more
 * than the manifest's size read; a connection broken in the middle is resumed with a Range
 * request (from the start when the registry ignores it); the blob takes its name only when its
 * digest and size are right, else the partial file goes and the error names digest and image.
 */
final class Download {
    /** A blob of a pull: its digest and size as the manifest says, where to fetch it, the image it is for. */
    record Blob(Digest digest, long size, Client client, String repo, String where) {}

    private Download() {}

    static void into(CacheLayout layout, Blob b) {
        Path part = layout.partial(b.digest());
        try (var file = Files.newByteChannel(part, StandardOpenOption.WRITE)) {
            Progress p = new Progress(Digest.newSha256(), Channels.newOutputStream(file));
            for (int attempt = 1; ; attempt++) {
                long before = p.got;
                try {
                    fetch(b, p);
                    break;
                } catch (Restart e) {
                    file.truncate(0).position(0);
                    p.sha.reset();
                    p.got = 0;
                } catch (IOException e) {
                    if (attempt == Client.ATTEMPTS) throw Fail.die("Can't fetch [" + b.where() + ": " + b.digest() + "]: " + e.getMessage());
                    b.client().say("resume " + b.digest() + " at " + p.got + " bytes: " + e.getMessage());
                    if (p.got == before) Client.sleep(Client.retryAfter(null, attempt));
                }
            }
            Digest d = Digest.of(p.sha);
            if (p.got != b.size())
                throw Fail.die("Size mismatch [" + b.where() + ": " + b.digest() + "]: " + p.got + " bytes, the manifest says " + b.size());
            if (!d.equals(b.digest())) throw Fail.die("Digest mismatch [" + b.where() + ": " + b.digest() + "]: the blob is " + d);
        } catch (IOException e) {
            delete(part);
            throw Fail.die("Can't write [" + part + "]: " + e.getMessage());
        } catch (RuntimeException f) {
            delete(part);
            throw f;
        }
        Temp.commit(part, layout.blob(b.digest()));
    }

    /** What came so far: the hash and the file take exactly these bytes. */
    private static final class Progress {
        final MessageDigest sha;
        final OutputStream out;
        long got;

        Progress(MessageDigest sha, OutputStream out) {
            this.sha = sha;
            this.out = out;
        }
    }

    /** GET the blob from p.got on (a Range request when resuming), never past the manifest's size. */
    private static void fetch(Blob b, Progress p) throws IOException {
        Map<String, String> h = p.got > 0 ? Map.of("Range", "bytes=" + p.got + "-") : Map.of();
        try (Client.Response r = b.client().get("/v2/" + b.repo() + "/blobs/" + b.digest(), h, Client.scope(b.repo(), "pull"))) {
            Client.check(r, b.where(), "blob " + b.digest());
            if (p.got > 0 && r.status() != 206) throw new Restart();
            InputStream in = r.body();
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf, 0, (int) Math.min(buf.length, b.size() + 1 - p.got))) > 0; ) {
                p.sha.update(buf, 0, n);
                p.out.write(buf, 0, n);
                p.got += n;
                if (p.got > b.size())
                    throw Fail.die("Size mismatch [" + b.where() + ": " + b.digest() + "]: more than the manifest's " + b.size() + " bytes");
            }
        }
    }

    /** The blob from its registry as a stream of at most its size (lreg_cache: whoever reads it checks the digest). */
    static InputStream stream(Blob b) throws IOException {
        Client.Response r = b.client().get("/v2/" + b.repo() + "/blobs/" + b.digest(), Map.of(), Client.scope(b.repo(), "pull"));
        try {
            Client.check(r, b.where(), "blob " + b.digest());
        } catch (RuntimeException e) {
            r.close();
            throw e;
        }
        return new lib.tar.Bounded(r.body(), b.size());
    }

    /** The registry ignored Range: start again from byte 0. */
    private static final class Restart extends IOException {
        Restart() {
            super("range not served");
        }
    }

    private static void delete(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            // removed at exit (owned by Temp)
        }
    }
}
