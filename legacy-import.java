///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//DEPS info.picocli:picocli:4.7.7
//DEPS org.zeroturnaround:zt-exec:1.12
//DEPS org.apache.commons:commons-compress:1.28.0
//DEPS com.fasterxml.jackson.core:jackson-databind:2.21.3
//DEPS org.slf4j:slf4j-nop:1.7.36
//SOURCES mkimage.java
//SOURCES lib/Cli.java lib/Exec.java lib/Fail.java lib/Temp.java lib/ImageRef.java lib/Xcluster.java
//SOURCES lib/Docker.java lib/Tars.java lib/Registry.java lib/Skopeo.java

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.*;
import java.util.concurrent.Callable;
import lib.*;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * legacy-import: the old way of mkimage. An appc-style manifest.json gives the
 * name, the `version` label and `app.exec`; `DIR/tar -` is streamed into
 * `docker import -c 'CMD [...]' - name:version`.
 */
@Command(name = "legacy-import", aliases = "legacy_import", mixinStandardHelpOptions = true,
        description = {"Import DIR into docker the old way: `DIR/tar - | docker import -c 'CMD <app.exec>' - name:version`.",
                "Prints name:version; `Cached [name:version]` when docker already has it."})
class LegacyImport implements Callable<Integer> {
    @Mixin Cli.Options options;

    @Option(names = "--manifest", paramLabel = "M", description = "The manifest (default DIR/manifest.json).")
    Path manifest;

    @Option(names = "--force", description = "Remove name:version from docker first, and import again.")
    boolean force;

    @Option(names = "--upload", description = "Then copy the image to the local registry.")
    boolean upload;

    @Option(names = "--strip-host", description = "With --upload: drop the registry host of the name there.")
    boolean stripHost;

    @Parameters(paramLabel = "DIR", description = "The image folder, with an executable `tar`.")
    Path dir;

    public static void main(String[] args) {
        System.exit(Cli.run(new LegacyImport(), args));
    }

    @Override
    public Integer call() {
        mkimage.checkDir(dir);
        String name = importImage(dir, manifest, force);
        if (upload) Registry.local().upload(name, stripHost);
        System.out.println(name);
        return 0;
    }

    /** The fields of the manifest that are used. */
    record Manifest(String name, String version, JsonNode exec) {
        String image() {
            return name + ":" + version;
        }
    }

    /** Reads name, the `version` label and app.exec; says which one is wrong. */
    static Manifest read(Path m) {
        if (!Files.isReadable(m) || Files.isDirectory(m)) throw Fail.die("Not readable [" + m + "]");
        JsonNode j;
        try {
            j = new ObjectMapper().readTree(m.toFile());
        } catch (IOException e) {
            throw Fail.die("Malformed manifest [" + m + "]: " + e.getMessage().split("\n")[0]);
        }
        String name = j.path("name").asText("");
        if (name.isBlank()) throw Fail.die("No .name in manifest [" + m + "]");
        String version = null;
        for (JsonNode l : j.path("labels")) if ("version".equals(l.path("name").asText())) version = l.path("value").asText("");
        if (version == null || version.isBlank()) throw Fail.die("No version label in .labels of manifest [" + m + "]");
        JsonNode exec = j.path("app").path("exec");
        if (!exec.isArray() || exec.isEmpty()) throw Fail.die("No .app.exec array in manifest [" + m + "]");
        ImageRef.versioned(name + ":" + version);
        return new Manifest(name, version, exec);
    }

    /** The steps of the old way; returns name:version. */
    static String importImage(Path dir, Path manifestPath, boolean force) {
        Manifest m = read(manifestPath != null ? manifestPath : dir.toAbsolutePath().resolve("manifest.json"));
        String image = m.image();
        if (force) Docker.docker("rmi", image).changes().ok();
        if (Docker.has(image)) {
            System.err.println("Cached [" + image + "]");
            return image;
        }
        Exec importer = Docker.docker("import", "-c", "CMD " + m.exec(), "-", image).fails("docker import", image).changes();
        try {
            long bytes = Exec.pipe(mkimage.tarScript(dir, "-"), importer);
            if (bytes == 0 && !Exec.dryRun) throw Fail.die("No output from [" + dir.resolve("tar") + "]");
        } catch (RuntimeException e) {
            if (!Exec.dryRun) Docker.docker("rmi", image).ok(); // nothing half-imported stays in docker
            throw e;
        }
        return image;
    }
}
