package lib.source;

import lib.Fail;
import lib.exec.Exec;
import lib.exec.Skopeo;
import lib.model.ImageRef;
import lib.model.JsonValue;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** The local registry: $LOCAL_REGISTRY, else the docker container named `registry`, port 5000. */
public record Registry(String address) {
    public static Registry local() {
        String env = System.getenv("LOCAL_REGISTRY");
        if (env != null && !env.isBlank()) return new Registry(withPort(env.trim()));
        String ip = Docker.docker("inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", "registry")
                .fails("Can't get address of the local registry").read().trim();
        if (ip.isEmpty()) throw Fail.die("Can't get address of the local registry");
        return new Registry(withPort(ip));
    }

    /** host, host:port, IPv6 (bare or in brackets, with or without port) into host:port. */
    static String withPort(String a) {
        if (a.startsWith("[")) return a.contains("]:") ? a : a + ":5000";
        long colons = a.chars().filter(c -> c == ':').count();
        if (colons > 1) return "[" + a + "]:5000";
        return colons == 1 ? a : a + ":5000";
    }

    /** lreg_ls: each repository, then its tags as compact JSON. */
    public void ls(PrintStream out) {
        for (JsonValue repo : get("/v2/_catalog").path("repositories")) {
            out.println(repo.asText() + ":");
            out.println("  " + get("/v2/" + repo.asText() + "/tags/list").path("tags").toJson());
        }
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
        Skopeo.skopeo("copy", "--dest-tls-verify=false", "docker://" + image, "docker://" + name(image, true))
                .fails("lreg_cache", image).changes().showStderr().run();
    }

    /** lreg_upload: copy an image from the docker daemon into the registry. */
    public void upload(String image, boolean stripHost) {
        Skopeo.copyFromDaemon(image, "docker://" + name(image, stripHost), "--dest-tls-verify=false")
                .fails("Upload failed [" + image + "]").changes().run();
    }

    /** Copies an image file (docker-archive:FILE, oci-archive:FILE) into the registry as NAME, rootless. */
    public void upload(String source, String image, boolean stripHost) {
        Skopeo.skopeo("copy", "--dest-tls-verify=false", source, "docker://" + name(image, stripHost))
                .fails("Upload failed [" + image + "]").changes().run();
    }

    public void inspect(String image) {
        Skopeo.skopeo("inspect", "--tls-verify=false", "docker://" + address + "/" + image)
                .fails("lreg_inspect", image).out(Exec.stdout()).run();
    }

    public void rm(String image) {
        Skopeo.skopeo("delete", "--tls-verify=false", "docker://" + address + "/" + image)
                .fails("lreg_rm", image).changes().run();
    }

    JsonValue get(String path) {
        URI uri = URI.create("http://" + address + path);
        if (Exec.verbose) System.err.println("+ GET " + uri);
        try {
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30)).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            if (r.statusCode() != 200) throw Fail.die("Registry error [" + uri + "]: HTTP " + r.statusCode());
            return JsonValue.parse(r.body());
        } catch (IOException e) {
            throw Fail.die("Registry not answering [" + address + "]: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw Fail.die("Interrupted");
        }
    }
}
