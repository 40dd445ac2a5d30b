///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//SOURCES lib/Lib.java
//SOURCES make.java mkimage.java LegacyImport.java

import lib.*;
import lib.cli.*;
import lib.exec.*;
import lib.source.*;
import lib.store.*;
import java.lang.reflect.AnnotatedElement;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * images: the commands of xcluster's images.sh, one subcommand each.
 * The main jobs live in their own scripts (make.java, mkimage.java, LegacyImport.java);
 * the small helpers are the methods below, each a thin call into lib/.
 */
@Command(name = "images", mixinStandardHelpOptions = true, version = "images " + Lib.VERSION,
        description = "Handles OCI images in xcluster: the pre-pulled images tar, local images, the local registry.",
        subcommands = {make.class, make.Mktar.class, mkimage.class, LegacyImport.class, picocli.CommandLine.HelpCommand.class})
public class images {
    public static void main(String[] args) {
        System.exit(run(args));
    }

    /**
     * Builds only what the command line needs: picocli takes about half a second to build every
     * subcommand with its options by reflection. `images CMD ...` builds CMD alone (under the name
     * `images CMD`); `images`, `--help`, `--version` and an unknown command get a root whose subcommands
     * are stubs with names and descriptions only. `completion` and other uses of `help` build all.
     */
    static int run(String... args) {
        Map<String, AnnotatedElement> commands = commands();
        String first = args.length == 0 ? "" : args[0];
        String[] rest = args.length == 0 ? args : Arrays.copyOfRange(args, 1, args.length);
        if (first.equals("help") && rest.length == 1 && commands.containsKey(rest[0])) return run(rest[0], "--help");
        if (first.equals("completion") || first.equals("help")) return Cli.run(new images(), args);
        AnnotatedElement cmd = commands.get(first);
        if (cmd != null) return Cli.run(cmd, "images " + cmd.getAnnotation(Command.class).name(), rest);
        return Cli.run(light(commands), args);
    }

    /** Every subcommand by its name and each alias, as its class or method: found, not built. */
    static Map<String, AnnotatedElement> commands() {
        List<AnnotatedElement> all = new ArrayList<>(Arrays.asList(images.class.getAnnotation(Command.class).subcommands()));
        all.addAll(CommandLine.getCommandMethods(images.class, null));
        Map<String, AnnotatedElement> byName = new LinkedHashMap<>();
        for (AnnotatedElement e : all) {
            Command c = e.getAnnotation(Command.class);
            byName.put(c.name(), e);
            for (String a : c.aliases()) byName.put(a, e);
        }
        return byName;
    }

    /** The root command with stubs for subcommands, in the order picocli builds them: enough for --help. */
    static CommandSpec light(Map<String, AnnotatedElement> commands) {
        Command c = images.class.getAnnotation(Command.class);
        CommandSpec root = Cli.stub(c).version(c.version());
        // -h and -V as picocli's mixin has them, built directly: the mixin is read by reflection
        root.addOption(OptionSpec.builder("-h", "--help").usageHelp(true).description("Show this help message and exit.").build());
        root.addOption(OptionSpec.builder("-V", "--version").versionHelp(true).description("Print version information and exit.").build());
        for (AnnotatedElement e : new LinkedHashSet<>(commands.values())) {
            Command sub = e.getAnnotation(Command.class);
            root.addSubcommand(sub.name(), Cli.stub(sub));
        }
        return root;
    }

    @Spec CommandSpec spec;

    @Command(mixinStandardHelpOptions = true, name = "completion", description = {
            "Print a bash completion script for images (zsh too, after `autoload -U +X bashcompinit && bashcompinit`).",
            "Install: images completion > ~/.local/share/bash-completion/completions/images, or: source <(images completion)."})
    void completion(@Mixin Cli.Options o) {
        System.out.print(picocli.AutoComplete.bash("images", spec.commandLine()));
    }

