package lib.source;

import lib.Fail;
import lib.exec.Exec;
import lib.exec.Run;
import lib.exec.Skopeo;
import lib.exec.Temp;
import lib.model.Digest;
import lib.model.Image;
import lib.model.ImageRef;
import lib.model.Layer;
import lib.model.Platform;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import lib.registry.Catalog;
import lib.registry.Client;
import lib.registry.Push;

/**
 * The local registry as today's images.sh finds it: $LOCAL_REGISTRY (host or host:port, IPv6 in
 * brackets or bare), else the address of the docker container named `registry` (port 80, plain
 * http, as xcluster runs it), its IPv6 address when it has no IPv4 one.
 * With it the command's options: run (--verbose, --dry-run), viaSkopeo (--via=skopeo for the
 * lreg_* commands: images.sh's own path, skopeo, and docker for uploads), srcTlsVerify
 * (lreg_cache --tls-verify: of the external registry; the local one is plain http).
 */
public record Registry(String address, Run run, boolean viaSkopeo, boolean srcTlsVerify) {
    public static Registry local(Run run) {
        String env = System.getenv("LOCAL_REGISTRY");
        if (env != null && !env.isBlank()) return new Registry(Client.withPort(env.trim()), run, false, true);
        String ip = Docker.docker(run, "inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}} {{.GlobalIPv6Address}}{{end}}",
                "registry").fails("Can't get address of the local registry").read().trim();
        if (ip.isEmpty()) throw Fail.die("Can't get address of the local registry");
        return new Registry(Client.withPort(ip.split("\\s+")[0]), run, false, true);
    }


    /** lreg_ls: each repository, then its tags as compact JSON (the registry client: pages, auth, IPv6). */
    public void ls(PrintStream out) {
        Catalog.ls(run, address, out);
    }

    /** This registry with the lreg_* commands' --via (skopeo: true) and --tls-verify (of the external registry). */
    public Registry via(boolean skopeo, boolean srcTlsVerify) {
        return new Registry(address, run, skopeo, srcTlsVerify);
    }

    /**
     * The registry's name for an image: REG/IMAGE as given, as images.sh does; with --strip-host
     * (and always for a host:port, which is no valid path element) without the registry host.
     */
    public String name(String image, boolean stripHost) {
        ImageRef r = ImageRef.versioned(image);
        boolean dropHost = stripHost || r.domain().contains(":") || r.domain().startsWith("[");
        return address + "/" + (dropHost ? r.withoutHost() : image);
    }

    /** lreg_cache: copy an external image (its first path element a host) into the registry. */
    public void cache(String image) {
        String host = image.contains("/") ? image.substring(0, image.indexOf('/')) : image;
        try {
            InetAddress.getByName(host.replaceFirst(":[0-9]+$", "").replaceAll("^\\[|\\]$", ""));
        } catch (UnknownHostException e) {
            throw Fail.die("Unknown host [" + host + "]");
        }
        if (!viaSkopeo) {
            if (dryRun("copy docker://" + image + " to docker://" + name(image, true))) return;
            Push.copy(run, image, srcTlsVerify, name(image, true));
            return;
        }
        Skopeo.skopeo(run, "copy", "--src-tls-verify=" + srcTlsVerify, "--dest-tls-verify=false", "docker://" + image, "docker://" + name(image, true))
                .fails("lreg_cache", image).changes().showStderr().run();
    }

    /** lreg_upload: copy an image from the docker daemon into the registry. */
    public void upload(String image, boolean stripHost) {
        if (!viaSkopeo) {
            try {
                uploadSaved(image, name(image, stripHost));
            } catch (Fail f) {
                throw Fail.die("Upload failed [" + image + "]: " + f.getMessage());
            }
            return;
        }
        Skopeo.copyFromDaemon(run, image, "docker://" + name(image, stripHost), "--dest-tls-verify=false")
                .fails("Upload failed [" + image + "]").changes().run();
    }

    /** Copies an image file (docker-archive:FILE, oci-archive:FILE) into the registry as NAME, rootless. */
    public void upload(String source, String image, boolean stripHost) {
        if (!viaSkopeo) {
            try {
                if (!dryRun("push " + source + " to docker://" + name(image, stripHost)))
                    push(tmp -> Sources.of(run, Platform.host(), Item.parse(source), tmp, true), name(image, stripHost));
            } catch (Fail f) {
                throw Fail.die("Upload failed [" + image + "]: " + f.getMessage());
            }
            return;
        }
        Skopeo.skopeo(run, "copy", "--dest-tls-verify=false", source, "docker://" + name(image, stripHost))
                .fails("Upload failed [" + image + "]").changes().run();
    }

    public void inspect(String image) {
        if (!viaSkopeo) {
            Catalog.inspect(run, address + "/" + image, System.out);
            return;
        }
        Skopeo.skopeo(run, "inspect", "--tls-verify=false", "docker://" + address + "/" + image)
                .fails("lreg_inspect", image).out(Exec.stdout()).run();
    }

    public void rm(String image) {
        if (!viaSkopeo) {
            if (!dryRun("delete docker://" + address + "/" + image)) Catalog.rm(run, address + "/" + image);
            return;
        }
        Skopeo.skopeo(run, "delete", "--tls-verify=false", "docker://" + address + "/" + image)
                .fails("lreg_rm", image).changes().run();
    }

    private boolean dryRun(String what) {
        if (run.dryRun()) System.err.println("dry-run: " + what);
        return run.dryRun();
    }

    /** lreg_upload without skopeo: the image from `docker save`. */
    void uploadSaved(String image, String target) {
        if (dryRun("docker save " + image + " | push to docker://" + target)) return;
        push(tmp -> new DockerArchive(Docker.save(run, image, tmp), image, "docker save " + image, Platform.host()), target);
    }

    /**
     * Pushes the one image of a source: each layer blob as the source has it (skipped when the
     * registry has it), the config, then its manifest as it is, or for a docker archive (which has
     * none) a docker schema 2 manifest of its uncompressed layers.
     */
    void push(java.util.function.Function<Path, Source> source, String target) {
        Path tmp = Temp.dir("images-upload");
        try {
            Image img = source.apply(tmp).images(tmp).get(0);
            Push push = new Push(run, target, false);
            StringBuilder layers = new StringBuilder();
            for (Layer l : img.layers()) {
                long size = push.blob(l.digest(), l.opener()::open);
                layers.append(layers.length() > 0 ? "," : "").append("{\"mediaType\":\"application/vnd.docker.image.rootfs.diff.tar\",\"size\":")
                        .append(size).append(",\"digest\":\"").append(l.digest()).append("\"}");
            }
            Digest config = Digest.of(img.config());
            push.blob(config, () -> new java.io.ByteArrayInputStream(img.config()));
            byte[] manifest = img.manifest() != null ? img.manifest() : ("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.docker.distribution.manifest.v2+json\","
                    + "\"config\":{\"mediaType\":\"application/vnd.docker.container.image.v1+json\",\"size\":" + img.config().length + ",\"digest\":\""
                    + config + "\"},\"layers\":[" + layers + "]}").getBytes(java.nio.charset.StandardCharsets.UTF_8);
            ImageRef t = ImageRef.parse(target);
            push.manifest(t.tag() != null ? t.tag() : "latest", Push.mediaType(manifest), manifest);
        } finally {
            Temp.delete(tmp);
        }
    }
}
