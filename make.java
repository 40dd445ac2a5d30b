///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//SOURCES lib/Lib.java
//SOURCES mkimage.java legacy-import.java

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.*;
import java.util.*;
import java.util.concurrent.Callable;
import lib.*;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * make: the pre-pulled images tar.
 * --via=skopeo, images.sh's cmd_make then cmd_mktar, step by step:
 *   1. the pause image, then each item, into the docker daemon (pull, or mkimage an overlay)
 *   2. mktar, as root: skopeo copies each image into a fresh containers-storage tree, then tar
 * --via=native, as any user:
 *   1. each item becomes a source: the docker daemon, a registry through the OCI cache,
 *      an archive, or an overlay built without docker
 *   2. lib/Storage writes the tar of the storage tree itself, reading each layer once
 */
@Command(name = "make", mixinStandardHelpOptions = true,
        description = {"Create a tar with a containers-storage tree (var/lib/containers/storage) holding the images of the items.",
                "ITEM is an image reference with its version (pulled when docker lacks it), or an overlay:"
                        + " OVL (its image/ folder), OVL/SUBDIR, or a folder path.",
                "An overlay with a Dockerfile needs its tag: OVL=NAME:TAG."})
public class make implements Callable<Integer> {
    static final String PAUSE = "k8s.gcr.io/pause:3.1";

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

