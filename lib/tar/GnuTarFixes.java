package lib.tar;

import lib.model.GoPath;
import java.util.*;

/**
 * Where GNU tar, unpacking the output tar on the VM, would leave a layer different from what
 * containers/storage leaves when it applies the same layer, and what OverlayLayer writes again
 * at the end of the layer so that both agree (GNU tar replaces a file or link given again, and
 * sets a folder's mode and time again when its entry comes again).
 */
public final class GnuTarFixes {
    private GnuTarFixes() {}

    /**
     * Folders whose time GNU tar set before an entry was created in them. GNU tar sets a folder's
     * time once the entries below it are done (the first entry not below it); a child written
     * after that changes the time again. containers/storage sets all folder times at the end.
     */
    public static final class LateFolders {
        private final Deque<String> open = new ArrayDeque<>(); // folders still being filled, innermost first
        private final Set<String> late = new LinkedHashSet<>();

        /** An entry written at path (layer-relative, clean; "." is the layer root). */
        public void entry(String path, boolean dir) {
            String parent = GoPath.dir(path);
            if (!parent.equals(".") && !open.contains(parent)) late.add(parent);
            while (!open.isEmpty() && !path.startsWith(open.peek() + "/")) open.pop();
            if (dir) open.push(path);
        }

        public Set<String> late() {
            return late;
        }
    }

    /**
     * The regular files of a layer and their hard links. containers/storage links, then applies
     * the link's header to the shared inode (owner, xattrs added, mode, time); GNU tar only links.
     * A file whose inode a link header changes is written again with the attributes it ends with,
     * and its links after it.
     */
    public static final class Inodes {
        private final Map<String, String> origin = new HashMap<>(); // path -> the file entry that made its inode
        private final Map<String, TarWriter.Entry> state = new HashMap<>(); // by origin: the inode's attributes now
        private final Map<String, Long> number = new HashMap<>(); // by origin: its entry number in the layer
        private final Map<String, List<String>> links = new HashMap<>(); // by origin: link paths, in order
        private final Set<String> changed = new LinkedHashSet<>();

        /** A regular file written at path from the layer's entry number n. */
        public void file(String path, TarWriter.Entry e, long n) {
            origin.put(path, path);
            state.put(path, e);
            number.put(path, n);
        }

        /** A hard link at path to target (both layer-relative); header holds the link entry's attributes. */
        public void link(String path, String target, TarWriter.Entry header) {
            String o = origin.get(target);
            if (o == null) return; // a link to a link to something that is not a regular file: left as GNU tar makes it
            origin.put(path, o);
            links.computeIfAbsent(o, k -> new ArrayList<>()).add(path);
            TarWriter.Entry now = state.get(o), next = applied(now, header);
            if (next.equals(now)) return;
            state.put(o, next);
            changed.add(o);
        }

        /** Go's order on a link: chown, each xattr set (added to those there), chmod, chtimes. */
        static TarWriter.Entry applied(TarWriter.Entry file, TarWriter.Entry link) {
            SortedMap<String, String> x = new TreeMap<>(file.xattrs());
            x.putAll(link.xattrs());
            return file.withMode(link.mode()).withOwner(link.uid(), link.gid()).withMtime(link.mtime(), link.nanos()).withXattrs(x);
        }

        /** Files to write again, by their entry number in the layer. */
        public SortedMap<Long, String> changed() {
            SortedMap<Long, String> m = new TreeMap<>();
            for (String o : changed) m.put(number.get(o), o);
            return m;
        }

        public TarWriter.Entry state(String origin) {
            return state.get(origin);
        }

        public List<String> links(String origin) {
            return links.getOrDefault(origin, List.of());
        }
    }
}
