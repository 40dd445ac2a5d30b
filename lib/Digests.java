package lib;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.HexFormat;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.compressors.bzip2.BZip2CompressorInputStream;

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

    /** gzip and bzip2 streams decompressed, others as they are (what docker-archive readers do with a layer). */
    static InputStream decompressed(InputStream raw) throws IOException {
        InputStream in = new BufferedInputStream(raw, 1 << 16);
        in.mark(4);
        byte[] m = in.readNBytes(3);
        in.reset();
        if (m.length == 3 && (m[0] & 0xff) == 0x1f && (m[1] & 0xff) == 0x8b && m[2] == 8) return new GZIPInputStream(in, 1 << 16);
        if (m.length == 3 && m[0] == 'B' && m[1] == 'Z' && m[2] == 'h') return new BZip2CompressorInputStream(in, true);
        return in;
    }
}
