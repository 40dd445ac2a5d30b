import lib.*;
import lib.cli.*;
import lib.exec.*;
import lib.overlay.*;
import lib.source.*;
import java.nio.file.*;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * legacy-import: the old way of mkimage. An appc-style manifest.json gives the
 * name, the `version` label and `app.exec`; `DIR/tar -` is streamed into
 * `docker import -c 'CMD [...]' - name:version`.
 * The script is legacy-import.java (the name JBang and the catalog use); the class lives here,
 * in a file of its own name, since mkimage and images use it too.
 */
@Command(name = "legacy-import", aliases = "legacy_import", mixinStandardHelpOptions = true,
        description = {"Import DIR into docker the old way: `DIR/tar - | docker import -c 'CMD <app.exec>' - name:version`.",
                "Prints name:version; `Cached [name:version]` when docker already has it."})
public class LegacyImport implements Callable<Integer> {
    @Mixin Cli.Options options;

    @Mixin Shared o;

    /** The options mkimage takes too. */
    static class Shared {
        @Option(names = "--manifest", paramLabel = "M", description = "The manifest of the old way (default DIR/manifest.json).")
        Path manifest;

        @Option(names = "--force", description = "Old way: remove name:version from docker first, and import again.")
        boolean force;

        @Option(names = "--upload", description = "Then copy the image to the local registry.")
        boolean upload;

        @Option(names = "--strip-host", description = "With --upload: drop the registry host of the name there.")
        boolean stripHost;
    }

    @Parameters(paramLabel = "DIR", description = "The image folder, with an executable `tar`, named as make names overlays: a folder (its image/ subfolder when it has one), OVL or OVL/SUBDIR.")
    String item;

    public static void main(String[] args) {
        System.exit(Cli.run(new LegacyImport(), args));
    }

    @Override
    public Integer call() {
        Run run = options.run();
        Path dir = Xcluster.imageDir(run, item);
        ImageDir.check(dir);
        String name = importImage(run, dir, o.manifest != null ? o.manifest : Xcluster.manifest(dir), o.force);
        if (o.upload) Registry.local(run).upload(name, o.stripHost);
        System.out.println(name);
        return 0;
    }

    /** The steps of the old way; returns name:version. */
    static String importImage(Run run, Path dir, Path manifestPath, boolean force) {
        AppcManifest m = AppcManifest.read(manifestPath != null ? manifestPath : dir.toAbsolutePath().resolve("manifest.json"));
        String image = m.image();
        if (force) Docker.docker(run, "rmi", image).changes().ok();
        if (Docker.has(run, image)) {
            System.err.println("Cached [" + image + "]");
            return image;
        }
        Exec importer = Docker.docker(run, "import", "-c", "CMD " + m.execJson(), "-", image).fails("docker import", image).changes();
        try {
            long bytes = Exec.pipe(ImageDir.tarScript(run, dir, "-"), importer);
            if (bytes == 0 && !run.dryRun()) throw Fail.die("No output from [" + dir.resolve("tar") + "]");
        } catch (RuntimeException e) {
            if (!run.dryRun()) Docker.docker(run, "rmi", image).ok(); // nothing half-imported stays in docker
            throw e;
        }
        return image;
    }
}
