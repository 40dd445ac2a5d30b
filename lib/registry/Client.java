package lib.registry;

import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.*;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedTrustManager;
import lib.exec.Run;
import lib.Fail;

/**
 * One registry host as the Docker Registry HTTP API v2 (OCI distribution) speaks it, with the
 * JDK's own HTTP client: https by default; plain http for the local registry ($LOCAL_REGISTRY)
 * and, as containers/image does, after https failed when TLS is not verified. Redirects are
 * followed here, not by the JDK, so that credentials go only to the registry's own host and
 * port (blob downloads are often redirected to a storage host). Retries with backoff on a
 * broken connection, 5xx and 429 (Retry-After). --verbose shows each request's method and URL,
 * never a header.
 */
public final class Client {
    static final int ATTEMPTS = 5;
    static final Duration CONNECT = Duration.ofSeconds(20), HEADERS = Duration.ofSeconds(60);

    final String host; // host[:port] as the reference has it: [::1]:5000
    private final boolean tlsVerify;
    private final Run run; // --verbose: each request's method and URL
    private final Auth auth;
    private final HttpClient http;
    private String scheme; // decided on first use

    private static final Map<String, Client> clients = new HashMap<>();

    private Client(Run run, String host, boolean tlsVerify) {
        this.host = host;
        this.tlsVerify = tlsVerify;
        this.run = run;
        HttpClient.Builder b = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .followRedirects(HttpClient.Redirect.NEVER).connectTimeout(CONNECT);
        if (!tlsVerify) b.sslContext(trustAll());
        this.http = b.build();
        this.auth = new Auth(run, host, http, HEADERS);
    }

    /** The one client of a host in this run (so tokens and connections are shared). */
    public static synchronized Client of(Run run, String host, boolean tlsVerify) {
        return clients.computeIfAbsent(host + " " + tlsVerify + " " + run, k -> new Client(run, host, tlsVerify));
    }

    /** A response with its body as a stream (the caller closes it). */
    public record Response(int status, HttpResponse<InputStream> raw) implements AutoCloseable {
        public String header(String name) {
            return raw.headers().firstValue(name).orElse(null);
        }

        public InputStream body() {
            return raw.body();
        }

        @Override
        public void close() {
            try {
                raw.body().close();
            } catch (IOException e) {
                // nothing left to read
            }
        }
    }

    /**
     * METHOD /v2/PATH with these headers; auth for `scope` (repository:NAME:pull) as the
     * registry asks for it; redirects, retries. Any status is returned but 401 after auth.
     */
    public Response send(String method, String path, Map<String, String> headers, String scope, HttpRequest.BodyPublisher body) {
        URI uri = path.startsWith("http://") || path.startsWith("https://") ? URI.create(path) : URI.create(scheme() + "://" + host + path);
        for (int attempt = 1; ; attempt++) {
            Response r = follow(method, uri, headers, scope, body);
            if (r.status() == 401 && auth.challenge(r.header("WWW-Authenticate"), scope)) {
                r.close();
                r = follow(method, uri, headers, scope, body);
            }
            if (!retryable(r.status()) || attempt == ATTEMPTS) return r;
            long wait = retryAfter(r.header("Retry-After"), attempt);
            r.close();
            say("retry " + method + " " + uri + " in " + wait + " ms: HTTP " + r.status());
            sleep(wait);
        }
    }

    public Response get(String path, Map<String, String> headers, String scope) {
        return send("GET", path, headers, scope, null);
    }

    static boolean retryable(int status) {
        return status == 429 || status == 500 || status == 502 || status == 503 || status == 504;
    }

    /** Retry-After in seconds (at most 60), else 0.5 s doubled each attempt. */
    static long retryAfter(String header, int attempt) {
        try {
            if (header != null) return Math.min(60, Long.parseLong(header.trim())) * 1000;
        } catch (NumberFormatException e) {
            // an HTTP date: take the backoff
        }
        return 500L << (attempt - 1);
    }