    @Command(mixinStandardHelpOptions = true, name = "cache", description = {
            "Show the layer cache of make (--via=native): its folder, entries and size; --prune makes it smaller.",
            "Folder: $XDG_CACHE_HOME/xcluster-images/make (default ~/.cache/xcluster-images/make), mode 0700.",
            "make keeps each layer it wrote there and writes it again from there; make --no-cache bypasses it."})
    void cache(@Mixin Cli.Options o,
            @Option(names = "--prune", paramLabel = "SIZE", description = {"Remove the least recently used entries until the cache"
                    + " holds at most SIZE (bytes, or with k, M, G: powers of 1000); 0 empties it.",
                    "Also removes temporary files a crashed make left (older than an hour)."}) String prune) throws java.io.IOException {
        lib.cache.Cache c = lib.cache.Cache.open(true);
        if (!c.enabled()) throw Fail.die("No usable cache folder [" + lib.cache.Cache.folder() + "]");
        if (prune != null && o.run().dryRun()) System.err.println("dry-run: prune " + c.root() + " to at most " + Ls.size(bytes(prune)));
        else if (prune != null) {
            long[] r = c.prune(bytes(prune));
            System.out.println("Removed " + r[0] + " files, " + Ls.size(r[1]));
        }
        List<lib.cache.Cache.File> files = c.files();
        long layers = files.stream().filter(f -> f.path().startsWith(c.root().resolve("layers"))).count();
        long configs = files.stream().filter(f -> f.path().startsWith(c.root().resolve("configs"))).count();
        System.out.println(c.root() + ": " + layers + " layers, " + configs + " configs, " + (files.size() - layers - configs)
                + " temporary, " + Ls.size(files.stream().mapToLong(lib.cache.Cache.File::size).sum()));
    }

