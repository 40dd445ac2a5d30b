package lib.vm;

import java.nio.charset.StandardCharsets;
import java.util.*;

/**
 * What an xcluster VM cannot take from the tar itself, carried another way. The VM unpacks with
 * busybox `tar -o -xf` (xcluster-vm.md): no owners, no xattrs. So the tar also gets:
 * - whiteout devices for what opaque folders hide (MergedTree), in diff/ only (tar-split untouched);
 * - a boot script, SCRIPT, run by the VM's rcS before CRI-O starts (32cri-plugin.rc), with its data
 *   under DATA: NUL-separated path lists, one per owner (`chown-UID.GID`) and one per mode of the
 *   setuid/setgid files that chown clears (`chmod-MODE`), fed to `xargs -0`;
 * - a CRI-O drop-in, PINNED, that pins every image of the tar against kubelet's image GC.
 * Collected while the layers are written (Layer), written after them (files()).
 */
public final class VmBoot {
    public static final String SCRIPT = "etc/init.d/20images-owners.rc";
    public static final String DATA = "var/lib/containers/images-boot/";
    public static final String PINNED = "etc/crio/crio.conf.d/50-images.conf";
    static final long DONE_ID = 65534; // the owner of DATA/done once owners are right (tar with owners, or after the script)

    /** A file (body) or folder (body null) of the output. */
    public record File(String path, int mode, long uid, long gid, byte[] body) {}

    private final String root; // the store's root in the tar (lib/store/StoreLayout.ROOT): the boot script's paths are under it
    private final boolean pin;
    private final Map<String, long[]> owned = new LinkedHashMap<>(); // "./overlay/ID/diff/.." -> uid, gid, mode, type
    private final Map<String, SortedMap<String, SortedSet<String>>> xattrs = new HashMap<>(); // layer -> path -> keys
    private final Map<String, MergedTree> merged = new HashMap<>(); // layers whose children are still to come
    private final Map<String, Integer> children = new HashMap<>();
    private final Set<String> names = new LinkedHashSet<>();
    private int whiteouts;

    /** root: where the store is in the tar (lib/store/StoreLayout.ROOT); pin: write the CRI-O drop-in too. */
    public VmBoot(String root, boolean pin) {
        this.root = root;
        this.pin = pin;
    }

    /**
     * A layer about to be written, its files under diff (its diff/ folder in the tar, with a
     * trailing slash), parent null for a base; `children`: how many stored layers have it as parent.
     */
    public Layer layer(String id, String diff, String parent, int children) {
        this.children.put(id, children);
        return new Layer(id, diff, parent);
    }

    /** What one layer adds; OverlayLayer calls it for every entry it writes. */
    public final class Layer {
        private final String id, diff, parent;
        private final MergedTree lower;

        private Layer(String id, String diff, String parent) {
            this.id = id;
            this.diff = diff;
            this.parent = parent;
            MergedTree l = parent == null ? null : merged.get(parent); // the parent is written first
            this.lower = l == null ? MergedTree.empty() : l;
        }

        /**
         * Whether an opaque folder keeps its trusted.overlay.opaque mark: not where the layers below
         * have that folder, as whiteouts do its work there for both unpackers (and overlayfs lists
         * the whiteouts of an opaque folder as names that cannot be opened).
         */
        public boolean keepsOpaqueMark(String dir) {
            return !lower.hasDir(dir);
        }

        /** An entry written at path (the full tar path); later entries of the same path win (GNU tar's fixes). */
        public void entry(String path, byte type, int mode, long uid, long gid, Set<String> xattrKeys) {
            if (!path.startsWith(root)) return;
            String p = "./" + noSlash(path.substring(root.length()));
            if (uid != 0 || gid != 0) owned.put(p, new long[] {uid, gid, mode, type});
            else owned.remove(p);
            if (xattrKeys.isEmpty()) return;
            SortedSet<String> keys = new TreeSet<>(xattrKeys);
            keys.remove("trusted.overlay.opaque"); // replaced by whiteouts on the VM
            if (!keys.isEmpty() && path.startsWith(diff) && path.length() > diff.length())
                xattrs.computeIfAbsent(id, k -> new TreeMap<>()).put(noSlash(path.substring(diff.length())), keys);
        }

        private static String noSlash(String p) {
            return p.endsWith("/") ? p.substring(0, p.length() - 1) : p;
        }

        /**
         * At the end of the layer: kinds and opaque as OverlayLayer kept them. Returns the paths
         * (layer-relative) that need a whiteout device for the opaque folders, and keeps the merged
         * tree when later layers sit on this one.
         */
        public List<String> whiteouts() {
            return whiteouts;
        }

