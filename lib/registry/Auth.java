package lib.registry;

import lib.exec.Run;
import java.time.Duration;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.*;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import lib.Fail;
import lib.model.JsonValue;

/**
 * Auth as the registry asks for it in its 401's WWW-Authenticate: Basic (the user's
 * credentials, see Credentials), or Bearer (a token from the realm the challenge names, for the
 * scope of one repository, with the credentials when there are some, else anonymous), kept per
 * scope until it expires. Nothing here is ever printed.
 */
final class Auth {
    private static final Pattern PARAM = Pattern.compile("([A-Za-z]+)=\"([^\"]*)\"");

    private final String host;
    private Credentials.Login login; // looked up on the first challenge
    private boolean looked;
    private boolean basic;
    private Map<String, String> bearer; // realm, service of the challenge
    private final Map<String, Token> tokens = new HashMap<>();

    private record Token(String value, long expires) {}

    private final Run run;

    private final HttpClient http; // the registry's client: its TLS settings (--tls-verify) apply to the token server too
    private final Duration headers;

    Auth(Run run, String host, HttpClient http, Duration headers) {
        this.run = run;
        this.http = http;
        this.headers = headers;
        this.host = host;
    }

    /** The Authorization header for a request in this scope (null: none known yet). */
    synchronized String header(String scope) {
        if (basic) return login == null ? null : login.basic();
        if (bearer == null) return null;
        Token t = tokens.get(scope);
        if (t == null || System.currentTimeMillis() > t.expires()) t = token(scope);
        return "Bearer " + t.value();
    }

    /** A 401: learn what the registry wants (a token refused is dropped); true when the request may be tried again. */
    synchronized boolean challenge(String header, String scope) {
        if (header == null) throw Fail.die("Unauthorized [" + host + "]: no WWW-Authenticate");
        String scheme = header.trim().split("\\s+", 2)[0];
        if (scheme.equalsIgnoreCase("Basic")) {
            basic = true;
            if (login() == null) throw Fail.die("Unauthorized [" + host + "]: no credentials for it (" + Credentials.WHERE + ")");
            return true;
        }
        if (!scheme.equalsIgnoreCase("Bearer")) throw Fail.die("Unsupported auth [" + scheme + "] of [" + host + "]");
        Map<String, String> p = new HashMap<>();
        for (Matcher m = PARAM.matcher(header); m.find(); ) p.put(m.group(1).toLowerCase(Locale.ROOT), m.group(2));
        if (p.get("realm") == null) throw Fail.die("Unauthorized [" + host + "]: a Bearer challenge without realm");
        bearer = p;
        tokens.remove(scope);
        return true;
    }

    private Credentials.Login login() {
        if (!looked) {
            login = Credentials.find(run, host);
            looked = true;
        }
        return login;
    }

    /** GET realm?service=S&scope=repository:NAME:pull, with the credentials as Basic when there are some. */
    private Token token(String scope) {
        StringBuilder q = new StringBuilder(bearer.get("realm"));
        String sep = q.indexOf("?") < 0 ? "?" : "&";
        if (bearer.containsKey("service")) {
            q.append(sep).append("service=").append(URLEncoder.encode(bearer.get("service"), StandardCharsets.UTF_8));
            sep = "&";
        }
        if (scope != null) q.append(sep).append("scope=").append(URLEncoder.encode(scope, StandardCharsets.UTF_8));
        URI uri = URI.create(q.toString());
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(headers);
        if (login() != null) b.header("Authorization", login.basic());
        run.say("+ GET " + uri);
        try {
            HttpResponse<InputStream> r = http.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
            byte[] body;
            try (InputStream in = r.body()) {
                if (r.statusCode() != 200) throw Fail.die("Token refused [" + host + "]: HTTP " + r.statusCode() + " from " + uri.getHost());
                body = in.readNBytes((1 << 20) + 1); // a token server is a third party: at most 1 MiB of it
            }
            if (body.length > 1 << 20) throw Fail.die("Token too large [" + host + "]");
            JsonValue j = JsonValue.parse(body);
            String v = j.path("token").asText(j.path("access_token").asText(""));
            if (v.isEmpty()) throw Fail.die("No token [" + host + "] from " + uri.getHost());
            long life = Math.max(60, j.path("expires_in").asLong(60)); // the spec's default and minimum
            Token t = new Token(v, System.currentTimeMillis() + (life - 10) * 1000);
            tokens.put(scope, t);
            return t;
        } catch (javax.net.ssl.SSLException e) {
            throw Fail.die("TLS failed [" + uri.getHost() + "] (token server of " + host + "): " + ConnectFailure.tls(e));
        } catch (IOException e) {
            throw Fail.die("Token server not answering [" + uri.getHost() + "]: " + ConnectFailure.reason(e));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw Fail.die("Interrupted");
        }
    }
}