    /** The request, its redirects followed (credentials only to our own host), broken connections retried. */
    private Response follow(String method, URI uri, Map<String, String> headers, String scope, HttpRequest.BodyPublisher body) {
        URI at = uri, base = URI.create(scheme() + "://" + host + "/");
        for (int hops = 0; hops <= 5; hops++) {
            boolean ours = at.getScheme().equals(base.getScheme()) && at.getRawAuthority().equals(base.getRawAuthority());
            HttpRequest.Builder b = HttpRequest.newBuilder(at).timeout(HEADERS)
                    .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : body);
            headers.forEach(b::header);
            String authorization = ours ? auth.header(scope) : null;
            if (authorization != null) b.header("Authorization", authorization);
            Response r = exchange(b.build(), method);
            if (r.status() < 300 || r.status() >= 400 || r.status() == 304 || r.header("Location") == null) return r;
            r.close();
            at = at.resolve(r.header("Location"));
        }
        throw Fail.die("Too many redirects [" + uri + "]");
    }

    private Response exchange(HttpRequest req, String method) {
        say(method + " " + req.uri());
        for (int attempt = 1; ; attempt++) {
            try {
                HttpResponse<InputStream> r = http.send(req, HttpResponse.BodyHandlers.ofInputStream());
                return new Response(r.statusCode(), r);
            } catch (IOException e) {
                // a refused connection is tried twice (a registry restarting), a reset or a timeout ATTEMPTS times
                if (e instanceof SSLException) throw Fail.die("TLS failed [" + host + "]: " + ConnectFailure.tls(e));
                if (attempt == ATTEMPTS || e instanceof ConnectException && attempt == 2)
                    throw Fail.die("Registry not answering [" + host + "]: " + ConnectFailure.reason(e));
                say("retry " + method + " " + req.uri() + ": " + e);
                sleep(retryAfter(null, attempt));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw Fail.die("Interrupted");
            }
        }
    }

    /** http for the local registry; https, else (TLS not verified) http when https does not answer. */
    private synchronized String scheme() {
        if (scheme != null) return scheme;
        if (local(host)) return scheme = "http";
        if (tlsVerify) return scheme = "https";
        try {
            HttpRequest ping = HttpRequest.newBuilder(URI.create("https://" + host + "/v2/")).timeout(CONNECT).build();
            say("GET " + ping.uri());
            http.send(ping, HttpResponse.BodyHandlers.discarding());
            return scheme = "https";
        } catch (SSLException | ConnectException | HttpTimeoutException e) {
            return scheme = "http";
        } catch (IOException e) {
            return scheme = "http";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw Fail.die("Interrupted");
        }
    }

    /** Is this the local registry, $LOCAL_REGISTRY (plain http as images.sh uses it)? */
    static boolean local(String host) {
        String env = System.getenv("LOCAL_REGISTRY");
        if (env == null || env.isBlank()) return false;
        return env.trim().equals(host) || withPort(env.trim()).equals(host);
    }

    void say(String line) {
        run.say("+ " + line);
    }

    /** host, host:port, IPv6 (bare or in brackets, with or without port) as an address: IPv6 in brackets, no port added (80). */
    public static String withPort(String a) {
        return a.chars().filter(c -> c == ':').count() > 1 && !a.startsWith("[") ? "[" + a + "]" : a;
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw Fail.die("Interrupted");
        }
    }

    /**
     * --tls-verify=false: any certificate, any host name (as skopeo's flag means), for this client
     * only. An extended trust manager: the JDK wraps a plain one in its own, which checks the
     * host name all the same (and then only a JVM-wide property turns that off).
     */
    private static SSLContext trustAll() {
        TrustManager any = new X509ExtendedTrustManager() {
            public void checkClientTrusted(X509Certificate[] c, String a) {}

            public void checkServerTrusted(X509Certificate[] c, String a) {}

            public void checkClientTrusted(X509Certificate[] c, String a, Socket s) {}

            public void checkServerTrusted(X509Certificate[] c, String a, Socket s) {}

            public void checkClientTrusted(X509Certificate[] c, String a, SSLEngine e) {}

            public void checkServerTrusted(X509Certificate[] c, String a, SSLEngine e) {}

            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        };
        try {
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, new TrustManager[] {any}, null);
            return ctx;
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The token scope of a repository: repository:REPO:ACTIONS. */
    static String scope(String repo, String actions) {
        return "repository:" + repo + ":" + actions;
    }

    /** Not 2xx: an error naming the image. */
    static void check(Client.Response r, String where, String what) {
        int s = r.status();
        if (s >= 200 && s < 300) return;
        if (s == 404) throw Fail.die("Not found [" + where + "]: " + what);
        if (s == 401 || s == 403) throw Fail.die("Unauthorized [" + where + "]: HTTP " + s + " for " + what);
        throw Fail.die("Registry error [" + where + "]: HTTP " + s + " for " + what);
    }
}
