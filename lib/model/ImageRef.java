package lib.model;

import lib.Fail;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An image reference, parsed in exactly one place: [DOMAIN/]PATH[:TAG][@DIGEST].
 * The domain is the first path element when it has a '.' or ':' or is localhost,
 * else docker.io; single-element docker.io paths get library/.
 */
public record ImageRef(String domain, String path, String tag, String digest) {
    public static final String DOCKER_IO = "docker.io";
    private static final String COMPONENT = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
    private static final Pattern REF = Pattern.compile(
            "^(?:(?<domain>(?:\\[[0-9a-fA-F:]+\\]|[a-zA-Z0-9.-]+)(?::[0-9]+)?)/(?=.))?"
                    + "(?<path>[a-z0-9]+(?:[._-]+[a-z0-9]+|__[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*)"
                    + "(?::(?<tag>[\\w][\\w.-]{0,127}))?(?:@(?<digest>" + Digest.GRAMMAR + "))?$");

    public static ImageRef parse(String s) {
        if (s == null || s.isBlank()) throw Fail.usage("No image");
        Matcher m = REF.matcher(s);
        if (!m.matches()) throw Fail.die("Invalid image reference [" + s + "]");
        String domain = m.group("domain");
        String path = m.group("path");
        if (domain != null && !domain.contains(".") && !domain.contains(":") && !domain.equals("localhost")
                && !domain.startsWith("[")) {
            // "nordixorg/mconnect": a docker.io user, not a host, so it must be a path component
            if (!domain.matches(COMPONENT)) throw Fail.die("Invalid image reference [" + s + "]");
            path = domain + "/" + path;
            domain = null;
        }
        if (!path.equals(path.toLowerCase())) throw Fail.die("Invalid image reference [" + s + "]");
        if (domain == null) domain = DOCKER_IO;
        if (domain.equals(DOCKER_IO) && !path.contains("/")) path = "library/" + path;
        return new ImageRef(domain, path, m.group("tag"), m.group("digest"));
    }

    /** The name the store keeps for a reference: docker.io/library/x:tag (latest when it has no version), as skopeo writes it. */
    public static String stored(String ref) {
        ImageRef r = parse(ref);
        return (r.hasVersion() ? r : r.withTag("latest")).full();
    }

    /** Parses and requires a tag or digest: images.sh's "Image must have a version". */
    public static ImageRef versioned(String s) {
        ImageRef r = parse(s);
        if (!r.hasVersion()) throw Fail.die("Image must have a version [" + s + "] (give a tag, e.g. " + s + ":latest)");
        return r;
    }

    public boolean hasVersion() {
        return tag != null || digest != null;
    }

    /** docker.io/library/alpine:3.8 */
    public String full() {
        return domain + "/" + path + version();
    }

    /** alpine:3.8, the way docker prints it. */
    public String familiar() {
        String p = path;
        if (domain.equals(DOCKER_IO)) {
            if (p.startsWith("library/") && p.indexOf('/', 8) < 0) p = p.substring(8);
            return p + version();
        }
        return domain + "/" + p + version();
    }

    /** The reference without its first path element (the registry host): `--strip-host`. */
    public String withoutHost() {
        return path + version();
    }

    public String version() {
        return (tag != null ? ":" + tag : "") + (digest != null ? "@" + digest : "");
    }

    public ImageRef withTag(String t) {
        return new ImageRef(domain, path, t, null);
    }

    @Override
    public String toString() {
        return full();
    }
}
