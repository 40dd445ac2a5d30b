package lib.overlay;

import lib.Fail;
import lib.exec.Exec;
import lib.exec.Run;
import java.nio.file.*;

/** An overlay image folder: an executable `tar` script, and a Dockerfile or the old manifest.json. */
public final class ImageDir {
    private ImageDir() {}

    /** DIR must be a folder with an executable `tar`. */
    public static void check(Path dir) {
        if (!Files.isDirectory(dir)) throw Fail.die("Not a directory [" + dir + "]");
        if (!Files.isExecutable(dir.resolve("tar"))) throw Fail.die("Not executable [" + dir.resolve("tar") + "]");
    }

    public static boolean hasDockerfile(Path dir) {
        return Files.isReadable(dir.resolve("Dockerfile"));
    }

    /** `DIR/tar OUT` with the caller's environment (XCLUSTER, SETUP, GOPATH, ...); its stderr is shown. */
    public static Exec tarScript(Run run, Path dir, String out) {
        return Exec.of(run, dir.toAbsolutePath().resolve("tar").toString(), out)
                .fails("Failed to create ovl.tar [" + dir.resolve("tar") + "]").showStderr().group();
    }
}
