package lib.model;

import lib.Fail;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A content digest, "sha256:HEX", parsed in exactly one place. The grammar of a digest in an
 * image reference (ALGORITHM:HEX) is GRAMMAR, shared with ImageRef; what this toolkit reads and
 * writes is sha256 only, lower-case hex, as containers/storage and the OCI layout keep it.
 */
public record Digest(String hex) {
    /** ALGORITHM:HEX as an image reference may carry it (ImageRef's @DIGEST). */
    static final String GRAMMAR = "(?<algorithm>[a-z0-9]+):(?<hex>[a-fA-F0-9]{32,})";
    private static final Pattern DIGEST = Pattern.compile(GRAMMAR);

    public Digest {
        if (hex == null || hex.length() != 64 || !hex.chars().allMatch(c -> c >= '0' && c <= '9' || c >= 'a' && c <= 'f'))
            throw new IllegalArgumentException("not 64 lower-case hex digits [" + hex + "]");
    }

    /** "sha256:HEX", or null when s is not one (the caller says where it was found). */
    public static Digest parseOrNull(String s) {
        Matcher m = s == null ? null : DIGEST.matcher(s);
        if (m == null || !m.matches() || !m.group("algorithm").equals("sha256") || m.group("hex").length() != 64
                || !m.group("hex").equals(m.group("hex").toLowerCase())) return null;
        return new Digest(m.group("hex"));
    }

    /** "sha256:HEX"; dies naming `what` (e.g. "diff ID") and `where` when s is not one. */
    public static Digest parse(String s, String what, String where) {
        Digest d = parseOrNull(s);
        if (d == null) throw Fail.die("Invalid " + what + " [" + s + "] in [" + where + "]");
        return d;
    }

    /** The digest of these bytes. */
    public static Digest of(byte[] b) {
        return new Digest(HexFormat.of().formatHex(newSha256().digest(b)));
    }

    public static Digest of(String s) {
        return of(s.getBytes(StandardCharsets.UTF_8));
    }

    /** The digest a finished SHA-256 hash holds (it is reset). */
    public static Digest of(MessageDigest sha256) {
        return new Digest(HexFormat.of().formatHex(sha256.digest()));
    }

    /** A fresh SHA-256 hash, for digests taken on a stream. */
    public static MessageDigest newSha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Where an OCI layout keeps the blob: blobs/sha256/HEX. */
    public String blobPath() {
        return "blobs/sha256/" + hex;
    }

    @Override
    public String toString() {
        return "sha256:" + hex;
    }
}