    /** 2G, 500M, 10k, 123: powers of 1000, as sizes are shown. */
    static long bytes(String s) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("([0-9]{1,15})([kKMGT]?)B?").matcher(s.trim());
        if (!m.matches()) throw Fail.usage("Invalid size [" + s + "]: give bytes, or a number with k, M, G or T");
        return Long.parseLong(m.group(1)) * (long) Math.pow(1000, " kMGT".indexOf(m.group(2).isEmpty() ? " " : m.group(2).replace('K', 'k')));
    }

    @Command(mixinStandardHelpOptions = true, name = "env", description = "Print the xcluster context this toolkit uses.")
    void env(@Mixin Cli.Options o) {
        System.out.println("XCLUSTER=" + nz(System.getenv("XCLUSTER")));
        System.out.println("XCLUSTER_TMP=" + Xcluster.tmp(o.run()));
        System.out.println("XCLUSTER_OVLPATH=" + nz(System.getenv("XCLUSTER_OVLPATH")));
        System.out.println("DOCKER_HOST=" + nz(System.getenv("DOCKER_HOST")));
        System.out.println("LOCAL_REGISTRY=" + nz(System.getenv("LOCAL_REGISTRY")));
    }

    private static String nz(String s) {
        return s == null ? "" : s;
    }

    @Command(mixinStandardHelpOptions = true, name = "get_rootfs", aliases = "get-rootfs", description = "Print the image folder of OVL, OVL/SUBDIR or a folder path.")
    void getRootfs(@Mixin Cli.Options o, @Parameters(paramLabel = "OVL[/SUBDIR]", description = "An overlay, an overlay's subfolder, or a folder path.") String item) {
        System.out.println(Xcluster.rootfs(o.run(), item));
    }

    @Command(mixinStandardHelpOptions = true, name = "get_manifest", aliases = "get-manifest", description = "Print the manifest.json of an image folder (or a *.json beside it).")
    void getManifest(@Mixin Cli.Options o, @Parameters(paramLabel = "ROOTFS", description = "An image folder.") Path rootfs) {
        Path m = Xcluster.manifest(rootfs);
        if (m != null) System.out.println(m);
    }

    @Command(mixinStandardHelpOptions = true, name = "in_docker", aliases = "in-docker", description = "Exit 0 if the docker daemon has IMAGE (with its version).")
    int inDocker(@Mixin Cli.Options o, @Parameters(paramLabel = "IMAGE", description = "An image in the docker daemon, with its version.") String image) {
        return Docker.has(o.run(), image) ? 0 : 1;
    }

    @Command(mixinStandardHelpOptions = true, name = "docker_ls", aliases = "docker-ls", description = "List the files of an image, sorted.")
    void dockerLs(@Mixin Cli.Options o, @Parameters(paramLabel = "IMAGE", description = "An image in the docker daemon, with its version.") String image) {
        Docker.ls(o.run(), image).forEach(System.out::println);
    }

    @Command(mixinStandardHelpOptions = true, name = "docker_export", aliases = "docker-export", description = "Like `docker export`, but for an image: its files as a tar on stdout.")
    void dockerExport(@Mixin Cli.Options o, @Parameters(paramLabel = "IMAGE", description = "An image in the docker daemon, with its version.") String image) {
        Docker.export(o.run(), image, Exec.stdout());
    }

    @Command(mixinStandardHelpOptions = true, name = "docker_ls_layers", aliases = "docker-ls-layers", description = "List the files of an image per layer, base first.")
    void dockerLsLayers(@Mixin Cli.Options o, @Parameters(paramLabel = "IMAGE", description = "An image in the docker daemon, with its version.") String image) {
        Docker.lsLayers(o.run(), image, System.out);
    }

    @Command(mixinStandardHelpOptions = true, name = "docker_save_layers", aliases = "docker-save-layers",
            description = "Unpack the named layers (paths in the `docker save` archive, as docker_ls_layers shows them) into one tree; its tar on stdout.")
    void dockerSaveLayers(@Mixin Cli.Options o, @Parameters(index = "0", paramLabel = "IMAGE", description = "An image in the docker daemon, with its version.") String image,
            @Parameters(index = "1..*", paramLabel = "LAYER", description = "A layer path in the `docker save` archive, as docker_ls_layers shows it.") List<String> layers) {
        Docker.saveLayers(o.run(), image, layers, Exec.stdout());
    }

    @Command(mixinStandardHelpOptions = true, name = "docker_flush", aliases = "docker-flush", description = "Remove ALL containers and images from docker. Needs --really.")
    void dockerFlush(@Mixin Cli.Options o, @Option(names = "--really", description = "Yes, wipe it.") boolean really) {
        Docker.flush(o.run(), really);
    }

    /** --via for the lreg_* commands. */
    public static class Via {
        boolean skopeo;

        @Option(names = "--via", paramLabel = "native|skopeo", description = "native (default): the toolkit's registry client, no skopeo or docker; skopeo: images.sh's own way.")
        void via(String v) {
            if (!v.equals("native") && !v.equals("skopeo")) throw Fail.usage("Invalid --via [" + v + "]: native or skopeo");
            skopeo = v.equals("skopeo");
        }
    }

    /** --tls-verify of the external registry for lreg_cache and lreg_preload. */
    public static class SrcTls {
        boolean verify = true;

        @Option(names = "--tls-verify", arity = "1", paramLabel = "BOOL", description = "Verify TLS of the external registry (default true; false: also plain http).")
        void tls(boolean b) {
            verify = b;
        }
    }

    @Command(mixinStandardHelpOptions = true, name = "lreg_ls", aliases = {"lreg-ls", "docker_lsreg", "docker-lsreg"},
            description = "List the contents of the local registry: each repository and its tags (docker_lsreg is the same).")
    void lregLs(@Mixin Cli.Options o) {
        Registry.local(o.run()).ls(System.out);
    }

    @Command(mixinStandardHelpOptions = true, name = "lreg_ip", aliases = "lreg-ip", description = "Print the address of the local registry: $LOCAL_REGISTRY, else the docker container `registry` (IPv6 in brackets).")
    void lregIp(@Mixin Cli.Options o) {
        System.out.println(Registry.local(o.run()).address());
    }

    @Command(mixinStandardHelpOptions = true, name = "lreg_cache", aliases = "lreg-cache", description = "Copy an external image to the local registry, blob by blob, e.g. docker.io/library/alpine:3.8.")
    void lregCache(@Mixin Cli.Options o, @Mixin Via v, @Mixin SrcTls t, @Parameters(paramLabel = "EXT_IMAGE", description = "An image in an external registry, with its version.") String image) {
        Registry.local(o.run()).via(v.skopeo, t.verify).cache(image);
    }

    @Command(mixinStandardHelpOptions = true, name = "lreg_upload", aliases = "lreg-upload", description = "Upload an image from the docker daemon to the local registry (blobs it has are skipped).")
    void lregUpload(@Mixin Cli.Options o, @Mixin Via v,
            @Option(names = "--strip-host", description = "Drop the registry host of the name in the local registry.") boolean stripHost,
            @Parameters(paramLabel = "IMAGE", description = "An image in the docker daemon, with its version.") String image) {
        Registry.local(o.run()).via(v.skopeo, true).upload(image, stripHost);
    }

    @Command(mixinStandardHelpOptions = true, name = "lreg_inspect", aliases = "lreg-inspect", description = "Inspect an image in the local registry (as skopeo inspect).")
    void lregInspect(@Mixin Cli.Options o, @Mixin Via v, @Parameters(paramLabel = "IMAGE:TAG", description = "An image in the local registry.") String image) {
        Registry.local(o.run()).via(v.skopeo, true).inspect(image);
    }

    @Command(mixinStandardHelpOptions = true, name = "lreg_isloaded", aliases = "lreg-isloaded", description = "Exit 0 if the local registry has IMAGE (its host part stripped; tag latest if none), else 1.")
    int lregIsloaded(@Mixin Cli.Options o, @Parameters(paramLabel = "IMAGE[:TAG]", description = "An image.") String image) {
        return lib.registry.Lreg.isLoaded(o.run(), Registry.local(o.run()).address(), image) ? 0 : 1;
    }

    @Command(mixinStandardHelpOptions = true, name = "getimages", description = "Print the images an overlay uses: the sorted, unique `image:` values of its *.yaml files.")
    void getimages(@Mixin Cli.Options o, @Parameters(paramLabel = "OVL|DIR", description = "An overlay name or a folder.") String ovl) {
        lib.registry.Lreg.images(o.run(), ovl).forEach(System.out::println);
    }

    @Command(mixinStandardHelpOptions = true, name = "lreg_missingimages", aliases = "lreg-missingimages",
            description = "Print the images (the pause image, and those of the overlays) the local registry lacks, fully qualified; exit 1 when any.")
    int lregMissingimages(@Mixin Cli.Options o, @Parameters(paramLabel = "OVL", arity = "0..*", description = "Overlays or folders.") List<String> ovls) {
        List<String> missing = lib.registry.Lreg.missing(o.run(), Registry.local(o.run()).address(), make.PAUSE, ovls == null ? List.of() : ovls);
        missing.forEach(System.out::println);
        return missing.isEmpty() ? 0 : 1;
    }

    @Command(mixinStandardHelpOptions = true, name = "lreg_preload", aliases = "lreg-preload",
            description = "lreg_cache each image lreg_missingimages lists (`:local` tags skipped), `=== IMG` on stderr before each.")
    int lregPreload(@Mixin Cli.Options o, @Mixin Via v, @Mixin SrcTls t,
            @Option(names = "--force", description = "Cache every image, loaded or not.") boolean force,
            @Option(names = "--keep-going", description = "Go on after a failure (exit 1 at the end).") boolean keepGoing,
            @Parameters(paramLabel = "OVL", arity = "0..*", description = "Overlays or folders.") List<String> ovls) {
        Registry reg = Registry.local(o.run()).via(v.skopeo, t.verify);
        return lib.registry.Lreg.preload(o.run(), reg.address(), reg::cache, make.PAUSE, ovls == null ? List.of() : ovls, force, keepGoing, System.err) == 0 ? 0 : 1;
    }

    @Command(mixinStandardHelpOptions = true, name = "docker_save", aliases = "docker-save", description = "docker save each IMAGE under its full name, all in one tar.")
    void dockerSave(@Mixin Cli.Options o, @Option(names = "--output", required = true, paramLabel = "FILE", description = "The tar to write.") String output,
            @Parameters(paramLabel = "IMAGE", arity = "1..*", description = "Images in the docker daemon.") List<String> images) {
        List<String> argv = new ArrayList<>(List.of("save", "-o", output));
        for (String i : images) argv.add(lib.registry.Lreg.qualified(i));
        Docker.docker(o.run(), argv.toArray(String[]::new)).fails("docker save failed [" + String.join(" ", images) + "]").changes().run();
    }

    @Command(mixinStandardHelpOptions = true, name = "ls", description = "List the images in an images tar (FILE, or - for stdin): names, short id, size, layers and how many are shared. Any user, nothing unpacked.")
    void ls(@Mixin Cli.Options o, @Option(names = "--json", description = "One JSON array, for scripts.") boolean json,
            @Parameters(paramLabel = "FILE", description = "An images tar, or - for stdin.") String file) {
        Ls.ls(file, json, System.out);
    }

    @Command(mixinStandardHelpOptions = true, name = "inspect", description = "Show an image of an images tar: its id, names, layers, manifest and config (like docker image inspect).")
    void inspect(@Mixin Cli.Options o,
            @Option(names = "--config", description = "Print only the config as stored (like skopeo inspect --config --raw).") boolean config,
            @Option(names = "--raw", description = "Print only the manifest as stored (like skopeo inspect --raw).") boolean raw,
            @Parameters(index = "0", paramLabel = "FILE", description = "An images tar, or - for stdin.") String file,
            @Parameters(index = "1", paramLabel = "NAME", description = "An image name (as podman shows it or short), or an id prefix.") String name) {
        Ls.inspect(file, name, config ? "config" : raw ? "raw" : "all", System.out);
    }

    @Command(mixinStandardHelpOptions = true, name = "verify", header = "Check an images tar the way containers/storage reads it; OK or ERROR:.", description = {"Check an images tar the way containers/storage reads it, without unpacking it:",
            "layer ids, link, lower and l/, images and their big data, and each layer's tar-split replayed with its diff/ files",
            "giving exactly its diff digest. Prints one line on success, else ERROR: naming the image, layer and file."})
    void verify(@Mixin Cli.Options o, @Parameters(paramLabel = "FILE", description = "An images tar, or - for stdin (copied to a temporary file first).") String file) {
        System.out.println(Verify.run(file));
    }

    @Command(mixinStandardHelpOptions = true, name = "lreg_rm", aliases = "lreg-rm", description = "Remove an image from the local registry.")
    void lregRm(@Mixin Cli.Options o, @Mixin Via v, @Parameters(paramLabel = "IMAGE:TAG", description = "An image in the local registry.") String image) {
        Registry.local(o.run()).via(v.skopeo, true).rm(image);
    }
}
