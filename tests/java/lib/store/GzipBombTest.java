package lib.store;

import lib.Fail;
import lib.model.*;
import lib.tar.*;
import static org.assertj.core.api.Assertions.*;

import java.io.*;
import java.util.zip.GZIPOutputStream;
import lib.store.LayerSafetyTest.Raw;
import org.junit.jupiter.api.Test;

/**
 * A gzip bomb in an OCI layout (or any source that names the compressed blob's digest): a tar of
 * one file of 16 GiB of zeros, 16 MB compressed, whose blob digest is wrong. Refused in about a
 * second (the digest is checked once the stream expands like a bomb), not after 16 GiB.
 */
class GzipBombTest {
    /** gzip members: the header of one file of `gib` GiB, then its zeros, then the end blocks. */
    static byte[] bomb(int gib) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] head = new Raw().entry("zeros", '0', (long) gib << 30, "", 0, 0).out.toByteArray();
        out.writeBytes(gzip(head, 1));
        byte[] mib64 = gzip(new byte[1 << 20], 64); // 64 MiB of zeros, one member
        for (int i = 0; i < gib * 16; i++) out.writeBytes(mib64);
        out.writeBytes(gzip(new byte[1024], 1));
        return out.toByteArray();
    }

    static byte[] gzip(byte[] b, int times) throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        try (GZIPOutputStream g = new GZIPOutputStream(buf)) {
            for (int i = 0; i < times; i++) g.write(b);
        }
        return buf.toByteArray();
    }

    static void store(byte[] blob, Digest digest, Digest diffId) throws IOException {
        TarWriter w = new TarWriter(OutputStream.nullOutputStream());
        TarWriter.Entry root = TarWriter.Entry.dir("overlay/x/diff/", 0555, 0, 0, 0);
        w.put(root);
        OverlayLayer.write(new Layer(diffId, digest, -1, () -> new ByteArrayInputStream(blob), "test: blobs/sha256/x"), root, 0, w);
    }

    @Test
    void aBombWithAWrongDigestIsRefusedInAboutASecond() throws IOException {
        byte[] b = bomb(16);
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> store(b, Digest.of("not this blob"), Digest.of("nor this layer"))).isInstanceOf(Fail.class)
                .hasMessageStartingWith("Can't read layer [test: blobs/sha256/x]: digest mismatch: expected " + Digest.of("not this blob"));
        assertThat((System.nanoTime() - t0) / 1_000_000).as("ms").isLessThan(3000);
    }

    @Test
    void aRealBlobOfThatShapeReadsOn() throws IOException {
        byte[] b = bomb(1); // 1 GiB of zeros: the check passes, the layer is read to its end
        assertThatThrownBy(() -> store(b, Digest.of(b), Digest.of("not the layer"))).isInstanceOf(Fail.class)
                .hasMessageContaining("diff ID mismatch"); // read to the end: only the diff ID (not computed here) differs
    }
}
