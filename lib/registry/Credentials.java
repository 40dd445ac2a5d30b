package lib.registry;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.*;
import lib.exec.Exec;
import lib.exec.Run;
import lib.Fail;
import lib.model.JsonValue;

/**
 * A registry login, found where podman and docker keep them, first file first:
 * $REGISTRY_AUTH_FILE, $XDG_RUNTIME_DIR/containers/auth.json, then docker's
 * $DOCKER_CONFIG/config.json (default ~/.docker/config.json). In each: `credHelpers` for the host,
 * `credsStore`, then `auths` (base64 of USER:PASSWORD; keys may carry a scheme and a path).
 * A helper is `docker-credential-NAME get`, the host on its stdin (run as every program is).
 */
final class Credentials {
    static final String WHERE = "REGISTRY_AUTH_FILE, containers/auth.json or ~/.docker/config.json";

    /** A user and secret; toString() hides them. */
    record Login(String user, String secret) {
        String basic() {
            return "Basic " + Base64.getEncoder().encodeToString((user + ":" + secret).getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public String toString() {
            return "Login[***]";
        }
    }

    private Credentials() {}

    static List<Path> files() {
        List<Path> l = new ArrayList<>();
        String f = System.getenv("REGISTRY_AUTH_FILE");
        if (f != null && !f.isBlank()) l.add(Path.of(f));
        String xdg = System.getenv("XDG_RUNTIME_DIR");
        if (xdg != null && !xdg.isBlank()) l.add(Path.of(xdg, "containers", "auth.json"));
        String dc = System.getenv("DOCKER_CONFIG");
        String home = System.getenv("HOME") != null ? System.getenv("HOME") : System.getProperty("user.home");
        l.add(dc != null && !dc.isBlank() ? Path.of(dc, "config.json") : Path.of(home, ".docker", "config.json"));
        return l;
    }

    /** The login for a registry host (host[:port]), or null: anonymous. */
    static Login find(Run run, String host) {
        for (Path f : files()) {
            if (!Files.isRegularFile(f)) continue;
            JsonValue j = read(f);
            String helper = j.path("credHelpers").path(host).asText(null);
            if (helper == null) helper = j.path("credsStore").asText(null);
            if (helper != null) {
                Login l = helper(run, helper, host);
                if (l != null) return l;
            }
            for (Map.Entry<String, JsonValue> e : j.path("auths").fields().entrySet())
                if (hostOf(e.getKey()).equals(host)) {
                    Login l = decode(e.getValue().path("auth").asText(""), f);
                    if (l != null) return l;
                }
        }
        return null;
    }

    /** "https://host:port/v1/" -> "host:port", as docker matches the keys of `auths`. */
    static String hostOf(String key) {
        String k = key.replaceFirst("^[a-zA-Z][a-zA-Z0-9+.-]*://", "");
        int slash = k.indexOf('/');
        return slash < 0 ? k : k.substring(0, slash);
    }

    static Login decode(String auth, Path file) {
        if (auth.isEmpty()) return null;
        String s;
        try {
            s = new String(Base64.getDecoder().decode(auth.trim()), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw Fail.die("Invalid auth in [" + file + "]: not base64");
        }
        int c = s.indexOf(':');
        if (c < 0) throw Fail.die("Invalid auth in [" + file + "]: not USER:PASSWORD");
        return new Login(s.substring(0, c), s.substring(c + 1));
    }

    /** docker-credential-NAME get; "not found" (any failure of the helper) means no login here. */
    static Login helper(Run run, String name, String host) {
        if (!name.matches("[A-Za-z0-9_.-]+")) throw Fail.die("Invalid credential helper [" + name + "]");
        String out;
        try {
            out = Exec.of(run, "docker-credential-" + name, "get").fails("docker-credential-" + name + " get failed [" + host + "]")
                    .in(new ByteArrayInputStream(host.getBytes(StandardCharsets.UTF_8))).read();
        } catch (Fail f) {
            return null;
        }
        try {
            JsonValue j = JsonValue.parse(out.getBytes(StandardCharsets.UTF_8));
            String user = j.path("Username").asText(""), secret = j.path("Secret").asText("");
            return secret.isEmpty() ? null : new Login(user, secret);
        } catch (IOException e) {
            throw Fail.die("Invalid answer of [docker-credential-" + name + "] for [" + host + "]");
        }
    }

    private static JsonValue read(Path f) {
        try {
            if (Files.size(f) > 4 << 20) throw Fail.die("Too large [" + f + "]");
            return JsonValue.parse(Files.readAllBytes(f));
        } catch (IOException e) {
            throw Fail.die("Can't read [" + f + "]: " + e.getMessage());
        }
    }
}
