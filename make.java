///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//SOURCES lib/Lib.java
//SOURCES mkimage.java LegacyImport.java

import lib.*;
import lib.cli.*;
import lib.exec.*;
import lib.model.*;
import lib.output.*;
import lib.source.*;
import lib.store.*;
import java.nio.file.*;
import java.util.*;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * make: the pre-pulled images tar. Read top to bottom:
 * --via=skopeo, images.sh's cmd_make then cmd_mktar, step by step:
 *   1. image: the pause image, then each item, into the docker daemon (pull, or mkimage an overlay)
 *   2. mktar: as root (through sudo when needed): skopeo copies each image into a fresh
 *      containers-storage tree (Mktar.copyImages), the VM boot step (lib/store/SkopeoBoot, unless
 *      --plain), then tar (Mktar.writeTar)
 * --via=native, as any user (below the classic way):
 *   1. source: each item becomes a lib Source: the docker daemon, a registry through the OCI
 *      cache, an archive, or an overlay built without docker
 *   2. lib/Storage copies the sources' images into the tar of the storage tree itself, with what an
 *      xcluster VM's busybox unpack needs besides (lib/vm, unless --plain; README: "The VM boot step")
 */
@Command(name = "make", mixinStandardHelpOptions = true,
        description = {"Create a tar with a containers-storage tree (var/lib/containers/storage) holding the images of the items.",
                "ITEM is an image reference with its version (pulled when docker lacks it), or an overlay:"
                        + " OVL (its image/ folder), OVL/SUBDIR, or a folder path.",
                "An overlay with a Dockerfile needs its tag: OVL=NAME:TAG."})
public class make implements Callable<Integer> {
    static final String PAUSE = "registry.k8s.io/pause:3.9"; // as xcluster's crio overlay uses it

    @Mixin Cli.Options options;

    @Option(names = "--tar", paramLabel = "FILE", description = "The output (default $XCLUSTER_TMP/images.tar); - for stdout.")
    String tar;

    @Option(names = "--pause", paramLabel = "IMG", description = "The pause image, added first (default " + PAUSE + ").")
    String pause = PAUSE;

    @Option(names = "--no-pause", description = "Do not add a pause image.")
    boolean noPause;

    @Option(names = "--via", paramLabel = "HOW", description = {
            "native: the toolkit writes the tar itself, as any user, with no skopeo and no root.",
            "skopeo: the classic way: docker, then skopeo as root into a storage tree, then tar.",
            "Default: ${DEFAULT-VALUE}."})
    String via = "native";

    @Option(names = "--tls-verify", arity = "1", paramLabel = "BOOL", description = "Verify TLS for docker:// items (false for a plain-http local registry).")
    boolean tlsVerify = true;

    @Option(names = "--platform", paramLabel = "OS/ARCH[/VARIANT]", description = {
            "From a multi-arch image (an index), take the manifest for this platform (--via=native);",
            "default: the host's, as skopeo chooses it."})
    String platform;

    @Option(names = "--verify", description = "Check the tar as `images verify` does before it is put in place (not with --tar=-).")
    boolean verify;

    @Option(names = "--no-cache", description = {"Do not use the layer cache (--via=native): read every layer from its source, keep nothing.",
            "Default: layers are kept in $XDG_CACHE_HOME/xcluster-images/make (see `images cache`)."})
    boolean noCache;

    @Option(names = "--plain", description = {"Only the storage tree, as skopeo writes it, for consumers that unpack with",
            "GNU tar --xattrs -xpf: no VM boot script, no whiteouts for opaque folders, no pinned drop-in."})
    boolean plain;

    @Option(names = "--no-pin", description = "No CRI-O drop-in (" + lib.vm.VmBoot.PINNED + ") pinning the images.")
    boolean noPin;

    @Parameters(paramLabel = "ITEM", arity = "1..*", description = {
            "REF:VERSION (from the docker daemon, pulled when missing), docker://REF:VERSION (from a registry, --via=native),",
            "docker-archive:PATH[:REF], oci:DIR[:REF], oci-archive:PATH[:REF] (--via=native),",
            "OVL, OVL/SUBDIR or a folder path (an overlay image folder); OVL=NAME:TAG names an overlay's image."})
    List<String> items;

