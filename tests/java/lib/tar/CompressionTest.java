package lib.tar;

import static org.assertj.core.api.Assertions.*;

import java.io.*;
import java.util.Random;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.compressors.bzip2.BZip2CompressorOutputStream;
import org.apache.commons.compress.compressors.zstandard.ZstdCompressorOutputStream;
import org.junit.jupiter.api.Test;
import org.tukaani.xz.LZMA2Options;
import org.tukaani.xz.XZOutputStream;

/** Compression told from the bytes, and streams read back whole, as containers/image reads them. */
class CompressionTest {
    static final byte[] DATA = data();

    static byte[] data() {
        byte[] b = new byte[100_000];
        new Random(1).nextBytes(b);
        for (int i = 0; i < b.length; i += 3) b[i] = 'a'; // compressible, not trivially
        return b;
    }

    interface Wrap {
        OutputStream wrap(OutputStream o) throws IOException;
    }

    static byte[] compress(Wrap w, byte[] data) throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        try (OutputStream o = w.wrap(buf)) {
            o.write(data);
        }
        return buf.toByteArray();
    }

    static void roundTrip(byte[] blob, Compression want, byte[] plain) throws IOException {
        InputStream in = new BufferedInputStream(new ByteArrayInputStream(blob));
        assertThat(Compression.detect(in)).isEqualTo(want);
        assertThat(in.readAllBytes()).as("detect leaves the stream where it was").isEqualTo(blob);
        assertThat(Compression.decompressed(new ByteArrayInputStream(blob)).readAllBytes()).isEqualTo(plain);
    }

    @Test
    void eachCompressionAndItsStorageCode() throws IOException {
        roundTrip(DATA, Compression.NONE, DATA);
        roundTrip(compress(o -> new BZip2CompressorOutputStream(o), DATA), Compression.BZIP2, DATA);
        roundTrip(compress(GZIPOutputStream::new, DATA), Compression.GZIP, DATA);
        roundTrip(compress(o -> new XZOutputStream(o, new LZMA2Options(1)), DATA), Compression.XZ, DATA);
        roundTrip(compress(ZstdCompressorOutputStream::new, DATA), Compression.ZSTD, DATA);
        assertThat(Compression.NONE.code).isZero();
        assertThat(Compression.BZIP2.code).isEqualTo(1);
        assertThat(Compression.GZIP.code).isEqualTo(2);
        assertThat(Compression.XZ.code).isEqualTo(3);
        assertThat(Compression.ZSTD.code).isEqualTo(4);
    }

    /** zstd:chunked: several frames and skippable frames (its table of contents), read as plain zstd. */
    @Test
    void zstdFramesAndSkippableFrames() throws IOException {
        ByteArrayOutputStream blob = new ByteArrayOutputStream();
        blob.write(compress(ZstdCompressorOutputStream::new, java.util.Arrays.copyOf(DATA, 1000)));
        blob.write(new byte[] {0x50, 0x2a, 0x4d, 0x18, 4, 0, 0, 0, 't', 'o', 'c', '!'});
        blob.write(compress(ZstdCompressorOutputStream::new, java.util.Arrays.copyOfRange(DATA, 1000, DATA.length)));
        roundTrip(blob.toByteArray(), Compression.ZSTD, DATA);
    }

    @Test
    void concatenatedMembers() throws IOException {
        for (Wrap w : new Wrap[] {GZIPOutputStream::new, o -> new BZip2CompressorOutputStream(o), o -> new XZOutputStream(o, new LZMA2Options(1))}) {
            ByteArrayOutputStream blob = new ByteArrayOutputStream();
            blob.write(compress(w, java.util.Arrays.copyOf(DATA, 1000)));
            blob.write(compress(w, java.util.Arrays.copyOfRange(DATA, 1000, DATA.length)));
            assertThat(Compression.decompressed(new ByteArrayInputStream(blob.toByteArray())).readAllBytes()).isEqualTo(DATA);
        }
    }

    @Test
    void shortAndEmptyStreams() throws IOException {
        roundTrip(new byte[0], Compression.NONE, new byte[0]);
        roundTrip(new byte[] {0x1f, (byte) 0x8b}, Compression.NONE, new byte[] {0x1f, (byte) 0x8b});
        roundTrip(new byte[] {(byte) 0xfd, '7', 'z'}, Compression.NONE, new byte[] {(byte) 0xfd, '7', 'z'});
    }

    @Test
    void aTruncatedStreamFails() throws IOException {
        for (Wrap w : new Wrap[] {GZIPOutputStream::new, o -> new XZOutputStream(o, new LZMA2Options(1)), ZstdCompressorOutputStream::new}) {
            byte[] blob = compress(w, DATA);
            byte[] cut = java.util.Arrays.copyOf(blob, blob.length / 2);
            assertThatThrownBy(() -> Compression.decompressed(new ByteArrayInputStream(cut)).readAllBytes()).isInstanceOf(IOException.class);
        }
    }
}
