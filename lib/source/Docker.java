package lib.source;

import lib.Fail;
import lib.exec.Exec;
import lib.exec.Run;
import lib.exec.Temp;
import lib.model.ImageRef;
import lib.tar.TarIndex;
import lib.tar.Tars;
import java.io.*;
import java.nio.file.*;
import java.util.*;

/** The docker helpers of images.sh, on the daemon that DOCKER_HOST names; the command's options (Run) with each. */
public final class Docker {
    private Docker() {}

    /** The docker client: $DOCKER, else `docker` on the PATH. */
    public static String bin() {
        String d = System.getenv("DOCKER");
        return d != null && !d.isBlank() ? d : "docker";
    }

    public static Exec docker(Run run, String... args) {
        List<String> argv = new ArrayList<>();
        argv.add(bin());
        argv.addAll(Arrays.asList(args));
        return Exec.of(run, argv);
    }

    /** in_docker: does the daemon have this image? It must have a version. */
    public static boolean has(Run run, String image) {
        ImageRef.versioned(image);
        return docker(run, "image", "inspect", "--format", "{{.Id}}", image).ok();
    }

    /** The image id (sha256:...) of an image the daemon has. */
    public static String id(Run run, String image) {
        return docker(run, "image", "inspect", "--format", "{{.Id}}", image).fails("Can't find image [" + image + "]").read().trim();
    }

    /** `docker pull` unless the daemon already has it. */
    public static void pull(Run run, String image) {
        if (has(run, image)) return;
        docker(run, "pull", image).fails("Pull failed [" + image + "]").changes().run();
    }

    /** docker_export: the files of an image as a tar (create a container, export it, remove it). */
    public static void export(Run run, String image, OutputStream out) {
        if (!has(run, image)) throw Fail.die("Can't find image [" + image + "]");
        String c = docker(run, "create", image, "sh").fails("FAILED; docker create").changes().read().trim();
        if (c.isEmpty()) return; // dry-run
        try {
            docker(run, "export", c).fails("docker export", image).out(out).run();
        } finally {
            docker(run, "rm", c).ok();
        }
    }

    /** docker_ls: the image's files, sorted. */
    public static List<String> ls(Run run, String image) {
        try {
            java.nio.channels.Pipe pipe = java.nio.channels.Pipe.open();
            var names = java.util.concurrent.CompletableFuture.supplyAsync(
                    () -> Tars.names(java.nio.channels.Channels.newInputStream(pipe.source())));
            try (OutputStream out = java.nio.channels.Channels.newOutputStream(pipe.sink())) {
                export(run, image, out);
            }
            List<String> sorted = new ArrayList<>(names.join());
            Collections.sort(sorted);
            return sorted;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (java.util.concurrent.CompletionException e) {
            throw e.getCause() instanceof Fail f ? f : e;
        }
    }

    /** `docker save IMAGE` into a file of a fresh temporary folder. */
    public static Path save(Run run, String image, Path dir) {
        docker(run, "inspect", image).fails("Failed; docker inspect").read();
        Path tar = dir.resolve("img.tar");
        docker(run, "save", "-o", tar.toString(), image).fails("Failed; docker save").run();
        return tar;
    }

    /** docker_ls_layers: `=== Layer; PATH`, then the files of that layer, for each layer. */
    public static void lsLayers(Run run, String image, PrintStream out) {
        Path tmp = Temp.dir("images");
        try {
            TarIndex saved = TarIndex.of(save(run, image, tmp), "docker save " + image);
            for (String layer : DockerArchive.layerFiles(saved, "docker save " + image)) {
                out.println("=== Layer; " + layer);
                try (InputStream in = saved.opener(layer).open()) {
                    for (String n : Tars.names(in)) out.println(n);
                }
            }
        } catch (IOException e) {
            throw Fail.die("Can't read [docker save " + image + "]: " + e.getMessage());
        } finally {
            Temp.delete(tmp);
        }
    }

    /** docker_save_layers: unpack the named layers, in order, into one folder; its tar on out. */
    public static void saveLayers(Run run, String image, List<String> layers, OutputStream out) {
        if (layers.isEmpty()) throw Fail.usage("No layer");
        Path tmp = Temp.dir("images");
        Path files = tmp.resolve("files");
        try {
            TarIndex saved = TarIndex.of(save(run, image, tmp), "docker save " + image);
            Files.createDirectory(files);
            for (String layer : layers) {
                try (InputStream in = saved.opener(layer).open()) {
                    Exec.of(run, "tar", "-x", "-C", files.toString()).fails("tar", layer).in(in).run();
                }
            }
            Exec.of(run, "tar", "-c", "-C", files.toString(), ".").fails("tar", image).out(out).run();
        } catch (IOException e) {
            throw Fail.die("Can't read [docker save " + image + "]: " + e.getMessage());
        } finally {
            Temp.delete(tmp);
        }
    }

    /** docker_flush: remove all containers and images; only with --really. */
    public static void flush(Run run, boolean really) {
        if (!really) throw Fail.die("THIS WILL WIPE YOUR ENTIRE DOCKER. Invoke with --really");
        List<String> containers = words(docker(run, "ps", "-a", "-q").read());
        if (!containers.isEmpty()) docker(run, concat(List.of("rm", "-f"), containers)).changes().run();
        List<String> images = words(docker(run, "images", "-q").read());
        if (!images.isEmpty()) docker(run, concat(List.of("rmi", "-f"), new ArrayList<>(new LinkedHashSet<>(images)))).changes().run();
    }

    private static Exec docker(Run run, List<String> args) {
        return docker(run, args.toArray(String[]::new));
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> l = new ArrayList<>(a);
        l.addAll(b);
        return l;
    }

    static List<String> words(String s) {
        List<String> l = new ArrayList<>();
        for (String w : s.trim().split("\\s+")) if (!w.isEmpty()) l.add(w);
        return l;
    }
}