    public static void main(String[] args) {
        System.exit(Cli.run(new make(), args));
    }

    @Override
    public Integer call() {
        String out = tar != null ? tar : Xcluster.tmp(options.run()).resolve("images.tar").toString();
        if (tar == null) Output.checkFolder(Path.of(out).getParent()); // not named by the user: it must be private
        else if (!out.equals("-")) requireFolder(Path.of(out).toAbsolutePath().getParent()); // as docker save -o and tar -cf
        if (out.equals("-") && Progress.terminal(1)) throw Fail.usage("Not writing a tar to a terminal: redirect stdout, or give --tar=FILE");
        if (verify && out.equals("-")) throw Fail.usage("--verify needs --tar=FILE");
        Run run = options.run();
        List<Item> all = new ArrayList<>();
        String pauseItem = noPause ? null : pause; // the pause image as given, null with --no-pause
        if (!noPause) all.add(Item.parse(pause));
        Set<String> seen = new HashSet<>(noPause ? List.of() : List.of(pause));
        for (String item : items) {
            if (!seen.add(item)) System.err.println("WARNING: [" + item + "] is given twice: it is stored once");
            else all.add(Item.parse(item));
        }
        Platform wanted = Platform.host(); // --platform: read indexes for this one
        if (platform != null) {
            if (via.equals("skopeo")) throw Fail.usage("--platform needs --via=native");
            wanted = Platform.parse(platform);
        }
        switch (via) {
            case "skopeo" -> classic(run, all, pauseItem, out, new Tar(verify, plain, noPin));
            case "native" -> nativeTar(run, wanted, all, pauseItem, out, verify, tlsVerify, lib.cache.Cache.open(!noCache && !run.dryRun()),
                    plain ? null : new lib.vm.VmBoot(StoreLayout.ROOT, !noPin));
            default -> throw Fail.usage("Unknown --via [" + via + "]; use native or skopeo");
        }
        return 0;
    }

    // ---- the classic way: docker, then skopeo as root, then tar

    static void classic(Run run, List<Item> items, String pauseItem, String out, Tar tar) {
        List<String> images = new ArrayList<>();
        for (Item item : items) {
            try {
                images.add(image(run, item));
            } catch (Fail f) {
                throw pauseFailed(pauseItem, null, item, f);
            }
        }
        mktar(run, images, out, tar);
    }

    /** mktar's own options: --verify, --plain, --no-pin (make's, handed on to it). */
    record Tar(boolean verify, boolean plain, boolean noPin) {}

    /** Step 1: one item into the docker daemon; returns the image name. */
    static String image(Run run, Item item) {
        if (item.isReference()) {
            Docker.pull(run, item.ref());
            return item.ref();
        }
        if (!item.isOverlay()) throw Fail.die("Only --via=native reads [" + item.text() + "]");
        Path rootfs = item.rootfs(run);
        String name = mkimage.build(run, rootfs, item.manifest(rootfs), item.tag(), false, false, false);
        if (item.tag() != null && !item.tag().equals(name)) Docker.docker(run, "tag", name, item.tag()).fails("docker tag", item.tag()).changes().run();
        return item.tag() != null ? item.tag() : name;
    }

    /** Step 2: as root, Mktar; else re-run only this step through sudo, as images.sh does. */
    static void mktar(Run run, List<String> images, String out, Tar tar) {
        if (isRoot(run)) {
            Mktar.copyAndTar(run, images, out, null, tar);
            return;
        }
        List<String> argv = new ArrayList<>(List.of("sudo", "env"));
        for (String k : List.of("DOCKER_HOST", "DOCKER", "SKOPEO", "TMPDIR", "PATH")) {
            String v = System.getenv(k);
            if (v != null) argv.add(k + "=" + v);
        }
        argv.addAll(List.of(ProcessHandle.current().info().command().orElse("java"),
                "-cp", System.getProperty("java.class.path"), "make$Mktar", "--user=" + Xcluster.user(), "--tar=" + out));
        if (run.verbose()) argv.add("--verbose");
        if (tar.verify()) argv.add("--verify");
        if (tar.plain()) argv.add("--plain");
        if (tar.noPin()) argv.add("--no-pin");
        argv.addAll(images);
        Exec.of(run, argv).fails("sudo mktar", out).out("-".equals(out) ? Output.stdout() : null).showStderr().changes().run();
    }

