package lib.overlay;

import static org.assertj.core.api.Assertions.*;

import java.io.*;
import java.nio.charset.StandardCharsets;
import java.nio.file.*;
import java.util.*;
import lib.model.Digest;
import lib.model.ImageConfig;
import lib.model.Layer;
import lib.output.ImageArchive;
import lib.store.OverlayLayer;
import lib.tar.TarReader;
import lib.tar.TarWriter;
import lib.tar.Tars;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * xattr values are bytes on every path: a file capability (security.capability, here with 0x80 and
 * 0xff bytes, which are not UTF-8 text) goes from an overlay's ovl.tar into the layer, into a
 * docker-archive / oci-archive, and into the storage tree, unchanged. commons-compress's tar
 * streams re-encoded such values (0xff became c3 bf); the project's own TarReader/TarWriter keep them.
 */
class BinaryXattrTest {
    static final byte[] CAP = HexFormat.of().parseHex("0100000280ff00000000000000000000000000ff");
    static final String CAP_RAW = new String(CAP, StandardCharsets.ISO_8859_1); // one char per byte, as the tar code carries it
    @TempDir Path dir;

    /** ovl.tar as GNU tar --xattrs writes it: a PAX SCHILY.xattr record with the raw value. */
    Path ovl() throws IOException {
        Path ovl = dir.resolve("ovl.tar");
        try (OutputStream os = Files.newOutputStream(ovl)) {
            TarWriter t = new TarWriter(os);
            t.put(TarWriter.Entry.dir("bin/", 0755, 0, 0, 1_600_000_000L));
            t.put(TarWriter.Entry.file("bin/ping", 04755, 1_600_000_000L, 0).withXattr("security.capability", CAP_RAW)
                    .withXattr("user.caf\u00c3\u00a9", "\u0080\u00ff"), "ping".getBytes(StandardCharsets.UTF_8));
            t.finish();
        }
        return ovl;
    }

    static Map<String, TarReader.Header> read(InputStream in) throws IOException {
        Map<String, TarReader.Header> m = new LinkedHashMap<>();
        TarReader r = new TarReader(in);
        for (TarReader.Header h; (h = r.next()) != null; r.skipBody()) m.put(h.name, h);
        return m;
    }

    @Test
    void theOverlayLayerKeepsTheBytes() throws IOException {
        Path layer = dir.resolve("layer.tar");
        OverlayImage.layer(ovl(), null, "", layer, new long[1]);
        TarReader.Header ping = read(Files.newInputStream(layer)).get("bin/ping");
        assertThat(ping.xattrs.get("security.capability").getBytes(StandardCharsets.ISO_8859_1)).isEqualTo(CAP);
        assertThat(ping.xattrs.get("user.caf\u00c3\u00a9")).isEqualTo("\u0080\u00ff");
        assertThat(ping.mode & 07777).isEqualTo(04755);
    }

    @Test
    void archivesKeepTheLayerAsItIs() throws IOException {
        Path layer = dir.resolve("layer.tar");
        Digest diffId = OverlayImage.layer(ovl(), null, "", layer, new long[1]);
        byte[] config = OverlayImage.config(ImageConfig.empty(), diffId, 0);
        OverlayImage.Built img = new OverlayImage.Built("test/cap:1", layer, diffId, Files.size(layer), config);
        for (String transport : List.of("docker-archive", "oci-archive")) {
            Path out = dir.resolve(transport + ".tar");
            ImageArchive.write(lib.exec.Run.QUIET, img, transport + ":" + out);
            String member = transport.equals("docker-archive") ? diffId.hex() + "/layer.tar" : diffId.blobPath();
            try (InputStream in = Files.newInputStream(out)) {
                TarReader r = new TarReader(in);
                byte[] got = null;
                for (TarReader.Header h; (h = r.next()) != null; ) {
                    if (h.name.equals(member)) got = r.body().readAllBytes();
                    else r.skipBody();
                }
                assertThat(got).as(transport).isEqualTo(Files.readAllBytes(layer));
            }
        }
    }

    @Test
    void theStorageTreeKeepsTheBytes() throws IOException {
        Path layer = dir.resolve("layer.tar");
        Digest diffId = OverlayImage.layer(ovl(), null, "", layer, new long[1]);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        TarWriter w = new TarWriter(out);
        TarWriter.Entry root = TarWriter.Entry.dir("diff/", 0555, 0, 0, 0);
        w.put(root);
        OverlayLayer.write(new Layer(diffId, null, -1, () -> Files.newInputStream(layer), "test"), root, 0, w);
        w.finish();
        TarReader.Header ping = read(new ByteArrayInputStream(out.toByteArray())).get("diff/bin/ping");
        assertThat(ping.xattrs.get("security.capability").getBytes(StandardCharsets.ISO_8859_1)).isEqualTo(CAP);
    }

    @Test
    void tarsNamesReadsNamesAsUtf8() throws IOException {
        assertThat(Tars.names(Files.newInputStream(ovl()))).containsExactly("bin/", "bin/ping");
    }
}
