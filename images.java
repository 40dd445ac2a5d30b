///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//SOURCES lib/Lib.java
//SOURCES make.java mkimage.java legacy-import.java

import java.nio.file.Path;
import java.util.List;
import lib.*;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * images: the commands of xcluster's images.sh, one subcommand each.
 * The main jobs live in their own scripts (make.java, mkimage.java, legacy-import.java);
 * the small helpers are the methods below, each a thin call into lib/.
 */
@Command(name = "images", mixinStandardHelpOptions = true, version = "images " + Lib.VERSION,
        description = "Handles OCI images in xcluster: the pre-pulled images tar, local images, the local registry.",
        subcommands = {make.class, make.Mktar.class, mkimage.class, LegacyImport.class, picocli.CommandLine.HelpCommand.class})
public class images {
    public static void main(String[] args) {
        // The daily commands run alone: picocli takes about half a second to build all the
        // method subcommands below, which only `images --help` and the helpers need.
        Object alone = args.length == 0 ? null : switch (args[0]) {
            case "make" -> new make();
            case "mkimage" -> new mkimage();
            case "legacy-import", "legacy_import" -> new LegacyImport();
            default -> null;
        };
        if (alone != null) System.exit(Cli.run(alone, "images " + args[0].replace('_', '-'), java.util.Arrays.copyOfRange(args, 1, args.length)));
        System.exit(Cli.run(new images(), args));
    }

    @Command(mixinStandardHelpOptions = true, name = "env", description = "Print the xcluster context this toolkit uses.")
    void env(@Mixin Cli.Options o) {
        System.out.println("XCLUSTER=" + nz(System.getenv("XCLUSTER")));
        System.out.println("XCLUSTER_TMP=" + Xcluster.tmp());
        System.out.println("XCLUSTER_OVLPATH=" + nz(System.getenv("XCLUSTER_OVLPATH")));
        System.out.println("DOCKER_HOST=" + nz(System.getenv("DOCKER_HOST")));
        System.out.println("LOCAL_REGISTRY=" + nz(System.getenv("LOCAL_REGISTRY")));
    }

    private static String nz(String s) {
        return s == null ? "" : s;
    }

    @Command(mixinStandardHelpOptions = true, name = "get_rootfs", aliases = "get-rootfs", description = "Print the image folder of OVL, OVL/SUBDIR or a folder path.")
    void getRootfs(@Mixin Cli.Options o, @Parameters(paramLabel = "OVL[/SUBDIR]") String item) {
        System.out.println(Xcluster.rootfs(item));
    }

    @Command(mixinStandardHelpOptions = true, name = "get_manifest", aliases = "get-manifest", description = "Print the manifest.json of an image folder (or a *.json beside it).")
    void getManifest(@Mixin Cli.Options o, @Parameters(paramLabel = "ROOTFS") Path rootfs) {
        Path m = Xcluster.manifest(rootfs);
        if (m != null) System.out.println(m);
    }

    @Command(mixinStandardHelpOptions = true, name = "in_docker", aliases = "in-docker", description = "Exit 0 if the docker daemon has IMAGE (with its version).")
    int inDocker(@Mixin Cli.Options o, @Parameters(paramLabel = "IMAGE") String image) {
        return Docker.has(image) ? 0 : 1;
    }

    @Command(mixinStandardHelpOptions = true, name = "docker_ls", aliases = "docker-ls", description = "List the files of an image, sorted.")
    void dockerLs(@Mixin Cli.Options o, @Parameters(paramLabel = "IMAGE") String image) {
        Docker.ls(image).forEach(System.out::println);
    }

    @Command(mixinStandardHelpOptions = true, name = "docker_export", aliases = "docker-export", description = "Like `docker export`, but for an image: its files as a tar on stdout.")
    void dockerExport(@Mixin Cli.Options o, @Parameters(paramLabel = "IMAGE") String image) {
        Docker.export(image, Exec.stdout());
    }

    @Command(mixinStandardHelpOptions = true, name = "docker_ls_layers", aliases = "docker-ls-layers", description = "List the files of an image per layer, base first.")
    void dockerLsLayers(@Mixin Cli.Options o, @Parameters(paramLabel = "IMAGE") String image) {
        Docker.lsLayers(image, System.out);
    }

    @Command(mixinStandardHelpOptions = true, name = "docker_save_layers", aliases = "docker-save-layers",
            description = "Unpack the named layers (paths in the `docker save` archive, as docker_ls_layers shows them) into one tree; its tar on stdout.")
    void dockerSaveLayers(@Mixin Cli.Options o, @Parameters(index = "0", paramLabel = "IMAGE") String image,
            @Parameters(index = "1..*", paramLabel = "LAYER") List<String> layers) {
        Docker.saveLayers(image, layers, Exec.stdout());
    }

    @Command(mixinStandardHelpOptions = true, name = "docker_flush", aliases = "docker-flush", description = "Remove ALL containers and images from docker. Needs --really.")
    void dockerFlush(@Mixin Cli.Options o, @Option(names = "--really", description = "Yes, wipe it.") boolean really) {
        Docker.flush(really);
    }

    @Command(mixinStandardHelpOptions = true, name = "lreg_ls", aliases = "lreg-ls", description = "List the contents of the local registry.")
    void lregLs(@Mixin Cli.Options o) {
        Registry.local().ls(System.out);
    }

    @Command(mixinStandardHelpOptions = true, name = "lreg_cache", aliases = "lreg-cache", description = "Copy an external image to the local registry, e.g. docker.io/library/alpine:3.8.")
    void lregCache(@Mixin Cli.Options o, @Parameters(paramLabel = "EXT_IMAGE") String image) {
        Registry.local().cache(image);
    }

    @Command(mixinStandardHelpOptions = true, name = "lreg_upload", aliases = "lreg-upload", description = "Upload an image from the docker daemon to the local registry.")
    void lregUpload(@Mixin Cli.Options o,
            @Option(names = "--strip-host", description = "Drop the registry host of the name in the local registry.") boolean stripHost,
            @Parameters(paramLabel = "IMAGE") String image) {
        Registry.local().upload(image, stripHost);
    }

    @Command(mixinStandardHelpOptions = true, name = "lreg_inspect", aliases = "lreg-inspect", description = "Inspect an image in the local registry (skopeo inspect).")
    void lregInspect(@Mixin Cli.Options o, @Parameters(paramLabel = "IMAGE:TAG") String image) {
        Registry.local().inspect(image);
    }

    @Command(mixinStandardHelpOptions = true, name = "lreg_rm", aliases = "lreg-rm", description = "Remove an image from the local registry.")
    void lregRm(@Mixin Cli.Options o, @Parameters(paramLabel = "IMAGE:TAG") String image) {
        Registry.local().rm(image);
    }
}
