package lib;

import java.io.IOException;
import java.io.InputStream;
import java.util.HexFormat;

/** sha256:HEX digests of bytes, and streams read decompressed whatever their compression. */
final class Digests {
    private Digests() {}

    static String sha256(byte[] b) {
        return "sha256:" + hex(b);
    }

    static String hex(byte[] b) {
        return HexFormat.of().formatHex(newSha256().digest(b));
    }

    /** A fresh SHA-256 digest. */
    static java.security.MessageDigest newSha256() {
        try {
            return java.security.MessageDigest.getInstance("SHA-256");
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String hex(String s) {
        return hex(s.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    /** A stream read decompressed, whatever its compression (what docker-archive readers do with a layer). */
    static InputStream decompressed(InputStream raw) throws IOException {
        return Compression.decompressed(raw);
    }
}
