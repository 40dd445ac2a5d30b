///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//SOURCES lib/Lib.java
//SOURCES LegacyImport.java

import lib.*;
import lib.cli.*;
import lib.exec.*;
import lib.model.*;
import lib.output.*;
import lib.overlay.*;
import lib.source.*;
import java.nio.file.*;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * mkimage: build an image in the local docker daemon from an overlay image folder,
 * the steps of images.sh's cmd_mkimage in order.
 */
@Command(name = "mkimage", mixinStandardHelpOptions = true,
        description = {"Create an image in the local docker daemon from DIR, which holds an executable `tar` script.",
                "With a Dockerfile in DIR: `DIR/tar` makes ovl.tar in a fresh context holding only it, then"
                        + " `docker build -t TAG -f DIR/Dockerfile CONTEXT`.",
                "Without one: the old way, legacy-import (manifest.json, `docker import`).",
                "Prints the image name on stdout."})
public class mkimage implements Callable<Integer> {
    @Mixin Cli.Options options;

    @Mixin LegacyImport.Shared o;

    @Option(names = "--tag", paramLabel = "T", description = "The image name with a Dockerfile, like library/metallb:latest.")
    String tag;

    @Option(names = "--output", paramLabel = "TRANSPORT:FILE",
            description = "Make the image without docker, into docker-archive:FILE (for docker load) or oci-archive:FILE.")
    String output;

    @Parameters(paramLabel = "DIR", description = "The image folder, named as make names overlays: a folder (its image/ subfolder when it has one), OVL or OVL/SUBDIR.")
    String item;

    public static void main(String[] args) {
        System.exit(Cli.run(new mkimage(), args));
    }

    @Override
    public Integer call() {
        Run run = options.run();
        Path dir = Xcluster.imageDir(run, item);
        Path manifest = o.manifest != null || ImageDir.hasDockerfile(dir) ? o.manifest : Xcluster.manifest(dir); // make's search
        if (output == null) {
            System.out.println(build(run, dir, manifest, tag, o.force, o.upload, o.stripHost));
            return 0;
        }
        String name = archive(run, dir, manifest, tag, output);
        if (o.upload) Registry.local(run).upload(output, name, o.stripHost);
        System.out.println(name);
        return 0;
    }

    /** Without docker: the overlay's image into an archive file; returns its name. */
    static String archive(Run run, Path dir, Path manifest, String tag, String output) {
        Path tmp = Temp.dir("images-mkimage");
        try {
            OverlayImage.Built img = OverlayImage.build(run, dir, manifest, tag, tmp);
            ImageArchive.write(run, img, output);
            return img.name();
        } finally {
            Temp.delete(tmp);
        }
    }

    /** Builds the image of DIR and returns its name. */
    static String build(Run run, Path dir, Path manifest, String tag, boolean force, boolean upload, boolean stripHost) {
        ImageDir.check(dir);
        String name = ImageDir.hasDockerfile(dir)
                ? dockerfile(run, dir, tag)
                : LegacyImport.importImage(run, dir, manifest, force);
        if (upload) Registry.local(run).upload(name, stripHost);
        return name;
    }

    /** `DIR/tar CTX/ovl.tar`, then `docker build` with the context holding only ovl.tar. */
    static String dockerfile(Run run, Path dir, String tag) {
        if (tag == null || tag.isBlank()) throw Fail.die("No --tag specified");
        ImageRef.versioned(tag);
        Path ctx = Temp.dir("images-ctx");
        try {
            Path ovl = ctx.resolve("ovl.tar");
            ImageDir.tarScript(run, dir, ovl.toString()).changes().run();
            if (!run.dryRun() && fileSize(ovl) == 0) throw Fail.die("Failed to create ovl.tar [" + dir.resolve("tar") + " wrote nothing]");
            Docker.docker(run, "build", "-t", tag, "-f", dir.toAbsolutePath().resolve("Dockerfile").toString(), ctx.toString())
                    .fails("Failed to build " + tag).changes().run();
            return tag;
        } finally {
            Temp.delete(ctx);
        }
    }

    static long fileSize(Path p) {
        try {
            return Files.exists(p) ? Files.size(p) : 0;
        } catch (java.io.IOException e) {
            return 0;
        }
    }
}
