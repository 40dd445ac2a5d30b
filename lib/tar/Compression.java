package lib.tar;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.compressors.bzip2.BZip2CompressorInputStream;
import org.apache.commons.compress.compressors.zstandard.ZstdCompressorInputStream;
import org.tukaani.xz.XZInputStream;

/**
 * The compression of a layer blob, told from its first bytes as containers/image and
 * containers/storage tell it (not from the media type), with containers/storage's codes for
 * layers.json. Decompression streams: nothing is held in memory beyond the codec's window.
 * zstd:chunked is plain zstd with skippable frames, and reads as such.
 */
public enum Compression {
    NONE(0, new int[0]),
    BZIP2(1, new int[] {'B', 'Z', 'h'}),
    GZIP(2, new int[] {0x1f, 0x8b, 0x08}),
    XZ(3, new int[] {0xfd, '7', 'z', 'X', 'Z', 0x00}),
    ZSTD(4, new int[] {0x28, 0xb5, 0x2f, 0xfd});

    /** containers/storage's pkg/archive number, the `compression` of layers.json. */
    public final int code;
    private final int[] magic;

    Compression(int code, int[] magic) {
        this.code = code;
        this.magic = magic;
    }

    /** The compression of a stream that supports mark/reset, which is left where it was. */
    public static Compression detect(InputStream in) throws IOException {
        in.mark(8);
        byte[] head = in.readNBytes(6);
        in.reset();
        for (Compression c : values()) if (c != NONE && c.matches(head)) return c;
        return NONE;
    }

    private boolean matches(byte[] head) {
        if (head.length < magic.length) return false;
        for (int i = 0; i < magic.length; i++) if ((head[i] & 0xff) != magic[i]) return false;
        return true;
    }

    /** The decompressed bytes of `in` (all concatenated members or frames, as the Go readers take them). */
    public InputStream open(InputStream in) throws IOException {
        return switch (this) {
            case NONE -> in;
            case BZIP2 -> new BZip2CompressorInputStream(in, true);
            case GZIP -> new GZIPInputStream(in, 1 << 16);
            case XZ -> new XZInputStream(in);
            case ZSTD -> new ZstdCompressorInputStream(in); // zstd-jni: libzstd itself, skippable frames included
        };
    }

    /** A stream read decompressed, whatever its compression (what docker-archive readers do with a layer). */
    public static InputStream decompressed(InputStream raw) throws IOException {
        InputStream in = new BufferedInputStream(raw, 1 << 16);
        return detect(in).open(in);
    }
}
