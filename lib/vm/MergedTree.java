package lib.vm;

import java.util.*;

/**
 * The names a chain of layers shows, as overlayfs merges them (folders only, no attributes): what
 * an opaque folder of the next layer hides. busybox tar drops the `trusted.overlay.opaque` xattr,
 * so each hidden name gets a whiteout device instead; where the upper and the lower entry are both
 * folders, overlayfs would merge them once the upper folder is not opaque, so the names below are
 * hidden the same way, all the way down. Iterative throughout: deep paths cost no recursion.
 */
public final class MergedTree {
    /** A folder's children by name; null for anything that is not a folder. */
    private static final class Node {
        final Map<String, Node> kids;

        Node(boolean dir) {
            kids = dir ? new HashMap<>() : null;
        }

        boolean dir() {
            return kids != null;
        }
    }

    private static final Node FILE = new Node(false); // files are leaves: one shared value
    private final Node root;

    private MergedTree(Node root) {
        this.root = root;
    }

    /** Nothing: what is below a base layer. */
    public static MergedTree empty() {
        return new MergedTree(new Node(true));
    }

    /**
     * The layer-relative paths (clean, "a/b") of the whiteouts a layer needs for its opaque folders.
     * kinds: every path of the layer ('d' folder, 'w' whiteout, else a file; "." the root); opaque:
     * its opaque folders. Names this layer lists (whiteouts included) need none.
     */
    public List<String> opaqueWhiteouts(Map<String, Character> kinds, Set<String> opaque) {
        Node upper = build(kinds);
        Set<String> out = new LinkedHashSet<>();
        for (String d : new TreeSet<>(opaque)) {
            Node low = find(root, d), up = find(upper, d);
            if (low == null || !low.dir() || up == null || !up.dir()) continue;
            Deque<Object[]> todo = new ArrayDeque<>();
            todo.push(new Object[] {d, up, low});
            while (!todo.isEmpty()) {
                Object[] t = todo.pop();
                String path = (String) t[0];
                Node u = (Node) t[1], l = (Node) t[2];
                for (Map.Entry<String, Node> e : new TreeMap<>(l.kids).entrySet()) {
                    String p = path.equals(".") ? e.getKey() : path + "/" + e.getKey();
                    Node uk = u.kids.get(e.getKey());
                    if (uk == null) out.add(p);
                    else if (uk.dir() && e.getValue().dir()) todo.push(new Object[] {p, uk, e.getValue()});
                }
            }
        }
        return new ArrayList<>(out);
    }

    /** True when the tree has a folder at path (clean, "." the root). */
    public boolean hasDir(String path) {
        Node n = find(root, path);
        return n != null && n.dir();
    }

    /** What this tree and the layer on it show together (this tree is left as it is). */
    public MergedTree plus(Map<String, Character> kinds, Set<String> opaque) {
        Node merged = opaque.contains(".") ? new Node(true) : copy(root);
        Deque<Object[]> todo = new ArrayDeque<>();
        todo.push(new Object[] {".", merged, build(kinds)});
        while (!todo.isEmpty()) {
            Object[] t = todo.pop();
            String path = (String) t[0];
            Node m = (Node) t[1], u = (Node) t[2];
            for (Map.Entry<String, Node> e : u.kids.entrySet()) {
                String name = e.getKey(), p = path.equals(".") ? name : path + "/" + name;
                Node uk = e.getValue();
                if (uk == WHITEOUT) {
                    m.kids.remove(name);
                } else if (!uk.dir()) {
                    m.kids.put(name, FILE);
                } else {
                    Node mk = m.kids.get(name);
                    if (mk == null || !mk.dir() || opaque.contains(p)) m.kids.put(name, mk = new Node(true));
                    todo.push(new Object[] {p, mk, uk});
                }
            }
        }
        return new MergedTree(merged);
    }

    private static final Node WHITEOUT = new Node(false);

    /** The layer's own tree from its path kinds. */
    private static Node build(Map<String, Character> kinds) {
        Node top = new Node(true);
        Map<String, Node> dirs = new HashMap<>();
        dirs.put(".", top);
        for (String p : new TreeSet<>(kinds.keySet())) { // parents sort before their children
            if (p.equals(".")) continue;
            char k = kinds.get(p);
            int slash = p.lastIndexOf('/');
            Node parent = dirs.get(slash < 0 ? "." : p.substring(0, slash));
            if (parent == null) continue; // cannot happen: the layer lists every parent
            Node n = k == 'd' ? new Node(true) : k == 'w' ? WHITEOUT : FILE;
            parent.kids.put(p.substring(slash + 1), n);
            if (k == 'd') dirs.put(p, n);
        }
        return top;
    }

    private static Node find(Node top, String path) {
        if (path.equals(".")) return top;
        Node n = top;
        for (String part : path.split("/")) {
            if (n == null || !n.dir()) return null;
            n = n.kids.get(part);
        }
        return n;
    }

    private static Node copy(Node top) {
        Node out = new Node(true);
        Deque<Node[]> todo = new ArrayDeque<>();
        todo.push(new Node[] {top, out});
        while (!todo.isEmpty()) {
            Node[] t = todo.pop();
            for (Map.Entry<String, Node> e : t[0].kids.entrySet()) {
                if (!e.getValue().dir()) {
                    t[1].kids.put(e.getKey(), FILE);
                } else {
                    Node c = new Node(true);
                    t[1].kids.put(e.getKey(), c);
                    todo.push(new Node[] {e.getValue(), c});
                }
            }
        }
        return out;
    }
}
