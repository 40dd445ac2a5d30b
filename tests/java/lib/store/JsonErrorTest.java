package lib.store;

import lib.Fail;
import lib.model.*;
import lib.tar.*;
import static org.assertj.core.api.Assertions.*;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad JSON in an input: one ERROR: line naming the item, the file in it and the position, not the parser's two lines. */
class JsonErrorTest {
    @TempDir
    Path tmp;

    @Test
    void aBrokenManifestIsOneLineWithItemFileAndPosition() throws Exception {
        Path archive = tmp.resolve("bad.tar");
        try (var o = Files.newOutputStream(archive)) {
            TarWriter w = new TarWriter(o);
            w.put(TarWriter.Entry.file("manifest.json", 0644, 0, 0), "[{\"Config\": \"c.json\",\n  \"RepoTags\": [x]}]".getBytes(StandardCharsets.UTF_8));
            w.finish();
        }
        String item = "docker-archive:" + archive;
        assertThatThrownBy(() -> Storage.write(lib.exec.Run.QUIET, List.of(item), java.io.OutputStream.nullOutputStream()))
                .isInstanceOf(Fail.class)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n").doesNotContain("Source:").contains(archive.toString())
                        .contains("manifest.json").contains("at line 2, column 16"));
    }

    @Test
    void dataAfterTheDocumentSaysWhere() {
        assertThatThrownBy(() -> JsonValue.parse("{}\n {}".getBytes(StandardCharsets.UTF_8)))
                .hasMessage("data after the document at line 2, column 2");
    }

    @Test
    void aDockerArchiveCutShortSaysWhereNotMissingManifest() throws Exception {
        Path archive = tmp.resolve("cut.tar");
        java.io.ByteArrayOutputStream buf = new java.io.ByteArrayOutputStream();
        TarWriter w = new TarWriter(buf);
        w.put(TarWriter.Entry.file("layer.tar", 0644, 0, 0), new byte[100_000]);
        w.put(TarWriter.Entry.file("manifest.json", 0644, 0, 0), "[]".getBytes(StandardCharsets.UTF_8));
        w.finish();
        Files.write(archive, java.util.Arrays.copyOf(buf.toByteArray(), 50_000));
        assertThatThrownBy(() -> Storage.write(lib.exec.Run.QUIET, List.of("docker-archive:" + archive), java.io.OutputStream.nullOutputStream()))
                .isInstanceOf(Fail.class).hasMessage("Can't read [docker-archive:" + archive + "]: it ends after 50000 bytes, inside entry [layer.tar] (cut short)");
    }
}