    @Option(names = "--verify", description = "Check the tar as `images verify` does before it is put in place (not with --tar=-).")
    boolean verify;

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
        String out = tar != null ? tar : Xcluster.tmp().resolve("images.tar").toString();
        if (out.equals("-") && Progress.terminal(1)) throw Fail.usage("Not writing a tar to a terminal: redirect stdout, or give --tar=FILE");
        if (verify && out.equals("-")) throw Fail.usage("--verify needs --tar=FILE");
        verifyOutput = verify;
        List<String> all = new ArrayList<>();
        if (!noPause) all.add(pause);
        all.addAll(items);
        switch (via) {
            case "skopeo" -> {
                List<String> images = new ArrayList<>();
                for (String item : all) images.add(image(item));
                mktar(images, out);
            }
            case "native" -> nativeTar(all, out, tlsVerify);
            default -> throw Fail.usage("Unknown --via [" + via + "]; use native or skopeo");
        }
        return 0;
    }

    /** An item, and the name given to it with OVL=NAME:TAG. */
    record Item(String what, String tag) {
        static Item parse(String item) {
            int eq = item.indexOf('=');
            return eq > 0 ? new Item(item.substring(0, eq), item.substring(eq + 1)) : new Item(item, null);
        }

        boolean isReference() {
            return what.contains(":");
        }

        /** docker://, docker-archive:, oci:, oci-archive: sources. */
        boolean isTransport() {
            return what.matches("(docker|docker-archive|oci-archive|oci):.*");
        }

        /** The image folder of an overlay item, and whether it can be named. */
        Path rootfs() {
            Path rootfs = Xcluster.rootfs(what);
            if (ImageDir.hasDockerfile(rootfs) && tag == null)
                throw Fail.die("No tag for [" + what + "]: give it as " + what + "=NAME:TAG");
            return rootfs;
        }

        /** The manifest of an old-way overlay: get_manifest's search. */
        Path manifest(Path rootfs) {
            if (ImageDir.hasDockerfile(rootfs)) return null;
            Path manifest = Xcluster.manifest(rootfs);
            if (manifest == null) throw Fail.die("Can't find manifest [" + what + "]");
            return manifest;
        }
    }

    /** Step 1: one item into the docker daemon; returns the image name. */
    static String image(String spec) {
        Item item = Item.parse(spec);
        if (item.isTransport()) throw Fail.die("Only --via=native reads [" + item.what() + "]");
        if (item.isReference()) {
            ImageRef.versioned(item.what());
            Docker.pull(item.what());
            return item.what();
        }
        Path rootfs = item.rootfs();
        String name = mkimage.build(rootfs, item.manifest(rootfs), item.tag(), false, false, false);
        if (item.tag() != null && !item.tag().equals(name)) Docker.docker("tag", name, item.tag()).fails("docker tag", item.tag()).changes().run();
        return item.tag() != null ? item.tag() : name;
    }

    /** The native way: each item becomes a source, then the toolkit writes the storage tar itself. */
    static void nativeTar(List<String> items, String out, boolean tlsVerify) {
        Path tmp = Temp.dir("images-make");
        try {
            List<String> sources = new ArrayList<>();
            for (String item : items) {
                Progress.say("Adding [" + item + "]");
                sources.add(source(Item.parse(item), tmp.resolve("item" + sources.size()), tlsVerify));
            }
            if (Exec.dryRun) {
                System.err.println("dry-run: write " + out + " from " + String.join(" ", sources));
                return;
            }
            if ("-".equals(out)) {
                Storage.write(sources, Exec.stdout());
                return;
            }
            Path target = Path.of(out);
            mkdirs(target.toAbsolutePath().getParent());
            Path partial = Temp.partial(target);
            try (OutputStream os = new BufferedOutputStream(Files.newOutputStream(partial), 1 << 16)) {
                Storage.write(sources, os);
            } catch (IOException e) {
                throw Fail.die("Can't write [" + out + "]: " + e.getMessage());
            }
            commit(partial, target);
        } finally {
            Temp.delete(tmp);
        }
    }

    static boolean verifyOutput; // make --verify, mktar --verify

    /** The finished tar: verified when asked, put in place, and one line on stderr saying what it holds. */
    static void commit(Path partial, Path target) {
        if (verifyOutput) System.err.println(Verify.run(partial.toString()).replace(partial.toString(), target.toString()));
        Temp.commit(partial, target);
        System.err.println("Wrote " + target + ": " + Ls.summary(target.toString()));
    }

    /** Where the native way reads an item from; overlays are built here, without docker. */
    static String source(Item item, Path work, boolean tlsVerify) {
        String what = item.what();
        if (what.startsWith("docker://")) return OciCache.fetch(what, tlsVerify);
        if (item.isTransport()) return what;
        if (item.isReference()) {
            ImageRef.versioned(what);
            return what; // from the docker daemon
        }
        Path rootfs = item.rootfs();
        mkdirs(work);
        OverlayImage.Built img = OverlayImage.build(rootfs, item.manifest(rootfs), item.tag(), work);
        String archive = "docker-archive:" + work.resolve("image.tar");
        ImageArchive.write(img, archive);
        return archive;
    }

    /** Step 2: as root, mktar; else re-run only this step through sudo, as images.sh does. */
    static void mktar(List<String> images, String out) {
        if (isRoot()) {
            Mktar.mktar(images, out, null);
            return;
        }
        List<String> argv = new ArrayList<>(List.of("sudo", "env"));
        for (String k : List.of("DOCKER_HOST", "DOCKER", "SKOPEO", "TMPDIR", "PATH")) {
            String v = System.getenv(k);
            if (v != null) argv.add(k + "=" + v);
        }
        argv.addAll(List.of(ProcessHandle.current().info().command().orElse("java"),
                "-cp", System.getProperty("java.class.path"), "make$Mktar", "--user=" + Xcluster.user(), "--tar=" + out));
        if (Exec.verbose) argv.add("--verbose");
        if (verifyOutput) argv.add("--verify");
        argv.addAll(images);
        Exec.of(argv).fails("sudo mktar", out).out("-".equals(out) ? Exec.stdout() : null).showStderr().changes().run();
    }

    static boolean isRoot() {
        return "0".equals(Exec.of("id", "-u").read().trim());
    }

    static void mkdirs(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (java.io.IOException e) {
            throw Fail.die("Can't create folder [" + dir + "]: " + e.getMessage());
        }
    }

    /** mktar (internal, root): skopeo each image into a fresh storage tree, then tar it. */
    @Command(name = "mktar", mixinStandardHelpOptions = true,
            description = {"(internal, root) Copy images from docker into a fresh containers-storage tree with skopeo, then tar it."})
    public static class Mktar implements Callable<Integer> {
        @Mixin Cli.Options options;

        @Option(names = "--user", paramLabel = "USER", description = "Hand the tar to this user.")
        String user;

        @Option(names = "--tar", paramLabel = "FILE", description = "The output (default -: stdout).")
        String tar = "-";

        @Option(names = "--verify", description = "Check the tar as `images verify` does before it is put in place.")
        void verify(boolean v) {
            verifyOutput = v;
        }

        @Parameters(paramLabel = "IMAGE", arity = "1..*", description = "An image in the docker daemon, with its version.")
        List<String> images;

        public static void main(String[] args) {
            System.exit(Cli.run(new Mktar(), args));
        }

        @Override
        public Integer call() {
            if (!isRoot()) throw Fail.die("Must run as \"root\"");
            mktar(images, tar, user);
            return 0;
        }

        static void mktar(List<String> images, String out, String user) {
            Path tmp = Temp.dir("images-mktar");
            try {
                Path root = tmp.resolve("var/lib/containers/storage"), runroot = tmp.resolve("var/run/containers/storage");
                Path skopeoTmp = tmp.resolve("tmp"); // skopeo's big temporary files go away with ours
                mkdirs(skopeoTmp);
                for (String img : images) {
                    System.err.println("Adding [" + img + "]");
                    Skopeo.copyFromDaemon(img, "containers-storage:[overlay@" + root + "+" + runroot + "]" + img)
                            .env("TMPDIR", skopeoTmp.toString()).fails("skopeo failed [" + img + "]").changes().run();
                }
                Temp.unmount(tmp); // skopeo leaves ROOT/overlay mounted on itself
                writeTar(tmp, out, user);
            } finally {
                Temp.delete(tmp);
            }
        }

        /** tar of var/, keeping owners, modes, links, devices and all xattrs; complete or absent. */
        static void writeTar(Path tmp, String out, String user) {
            List<String> argv = List.of("tar", "--xattrs", "--xattrs-include=*", "--numeric-owner", "--sort=name",
                    "-C", tmp.toString(), "-cf", "-", "var");
            if ("-".equals(out)) {
                Exec.of(argv).fails("tar", out).out(Exec.stdout()).changes().run();
                return;
            }
            Path target = Path.of(out);
            Path partial = Temp.partial(target);
            mkdirs(target.toAbsolutePath().getParent());
            try (var os = Files.newOutputStream(partial)) {
                Exec.of(argv).fails("tar", out).out(os).changes().run();
            } catch (java.io.IOException e) {
                throw Fail.die("Can't write [" + out + "]: " + e.getMessage());
            }
            if (Exec.dryRun) return;
            if (user != null) Exec.of("chown", user + ":", partial.toString()).fails("chown", user).run();
            commit(partial, target);
        }
    }
}
