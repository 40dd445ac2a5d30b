package lib.source;

import lib.Fail;
import lib.exec.Run;
import lib.exec.Xcluster;
import lib.model.ImageRef;
import lib.overlay.ImageDir;
import java.nio.file.Path;

/**
 * An argument of make (or of Storage.write), parsed once: which medium holds the image, and
 * what in it. Transports are named as skopeo names them:
 * <ul>
 * <li>REF or docker-daemon:REF: the docker daemon (pulled when missing);
 * <li>docker://REF: a registry, through the OCI cache;
 * <li>docker-archive:PATH[:REF], oci:DIR[:REF], oci-archive:PATH[:REF]: a file or folder;
 * <li>OVL, OVL/SUBDIR or a folder path (no colon): an overlay image folder; OVL=NAME:TAG names it.
 * </ul>
 *
 * @param text     the item as given, for messages
 * @param location the path of an archive or layout, or the overlay as given
 * @param ref      the image reference (daemon, registry), or the one chosen in an archive (may be null)
 * @param tag      OVL=NAME:TAG's name (null when not given)
 */
public record Item(String text, Medium medium, String location, String ref, String tag) {
    public enum Medium { DAEMON, REGISTRY, DOCKER_ARCHIVE, OCI, OCI_ARCHIVE, OVERLAY }

    public static Item parse(String s) {
        if (s == null || s.isBlank()) throw Fail.usage("No image");
        int eq = s.indexOf('=');
        String what = eq > 0 ? s.substring(0, eq) : s, tag = eq > 0 ? s.substring(eq + 1) : null;
        if (what.startsWith("docker://")) return reference(s, Medium.REGISTRY, what.substring("docker://".length()));
        if (what.startsWith("docker-daemon:")) return reference(s, Medium.DAEMON, what.substring("docker-daemon:".length()));
        if (what.startsWith("docker-archive:")) return archive(s, Medium.DOCKER_ARCHIVE, what.substring("docker-archive:".length()));
        if (what.startsWith("oci-archive:")) return archive(s, Medium.OCI_ARCHIVE, what.substring("oci-archive:".length()));
        if (what.startsWith("oci:")) return archive(s, Medium.OCI, what.substring("oci:".length()));
        if (what.matches("^[a-z][a-z0-9+.-]*:.*") && what.contains("://")) throw Fail.die("Unsupported source [" + what + "]");
        if (what.contains(":")) return reference(s, Medium.DAEMON, what);
        return new Item(s, Medium.OVERLAY, what, null, tag);
    }

    /** A daemon or registry image: it must have a version, as images.sh says. */
    private static Item reference(String s, Medium m, String ref) {
        ImageRef.versioned(ref);
        return new Item(s, m, null, ref, null);
    }

    /** PATH[:REF] */
    private static Item archive(String s, Medium m, String rest) {
        int c = rest.indexOf(':');
        String path = c < 0 ? rest : rest.substring(0, c);
        String ref = c < 0 || c == rest.length() - 1 ? null : rest.substring(c + 1);
        if (path.isEmpty()) throw Fail.usage("No path in [" + s + "]");
        return new Item(s, m, path, ref, null);
    }

    /** An image reference, as the classic way's docker takes it (docker-archive and OCI need --via=native). */
    public boolean isReference() {
        return medium == Medium.DAEMON;
    }

    public boolean isOverlay() {
        return medium == Medium.OVERLAY;
    }

    /** The image folder of an overlay item; one with a Dockerfile must be named. */
    public Path rootfs(Run run) {
        Path rootfs = Xcluster.rootfs(run, location);
        if (ImageDir.hasDockerfile(rootfs) && tag == null)
            throw Fail.die("No tag for [" + location + "]: give it as " + location + "=NAME:TAG");
        return rootfs;
    }

    /** The manifest of an old-way overlay (get_manifest's search), null with a Dockerfile. */
    public Path manifest(Path rootfs) {
        if (ImageDir.hasDockerfile(rootfs)) return null;
        Path manifest = Xcluster.manifest(rootfs);
        if (manifest == null) throw Fail.die("Can't find manifest [" + location + "]");
        return manifest;
    }

    @Override
    public String toString() {
        return text;
    }
}
