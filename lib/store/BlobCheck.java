package lib.store;

import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import lib.model.Digest;
import lib.model.Layer;
import lib.tar.CountingInput;
import lib.tar.HashedInput;

/**
 * A layer blob checked against what its image says (OverlayLayer reads it): digest, size and
 * diff ID at the end; a bomb's digest early; and when a blob does not read, whether a wrong
 * digest is the cause to report.
 */
final class BlobCheck {
    private BlobCheck() {}

    /** A blob whose compressed digest is known is checked early when it expands like a bomb (see ExpansionGuard). */
    static InputStream guarded(Layer blob, InputStream plain, CountingInput blobIn) {
        if (blob.digest() == null || blob.digest().equals(blob.diffId())) return plain; // no compressed digest to check
        return new lib.tar.ExpansionGuard(plain, () -> blobIn.count, () -> {
            MessageDigest sha = Digest.newSha256();
            try (InputStream in = blob.opener().open()) {
                byte[] b = new byte[1 << 16];
                for (int n; (n = in.read(b)) > 0; ) sha.update(b, 0, n);
            }
            Digest got = Digest.of(sha);
            if (!got.equals(blob.digest()))
                throw new IOException("digest mismatch: expected " + blob.digest() + ", got " + got
                        + " (checked before decompressing on: the blob expands more than " + 100 + " times)");
        });
    }

    /**
     * A layer that does not read: when its digest is wrong too, that is the cause to report (a damaged blob).
     * Only a little more is read to learn that (bounded work: a gzip bomb is not decompressed to its end).
     */
    static IOException damaged(Layer blob, IOException e, InputStream plain, InputStream blobIn,
                                       HashedInput blobSha, HashedInput diffSha) throws IOException {
        boolean byBlob = blob.digest() != null || plain == blobIn;
        try {
            if (!drained(byBlob ? blobIn : plain)) return e;
        } catch (IOException ignored) {
            return e; // the stream itself is broken (truncated compression...): report what failed first
        }
        Digest got = (byBlob ? blobSha : diffSha).digest();
        Digest want = blob.digest() != null ? blob.digest() : blob.diffId();
        if (want.equals(got)) return e;
        return new IOException("digest mismatch: expected " + want + ", got " + got + " (" + e.getMessage() + ")");
    }

    /** Reads the rest of a damaged stream when it is short (16 MB); false when there is more. */
    private static boolean drained(InputStream in) throws IOException {
        byte[] b = new byte[1 << 16];
        for (long left = 16 << 20; left > 0; ) {
            int n = in.read(b, 0, (int) Math.min(b.length, left));
            if (n < 0) return true;
            left -= n;
        }
        return in.read() < 0;
    }

    /** The blob is what the image says: its digest and size (when known), and its diff ID. */
    static void check(Layer blob, Digest blobDigest, long blobSize, Digest diffDigest) throws IOException {
        if (blob.digest() != null && !blob.digest().equals(blobDigest))
            throw new IOException("digest mismatch: expected " + blob.digest() + ", got " + blobDigest);
        if (blob.size() >= 0 && blob.size() != blobSize)
            throw new IOException("size mismatch: expected " + blob.size() + " bytes, got " + blobSize);
        if (!blob.diffId().equals(diffDigest))
            throw new IOException("diff ID mismatch: the image config says " + blob.diffId() + ", the layer is " + diffDigest);
    }
}
