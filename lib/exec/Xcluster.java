package lib.exec;

import lib.Fail;
import java.nio.file.*;
import java.util.*;

/** The xcluster context: $XCLUSTER, XCLUSTER_TMP, overlay folders. */
public final class Xcluster {
    private Xcluster() {}

    /** $XCLUSTER, required and executable (get_rootfs's checks). */
    public static String script() {
        String x = System.getenv("XCLUSTER");
        if (x == null || x.isBlank()) throw Fail.die("Not set [$XCLUSTER]: export XCLUSTER=/path/to/xcluster/xcluster.sh (xcluster's own script)");
        if (!Files.isRegularFile(Path.of(x)) || !Files.isExecutable(Path.of(x))) throw Fail.die("Not executable [" + x + "]");
        return x;
    }

    /** XCLUSTER_TMP: from the environment, else from `$XCLUSTER env`, else /tmp/$USER/xcluster/tmp. */
    public static Path tmp(Run run) {
        String t = System.getenv("XCLUSTER_TMP");
        if (t != null && !t.isBlank()) return Path.of(t);
        String x = System.getenv("XCLUSTER");
        if (x != null && !x.isBlank() && Files.isRegularFile(Path.of(x)) && Files.isExecutable(Path.of(x))) {
            String v = env(run, x).get("XCLUSTER_TMP");
            if (v != null && !v.isBlank()) return Path.of(v);
        }
        return Path.of("/tmp", user(), "xcluster", "tmp");
    }

    /** The assignments `$XCLUSTER env` prints, as a map. */
    static Map<String, String> env(Run run, String xcluster) {
        Map<String, String> m = new LinkedHashMap<>();
        for (String line : Exec.of(run, xcluster, "env").fails("xcluster env", xcluster).read().split("\n")) {
            line = line.trim().replaceFirst("^export\\s+", "");
            int eq = line.indexOf('=');
            if (eq <= 0 || !line.substring(0, eq).matches("[A-Za-z_][A-Za-z0-9_]*")) continue;
            m.put(line.substring(0, eq), line.substring(eq + 1).replaceAll("^['\"]|['\"]$", ""));
        }
        return m;
    }

    private static boolean isBlank(String env) {
        String v = System.getenv(env);
        return v == null || v.isBlank();
    }

    public static String user() {
        String u = System.getenv("USER");
        return u != null && !u.isBlank() ? u : System.getProperty("user.name");
    }

    /**
     * The folder of an overlay. A folder path is taken as it is; else the first
     * DIR/NAME in $XCLUSTER_OVLPATH, else what `$XCLUSTER ovld NAME` says.
     */
    public static Path ovld(Run run, String name) {
        Path p = Path.of(name);
        if ((name.contains("/") || name.startsWith(".")) && Files.isDirectory(p)) return p.toAbsolutePath().normalize();
        String ovlpath = System.getenv("XCLUSTER_OVLPATH");
        if (ovlpath != null && !ovlpath.isBlank()) {
            for (String dir : ovlpath.split(":")) {
                Path d = Path.of(dir, name);
                if (!dir.isEmpty() && Files.isDirectory(d)) return d.toAbsolutePath().normalize();
            }
            throw Fail.die("Can't find ovl [" + name + "] in $XCLUSTER_OVLPATH [" + ovlpath + "]");
        }
        String out = Exec.of(run, script(), "ovld", name).fails("Can't find ovl [" + name + "] (by $XCLUSTER ovld)").read().trim();
        if (out.isEmpty() || !Files.isDirectory(Path.of(out))) throw Fail.die("Can't find ovl [" + name + "] (by $XCLUSTER ovld)");
        return Path.of(out);
    }

    /**
     * get_rootfs: the image folder of an item. OVL gives OVL's `image/`, OVL/SUBDIR its
     * SUBDIR; an existing folder path gives its `image/` when it has one, else itself.
     */
    public static Path rootfs(Run run, String item) {
        if (item == null || item.isBlank()) throw Fail.usage("No ovl");
        Path p = Path.of(item);
        if ((item.startsWith("/") || item.startsWith(".")) && !Files.isDirectory(p)) throw Fail.die("No such folder [" + item + "]");
        if ((item.contains("/") || item.startsWith(".")) && Files.isDirectory(p)) {
            Path image = p.resolve("image");
            return (Files.isDirectory(image) ? image : p).toAbsolutePath().normalize();
        }
        if (item.contains("/") && isBlank("XCLUSTER") && isBlank("XCLUSTER_OVLPATH")) // nordixorg/mconnect: an image without its version?
            throw Fail.die("Can't find [" + item + "]: no such folder, and no $XCLUSTER_OVLPATH or $XCLUSTER to find an overlay;"
                    + " an image needs its version, like " + item + ":TAG");
        String ovl = item, sub = "image";
        int slash = item.indexOf('/');
        if (slash > 0) {
            ovl = item.substring(0, slash);
            sub = item.substring(slash + 1);
        }
        Path d = ovld(run, ovl).resolve(sub);
        if (!Files.isDirectory(d)) throw Fail.die("Not a directory [" + d + "]");
        return d;
    }

    /**
     * mkimage's and legacy-import's DIR, named as make names overlays: an existing folder (its
     * `image/` subfolder when it has one and no `tar` of its own), else OVL or OVL/SUBDIR.
     */
    public static Path imageDir(Run run, String item) {
        Path p = Path.of(item);
        if (!Files.isDirectory(p)) return item.startsWith("/") || item.startsWith(".") ? p : rootfs(run, item); // a path: "Not a directory"
        Path image = p.resolve("image");
        return (Files.isDirectory(image) && !Files.exists(p.resolve("tar")) ? image : p).toAbsolutePath().normalize();
    }

    /** get_manifest: FOLDER/manifest.json, else the first *.json beside FOLDER, else null. */
    public static Path manifest(Path rootfs) {
        Path m = rootfs.resolve("manifest.json");
        if (Files.isReadable(m)) return m;
        Path parent = rootfs.toAbsolutePath().getParent();
        if (parent == null) return null;
        try (var s = Files.list(parent)) {
            return s.filter(f -> f.toString().endsWith(".json") && Files.isRegularFile(f)).sorted().findFirst().orElse(null);
        } catch (java.io.IOException e) {
            return null;
        }
    }
}
