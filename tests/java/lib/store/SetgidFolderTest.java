package lib.store;

import lib.Fail;
import lib.model.*;
import lib.tar.*;
import static org.assertj.core.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import lib.store.LayerSafetyTest.Raw;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A folder inside a setgid folder: mkdir hands it the parent's setgid bit, and GNU tar (the VM's
 * unpacker) only clears it when it knows the folder's real mode; containers/storage sets the
 * header's mode. The unpacked mode must be the header's.
 */
class SetgidFolderTest {
    @TempDir
    Path tmp;

    static Raw dir(Raw r, String name, String mode) {
        byte[] t = r.entry(name, '5', 0, "", 0, 0).out.toByteArray();
        r.out.reset();
        r.out.writeBytes(GoTarCasesTest.patch(t, t.length / 512 - 1, 100, mode + "\0"));
        return r;
    }

    @Test
    void aLateFolderInASetgidFolderKeepsItsHeaderMode() throws Exception {
        TarFormatsTest.Gnu.require();
        Raw r = new Raw();
        dir(r, "p/", "0002755");
        dir(r, "p/a/", "0000755");
        r.file("p/a/f", "x");
        dir(r, "q/", "0000755");
        r.file("q/x", "y");
        dir(r, "p/late/", "0000700"); // after q: GNU tar has set p's mode (setgid) by now
        dir(r, "p/late/deeper/", "0000750");
        byte[] out = LayerSafetyTest.store(r.end());
        Path root = Files.createDirectories(tmp.resolve("vm"));
        Path file = tmp.resolve("out.tar");
        Files.write(file, out);
        TarFormatsTest.Gnu.run(List.of("tar", "--xattrs", "-xpf", file.toString(), "-C", root.toString()), null);
        Path diff = root.resolve("overlay/x/diff");
        assertThat(mode(diff.resolve("p"))).isEqualTo("2755");
        assertThat(mode(diff.resolve("p/a"))).isEqualTo("755");
        assertThat(mode(diff.resolve("p/late"))).isEqualTo("700");
        assertThat(mode(diff.resolve("p/late/deeper"))).isEqualTo("750");
    }

    static String mode(Path p) throws IOException, InterruptedException {
        return new String(TarFormatsTest.Gnu.run(List.of("stat", "-c", "%a", p.toString()), null)).trim();
    }
}