    static boolean isRoot(Run run) {
        return "0".equals(Exec.of(run, "id", "-u").read().trim());
    }

    /** mktar (internal, root): skopeo each image into a fresh storage tree, then tar it. */
    @Command(name = "mktar", mixinStandardHelpOptions = true, hidden = true,
            description = {"(internal, root) Copy images from docker into a fresh containers-storage tree with skopeo, then tar it."})
    public static class Mktar implements Callable<Integer> {
        @Mixin Cli.Options options;

        @Option(names = "--user", paramLabel = "USER", description = "Hand the tar to this user.")
        String user;

        @Option(names = "--tar", paramLabel = "FILE", description = "The output (default -: stdout).")
        String tar = "-";

        @Option(names = "--verify", description = "Check the tar as `images verify` does before it is put in place.")
        boolean verify;

        @Option(names = "--plain", description = "Only the storage tree, as skopeo writes it (no VM boot step).")
        boolean plain;

        @Option(names = "--no-pin", description = "No CRI-O drop-in pinning the images.")
        boolean noPin;

        @Parameters(paramLabel = "IMAGE", arity = "1..*", description = "An image in the docker daemon, with its version.")
        List<String> images;

        public static void main(String[] args) {
            System.exit(Cli.run(new Mktar(), args));
        }

        @Override
        public Integer call() {
            Run run = options.run();
            if (!isRoot(run)) throw Fail.die("Must run as \"root\"");
            copyAndTar(run, images, tar, user, new Tar(verify, plain, noPin));
            return 0;
        }

        static void copyAndTar(Run run, List<String> images, String out, String user, Tar tar) {
            Path tmp = Temp.dir("images-mktar");
            try {
                copyImages(run, images, tmp);
                lib.vm.VmBoot vm = tar.plain() ? null : new lib.vm.VmBoot(StoreLayout.ROOT, !tar.noPin());
                if (vm != null) SkopeoBoot.apply(run, tmp, vm);
                writeTar(run, tmp, out, user, vm != null, tar.verify());
            } finally {
                Temp.unmount(run, tmp); // what a failed skopeo left mounted, said under --verbose
                Temp.delete(tmp);
            }
        }

        /** skopeo copies each image from docker into TMP/var/lib/containers/storage. */
        static void copyImages(Run run, List<String> images, Path tmp) {
            Path root = tmp.resolve(StoreLayout.ROOT), runroot = tmp.resolve(StoreLayout.RUNROOT);
            Path skopeoTmp = tmp.resolve("tmp"); // skopeo's big temporary files go away with ours
            mkdirs(skopeoTmp);
            for (String img : images) {
                System.err.println("Adding [" + img + "]");
                Skopeo.copyFromDaemon(run, img, "containers-storage:[overlay@" + root + "+" + runroot + "]" + img)
                        .env("TMPDIR", skopeoTmp.toString()).fails("skopeo failed [" + img + "]").changes().run();
            }
            Temp.unmount(run, tmp); // skopeo leaves ROOT/overlay mounted on itself
        }

        /** tar of var/, keeping owners, modes, links, devices and all xattrs; handed to user. */
        static void writeTar(Run run, Path tmp, String out, String user, boolean vm, boolean verify) {
            List<String> argv = new ArrayList<>(List.of("tar", "--xattrs", "--xattrs-include=*", "--numeric-owner", "--sort=name"));
            if (vm) argv.add("--xattrs-exclude=trusted.overlay.opaque"); // the whiteouts made for the VM do its work
            argv.addAll(List.of("-C", tmp.toString(), "-cf", "-", "var"));
            if (vm && Files.isDirectory(tmp.resolve("etc"))) argv.add("etc");
            output(run, out, user, verify, os -> Exec.of(run, argv).fails("tar", out).out(os).changes().run());
        }
    }

