package lib.model;

import java.util.ArrayDeque;
import java.util.Deque;

/** Go's path.Clean and path.Base: how containers/storage names the entries of a layer tar. */
public final class GoPath {
    private GoPath() {}

    /** Lexically cleaned: no "//", no ".", ".." resolved where it can be; "" becomes ".". */
    public static String clean(String p) {
        if (p.isEmpty()) return ".";
        boolean rooted = p.startsWith("/");
        Deque<String> parts = new ArrayDeque<>();
        for (String s : p.split("/")) {
            if (s.isEmpty() || s.equals(".")) continue;
            if (s.equals("..")) {
                if (!parts.isEmpty() && !parts.peekLast().equals("..")) parts.removeLast();
                else if (!rooted) parts.addLast("..");
            } else {
                parts.addLast(s);
            }
        }
        String joined = String.join("/", parts);
        if (rooted) return "/" + joined;
        return joined.isEmpty() ? "." : joined;
    }

    /** The last element, trailing slashes dropped; "." for an empty path. */
    public static String base(String p) {
        while (p.length() > 1 && p.endsWith("/")) p = p.substring(0, p.length() - 1);
        if (p.isEmpty()) return ".";
        if (p.equals("/")) return "/";
        int i = p.lastIndexOf('/');
        return i < 0 ? p : p.substring(i + 1);
    }

    /** The folder of a cleaned relative path, "." at the top. */
    public static String dir(String cleaned) {
        int i = cleaned.lastIndexOf('/');
        return i < 0 ? "." : cleaned.substring(0, i);
    }
}
