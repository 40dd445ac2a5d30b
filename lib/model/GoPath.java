package lib.model;

import java.util.ArrayDeque;
import java.util.Deque;

/** Go's path.Clean and path.Base: how containers/storage names the entries of a layer tar. */
public final class GoPath {
    private GoPath() {}

    /** Lexically cleaned: no "//", no ".", ".." resolved where it can be; "" becomes ".". */
    public static String clean(String p) {
        if (p.isEmpty()) return ".";
        if (isClean(p)) return p; // most names of a layer: no copy
        // the other usual form, "./etc/passwd" or "./etc/" (tar run in the folder): trim, no split
        int from = 0, to = p.length();
        while (to - from > 2 && p.charAt(from) == '.' && p.charAt(from + 1) == '/') from += 2;
        if (to - from > 1 && p.charAt(to - 1) == '/') to--;
        if ((from > 0 || to < p.length()) && p.charAt(from) != '/') {
            String trimmed = p.substring(from, to);
            if (isClean(trimmed)) return trimmed;
        }
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

    /** Already what clean() gives: no empty, "." or ".." element, no trailing slash (or just "/"). */
    static boolean isClean(String p) {
        int n = p.length(), seg = p.charAt(0) == '/' ? 1 : 0;
        if (seg == n) return n == 1;
        for (int i = seg; i <= n; i++) {
            if (i < n && p.charAt(i) != '/') continue;
            int len = i - seg;
            if (len == 0 || p.charAt(seg) == '.' && (len == 1 || len == 2 && p.charAt(seg + 1) == '.')) return false;
            seg = i + 1;
        }
        return true;
    }

    /** Has p an element ".." (a name that climbs out of where it is unpacked)? */
    public static boolean hasDotDot(String p) {
        int seg = 0, n = p.length();
        for (int i = 0; i <= n; i++) {
            if (i < n && p.charAt(i) != '/') continue;
            if (i - seg == 2 && p.charAt(seg) == '.' && p.charAt(seg + 1) == '.') return true;
            seg = i + 1;
        }
        return false;
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