    // ---- the native way: lib's sources and storage writer, as any user

    /** Each item becomes a source, then lib/Storage writes the storage tar itself. */
    static void nativeTar(Run run, Platform platform, List<Item> items, String pauseItem, String out, boolean verify, boolean tlsVerify,
                          lib.cache.Cache cache, lib.vm.VmBoot vm) {
        Path tmp = Temp.dir("images-make");
        String pauseFrom = null; // "local" (the local registry had it, lib/source/Pause), "docker" (it had not), "item"
        try {
            OciCache.pull(run, platform, items, tlsVerify); // every docker:// item at once
            List<Source> sources = new ArrayList<>();
            for (Item item : items) {
                Progress.say(run, "Adding [" + item + "]");
                try {
                    Source local = item.text().equals(pauseItem) ? Pause.local(run, platform, item) : null; // the local registry first
                    if (item.text().equals(pauseItem)) pauseFrom = local != null ? "local" : Pause.plain(item) ? "docker" : "item";
                    sources.add(local != null ? local : Sources.of(run, platform, item, tmp.resolve("item" + sources.size()), tlsVerify));
                } catch (Fail f) {
                    throw pauseFailed(pauseItem, pauseFrom, item, f);
                }
            }
            if (run.dryRun()) {
                System.err.println("dry-run: write " + out + " from " + String.join(" ", sources.stream().map(Object::toString).toList()));
                return;
            }
            String[] wrote = {null};
            try {
                output(run, out, null, verify, os -> wrote[0] = Storage.copy(run, sources, os, cache, vm), wrote);
            } catch (Fail f) { // the daemon's images are read together: when the pause image is its only one, name it
                boolean onlyPause = !"local".equals(pauseFrom) && items.stream().filter(i -> i.medium() == Item.Medium.DAEMON).count() == 1;
                throw onlyPause && f.getMessage().contains("docker") ? pauseFailed(pauseItem, pauseFrom, items.get(0), f) : f;
            }
        } finally {
            Temp.delete(tmp);
        }
    }

    // ---- shared

    /**
     * A failure on the pause image (the default item, easily not asked for) names it and the ways out.
     * pauseItem: as given (--pause), null with --no-pause; from: where --via=native took it (nativeTar), else null.
     */
    static Fail pauseFailed(String pauseItem, String pauseFrom, Item item, Fail f) {
        if (pauseItem == null || !item.text().equals(pauseItem) || f.getMessage().isEmpty()) return f;
        return Fail.die("Can't get the pause image [" + pauseItem + "]: " + f.getMessage()
                + ("docker".equals(pauseFrom) ? "; no local registry ($LOCAL_REGISTRY) has it" : "")
                + " (give --pause=IMG, or --no-pause to leave it out)");
    }

    /**
     * The tar, complete or absent (lib/Output): verified before it is put in place when asked,
     * then one line on stderr saying what it holds.
     */
    static void output(Run run, String out, String owner, boolean verify, Output.Body body) {
        output(run, out, owner, verify, body, new String[1]);
    }

    /** wrote[0]: what the body says it wrote ("N images, N layers"), set while it runs; else the tar is read to tell. */
    static void output(Run run, String out, String owner, boolean verify, Output.Body body, String[] wrote) {
        Output.write(run, out, owner, body, verify ? partial -> System.err.println(
                Verify.run(partial.toString()).replace(partial.toString(), out)) : null);
        if (run.dryRun() || !Files.isRegularFile(Path.of(out))) return;
        try {
            String what = wrote[0] != null ? wrote[0] + ", " + Ls.size(Files.size(Path.of(out))) : Ls.summary(out);
            System.err.println("Wrote " + out + ": " + what);
        } catch (java.io.IOException e) {
            throw Fail.die("Can't read [" + out + "]: " + e.getMessage());
        }
    }

    static void requireFolder(Path dir) {
        if (!Files.isDirectory(dir)) throw Fail.die("No such folder [" + dir + "] for --tar: create it first, or name another");
    }

    static void mkdirs(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (java.io.IOException e) {
            throw Fail.die("Can't create folder [" + dir + "]: " + e.getMessage());
        }
    }
}
