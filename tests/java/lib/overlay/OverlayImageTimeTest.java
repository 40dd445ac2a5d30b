package lib.overlay;

import lib.model.Digest;
import lib.model.ImageConfig;
import static org.assertj.core.api.Assertions.*;

import java.io.OutputStream;
import java.nio.file.*;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An overlay image made without docker is created at the newest time among its layer's entries (not 1970). */
class OverlayImageTimeTest {
    @TempDir Path dir;

    @Test
    void createdIsTheNewestEntryTime() throws Exception {
        Path ovl = dir.resolve("ovl.tar");
        try (OutputStream os = Files.newOutputStream(ovl); TarArchiveOutputStream t = new TarArchiveOutputStream(os)) {
            for (long[] e : new long[][] {{1_600_000_000L}, {1_700_000_000L}, {1_650_000_000L}}) {
                TarArchiveEntry te = new TarArchiveEntry("f" + e[0]);
                te.setModTime(e[0] * 1000);
                t.putArchiveEntry(te);
                t.closeArchiveEntry();
            }
        }
        long[] newest = {0};
        OverlayImage.layer(ovl, null, "", dir.resolve("layer.tar"), newest);
        assertThat(newest[0]).isEqualTo(1_700_000_000L);
        Assumptions.assumeTrue(System.getenv("SOURCE_DATE_EPOCH") == null, "SOURCE_DATE_EPOCH is set");
        assertThat(OverlayImage.created(newest[0])).isEqualTo(1_700_000_000L);
        String config = new String(OverlayImage.config(ImageConfig.empty(), new Digest("0".repeat(64)), OverlayImage.created(newest[0])));
        assertThat(config).contains("\"created\":\"2023-11-14T22:13:20Z\"");
    }
}