        private List<String> whiteouts = List.of();

        /** On a cache hit, after end(): the cached tree holds n whiteouts made for opaque folders (for the summary). */
        public void made(int n) {
            VmBoot.this.whiteouts += n - whiteouts.size();
        }

        public List<String> end(Map<String, Character> kinds, Set<String> opaque) {
            List<String> w = opaque.isEmpty() || parent == null ? List.of() : lower.opaqueWhiteouts(kinds, opaque);
            VmBoot.this.whiteouts += w.size();
            whiteouts = w;
            if (children.getOrDefault(id, 0) > 0) merged.put(id, lower.plus(kinds, opaque));
            if (parent != null && children.merge(parent, -1, Integer::sum) <= 0) merged.remove(parent);
            return w;
        }
    }

    /** The names of an image as stored (all of them are pinned). */
    public void names(List<String> imageNames) {
        names.addAll(imageNames);
    }

    /** One WARNING: line per file of this image that has an xattr busybox tar cannot set (chain: its layer ids). */
    public List<String> warnings(String image, List<String> chain) {
        SortedMap<String, SortedSet<String>> files = new TreeMap<>();
        for (String l : chain)
            xattrs.getOrDefault(l, Collections.emptySortedMap()).forEach((p, k) -> files.computeIfAbsent(p, x -> new TreeSet<>()).addAll(k));
        List<String> out = new ArrayList<>();
        files.forEach((p, k) -> out.add("WARNING: Image [" + image + "] file [" + p + "]: " + String.join(", ", k)
                + " is not set on an xcluster VM (busybox tar sets no xattrs); kept for GNU tar --xattrs"));
        return out;
    }

    /** What the boot step will do, for --verbose. */
    public String summary() {
        Map<String, List<String>> chown = chownLists(), chmod = chmodLists();
        int n = chown.values().stream().mapToInt(List::size).sum(), m = chmod.values().stream().mapToInt(List::size).sum();
        return "VM boot step: " + (chown.isEmpty() ? "nothing to chown (no script)" : SCRIPT + " restores " + n
                + " owners (" + chown.size() + " uid:gid) and " + m + " setuid/setgid modes") + "; " + whiteouts
                + " whiteouts for opaque folders; " + (pin ? names.size() + " image names pinned in " + PINNED : "no pinned drop-in");
    }

    /** The files to add to the tar, after the storage tree (time: their mtime). */
    public List<File> files() {
        List<File> out = new ArrayList<>();
        Map<String, List<String>> chown = chownLists(), chmod = chmodLists();
        if (!chown.isEmpty()) {
            out.add(new File(DATA, 0700, 0, 0, null));
            chown.forEach((k, v) -> out.add(new File(DATA + "chown-" + k, 0600, 0, 0, nulList(v))));
            chmod.forEach((k, v) -> out.add(new File(DATA + "chmod-" + k, 0600, 0, 0, nulList(v))));
            out.add(new File(DATA + "done", 0600, DONE_ID, DONE_ID, new byte[0]));
            out.add(new File(SCRIPT, 0755, 0, 0, Script.TEXT.getBytes(StandardCharsets.UTF_8)));
        }
        if (pin && !names.isEmpty()) out.add(new File(PINNED, 0644, 0, 0, Pinned.toml(names).getBytes(StandardCharsets.UTF_8)));
        return out;
    }

    /** "UID.GID" -> paths, every entry not owned by root:root. */
    private Map<String, List<String>> chownLists() {
        Map<String, List<String>> m = new TreeMap<>();
        owned.forEach((p, a) -> m.computeIfAbsent(a[0] + "." + a[1], k -> new ArrayList<>()).add(p));
        return m;
    }

    /** "MODE" (octal) -> regular files whose setuid/setgid bit the chown above clears (never links: chmod follows them). */
    private Map<String, List<String>> chmodLists() {
        Map<String, List<String>> m = new TreeMap<>();
        owned.forEach((p, a) -> {
            if (a[3] == '0' && (a[2] & 06000) != 0) m.computeIfAbsent(Long.toOctalString(a[2] & 07777), k -> new ArrayList<>()).add(p);
        });
        return m;
    }

    /** Paths as raw bytes (names are kept one char per byte), each ended by a NUL. */
    private static byte[] nulList(List<String> paths) {
        StringBuilder b = new StringBuilder();
        for (String p : paths) b.append(p).append('\0');
        return b.toString().getBytes(StandardCharsets.ISO_8859_1);
    }
}
