///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//SOURCES lib/Lib.java
//SOURCES mkimage.java legacy-import.java

import java.nio.file.*;
import java.util.*;
import java.util.concurrent.Callable;
import lib.*;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * make: the pre-pulled images tar, images.sh's cmd_make then cmd_mktar, step by step.
 *   1. the pause image, then each item, into the docker daemon (pull, or mkimage an overlay)
 *   2. mktar, as root: skopeo copies each image into a fresh containers-storage tree, then tar
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

    @Option(names = "--via", paramLabel = "HOW", description = "skopeo: the classic way (docker, skopeo as root, tar).")
    String via = "skopeo";

    @Parameters(paramLabel = "ITEM", arity = "1..*")
    List<String> items;

    public static void main(String[] args) {
        System.exit(Cli.run(new make(), args));
    }

    @Override
    public Integer call() {
        if (!via.equals("skopeo")) throw Fail.usage("Unknown --via [" + via + "]; use skopeo");
        String out = tar != null ? tar : Xcluster.tmp().resolve("images.tar").toString();
        List<String> all = new ArrayList<>();
        if (!noPause) all.add(pause);
        all.addAll(items);
        List<String> images = new ArrayList<>();
        for (String item : all) images.add(image(item));
        mktar(images, out);
        return 0;
    }

    /** Step 1: one item into the docker daemon; returns the image name. */
    static String image(String item) {
        int eq = item.indexOf('=');
        if (eq > 0) return overlay(item.substring(0, eq), item.substring(eq + 1));
        if (item.contains(":")) {
            ImageRef.versioned(item);
            Docker.pull(item);
            return item;
        }
        return overlay(item, null);
    }

    /** An overlay item: its image folder built by mkimage. */
    static String overlay(String item, String tag) {
        Path rootfs = Xcluster.rootfs(item);
        if (Files.isReadable(rootfs.resolve("Dockerfile"))) {
            if (tag == null) throw Fail.die("No tag for [" + item + "]: give it as " + item + "=NAME:TAG");
            return mkimage.build(rootfs, null, tag, false, false, false);
        }
        Path manifest = Xcluster.manifest(rootfs);
        if (manifest == null) throw Fail.die("Can't find manifest [" + item + "]");
        String name = mkimage.build(rootfs, manifest, null, false, false, false);
        if (tag != null && !tag.equals(name)) Docker.docker("tag", name, tag).fails("docker tag", tag).changes().run();
        return tag != null ? tag : name;
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

        @Parameters(paramLabel = "IMAGE", arity = "1..*")
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
            Temp.commit(partial, target);
        }
    }
}
