import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.*;

/**
 * Random layers from a seed, for the differential test against skopeo: odd names (spaces, quotes,
 * non-ASCII, 100+ bytes, deep), every entry type, special mode bits, owners up to 2^31, zero and
 * sub-second times, xattrs (user, security, trusted; empty and binary values), hard links whose
 * header differs from their target's, whiteouts of lower files and folders, opaque markers, folders
 * whose children come late, written with raw headers: ustar, PAX and GNU long names in one image.
 * Same seed, same bytes.
 */
final class LayerGen {
    /** One tar entry as the generator means it; fmt: 'u' ustar, 'p' PAX, 'g' GNU (long names, base-256). */
    static final class E {
        String name, link = "";
        byte type;
        int mode;
        long uid, gid, mtime, major, minor;
        int nanos;
        byte[] body = new byte[0];
        final SortedMap<String, byte[]> xattrs = new TreeMap<>();
        char fmt = 'u';

        E(String name, byte type) {
            this.name = name;
            this.type = type;
        }
    }

    private static final String[] WORDS = {"a", "bin", "etc", "with space", "quo\"te", "it's", "caf\u00e9",
            "\u65e5\u672c\u8a9e", "dollar$x", "x".repeat(60), "y".repeat(101), "-dash", "UPPER", "tab\tname", "#hash"};
    private static final long[] IDS = {0, 0, 0, 1, 1000, 65534, 2097151, 2097152, 1L << 31};
    private static final int[] FILE_MODES = {0644, 0644, 0755, 0600, 0444, 04755, 02755, 06711, 01644, 0000, 0777};
    private static final int[] DIR_MODES = {0755, 0755, 0700, 01777, 02775, 0555, 0750};

    private final Random rnd;
    private final boolean refuse; // this seed may put user.* xattrs where the kernel refuses them
    private final Map<String, Character> lower = new TreeMap<>(); // merged view of the layers so far: 'd' or 'f'

    private LayerGen(long seed) {
        rnd = new Random(seed);
        refuse = rnd.nextInt(12) == 0;
    }

    /** The layers of one image (2 or 3), base first, as tar bytes. */
    static List<byte[]> image(long seed) {
        LayerGen g = new LayerGen(seed);
        int n = 2 + g.rnd.nextInt(2);
        List<byte[]> layers = new ArrayList<>();
        for (int i = 0; i < n; i++) layers.add(tar(g.layer(i > 0)));
        return layers;
    }

    /** For a failing seed: LayerGen SEED DIR writes its layers as DIR/layer-N.tar (to look at with tar -tvvf). */
    public static void main(String[] args) throws java.io.IOException {
        List<byte[]> layers = image(Long.parseLong(args[0]));
        for (int i = 0; i < layers.size(); i++)
            java.nio.file.Files.write(java.nio.file.Path.of(args[1], "layer-" + i + ".tar"), layers.get(i));
    }

    /** The entries of one layer, in the order they go into its tar. */
    List<E> layer(boolean upper) {
        Map<String, Character> mine = new LinkedHashMap<>(); // paths this layer lists
        List<E> out = new ArrayList<>();
        if (rnd.nextInt(4) == 0) out.add(dir(rnd.nextBoolean() ? "./" : ".", mine));
        int count = 4 + rnd.nextInt(20);
        for (int i = 0; i < count; i++) {
            int what = rnd.nextInt(upper ? 14 : 11);
            E e = switch (what) {
                case 0, 1 -> dir(newPath(mine), mine);
                case 2, 3, 4 -> file(newPath(mine), mine);
                case 5 -> symlink(newPath(mine), mine);
                case 6 -> hardLink(newPath(mine), out, mine);
                case 7 -> node(newPath(mine), mine);
                case 8, 9, 10 -> file(childOfListedDir(mine), mine);
                case 11, 12 -> whiteout(mine);
                default -> opaque(mine);
            };
            if (e != null) out.add(e);
        }
        lateChildren(out);
        commit(out);
        return out;
    }

    /** Moves a few entries later in the tar: their folder is then not in walk order. */
    private void lateChildren(List<E> out) {
        for (int k = rnd.nextInt(3); k > 0 && out.size() > 2; k--) {
            int i = rnd.nextInt(out.size() - 1);
            E e = out.get(i);
            if (e.type == '5' || e.type == '1' || isHardLinkTarget(out, e)) continue;
            out.remove(i);
            out.add(i + 1 + rnd.nextInt(out.size() - i), e);
        }
    }

    private static boolean isHardLinkTarget(List<E> out, E e) {
        return out.stream().anyMatch(o -> o.type == '1' && o.link.equals(e.name));
    }

    /** What the next layers see: this layer's paths, its whiteouts applied. */
    private void commit(List<E> out) {
        for (E e : out) {
            String p = strip(e.name);
            String base = p.substring(p.lastIndexOf('/') + 1), dir = p.contains("/") ? p.substring(0, p.lastIndexOf('/')) : "";
            if (base.equals(".wh..wh..opq")) {
                lower.keySet().removeIf(k -> k.startsWith(dir.isEmpty() ? "" : dir + "/") && !k.equals(dir));
            } else if (base.startsWith(".wh.")) {
                String gone = (dir.isEmpty() ? "" : dir + "/") + base.substring(4);
                lower.keySet().removeIf(k -> k.equals(gone) || k.startsWith(gone + "/"));
            }
        }
        for (E e : out) {
            String p = strip(e.name);
            if (p.isEmpty() || p.equals(".") || p.substring(p.lastIndexOf('/') + 1).startsWith(".wh.")) continue;
            for (String d = parent(p); !d.isEmpty(); d = parent(d)) lower.putIfAbsent(d, 'd');
            lower.put(p, e.type == '5' ? 'd' : 'f');
        }
    }

    private static String strip(String name) {
        return name.endsWith("/") ? name.substring(0, name.length() - 1) : name;
    }

    private static String parent(String p) {
        int i = p.lastIndexOf('/');
        return i < 0 ? "" : p.substring(0, i);
    }

    /** A path not used yet in this layer (nor a file of the lower layers), under a listed, lower or new folder. */
    private String newPath(Map<String, Character> mine) {
        for (int tries = 0; ; tries++) {
            String dir = switch (rnd.nextInt(4)) {
                case 0 -> "";
                case 1 -> pick(dirs(mine));
                case 2 -> pick(dirs(lower));
                default -> deep();
            };
            String p = (dir == null || dir.isEmpty() ? "" : dir + "/") + word() + (tries > 3 ? "-" + tries : "");
            if (usable(p, mine)) return p;
        }
    }

    private boolean usable(String p, Map<String, Character> mine) {
        if (mine.containsKey(p) || lower.containsKey(p)) return false;
        for (String d = parent(p); !d.isEmpty(); d = parent(d)) {
            if (mine.getOrDefault(d, 'd') != 'd' || lower.getOrDefault(d, 'd') != 'd') return false;
        }
        return true;
    }

    private String childOfListedDir(Map<String, Character> mine) {
        String d = pick(dirs(mine));
        if (d == null) return newPath(mine);
        String p = d + "/" + word();
        return usable(p, mine) ? p : newPath(mine);
    }

    private String deep() {
        StringBuilder sb = new StringBuilder();
        for (int i = 1 + rnd.nextInt(7); i > 0; i--) sb.append(sb.length() == 0 ? "" : "/").append(word());
        return sb.toString();
    }

    private String word() {
        return WORDS[rnd.nextInt(WORDS.length)] + (rnd.nextInt(3) == 0 ? "" : Integer.toString(rnd.nextInt(100)));
    }

    private static List<String> dirs(Map<String, Character> m) {
        return m.entrySet().stream().filter(e -> e.getValue() == 'd' && !e.getKey().isEmpty() && !e.getKey().equals(".")).map(Map.Entry::getKey).toList();
    }

    private String pick(List<String> l) {
        return l.isEmpty() ? null : l.get(rnd.nextInt(l.size()));
    }

    /** Records a path of this layer, and its folders (listed or not). */
    private static void claim(Map<String, Character> mine, String p, char kind) {
        for (String d = parent(p); !d.isEmpty(); d = parent(d)) mine.putIfAbsent(d, 'd');
        mine.put(p, kind);
    }

    private E dir(String p, Map<String, Character> mine) {
        claim(mine, strip(p), 'd');
        E e = attrs(new E(p.endsWith("/") || p.equals(".") ? p : p + "/", (byte) '5'), DIR_MODES);
        if (rnd.nextInt(3) == 0) xattrs(e, true);
        return e;
    }

    private E file(String p, Map<String, Character> mine) {
        claim(mine, p, 'f');
        E e = attrs(new E(p, (byte) '0'), FILE_MODES);
        e.body = new byte[rnd.nextInt(4) == 0 ? 0 : rnd.nextInt(3000)];
        rnd.nextBytes(e.body);
        if (rnd.nextInt(3) == 0) xattrs(e, true);
        return e;
    }

    private E symlink(String p, Map<String, Character> mine) {
        claim(mine, p, 'f');
        E e = attrs(new E(p, (byte) '2'), new int[] {0777});
        e.link = rnd.nextInt(4) == 0 ? "../" + deep() + "/" + "t".repeat(90) : word();
        if (rnd.nextInt(4) == 0) xattrs(e, refuse);
        return e;
    }

    /** A hard link to a file listed earlier in this layer; its header may differ from the target's. */
    private E hardLink(String p, List<E> out, Map<String, Character> mine) {
        List<E> files = out.stream().filter(o -> o.type == '0' && !o.name.replaceAll(".*/", "").startsWith(".wh.")).toList();
        if (files.isEmpty()) return file(p, mine);
        E target = files.get(rnd.nextInt(files.size()));
        claim(mine, p, 'f');
        E e = new E(p, (byte) '1');
        e.link = target.name;
        e.mode = target.mode;
        e.uid = target.uid;
        e.gid = target.gid;
        e.mtime = target.mtime;
        e.nanos = target.nanos;
        e.fmt = target.fmt == 'g' ? 'g' : 'p';
        if (rnd.nextInt(3) == 0) attrs(e, FILE_MODES); // a header that differs from the target's
        if (rnd.nextInt(4) == 0) xattrs(e, true);
        return e;
    }

    private E node(String p, Map<String, Character> mine) {
        claim(mine, p, 'f');
        byte type = (byte) "346".charAt(rnd.nextInt(3));
        E e = attrs(new E(p, type), new int[] {0666, 0600, 0644, 0620});
        if (type != '6') {
            e.major = rnd.nextInt(3) == 0 ? rnd.nextInt(4096) : 1;
            e.minor = rnd.nextInt(3) == 0 ? rnd.nextInt(1 << 20) : 3;
        }
        if (rnd.nextInt(4) == 0) xattrs(e, refuse);
        return e;
    }

    /** `.wh.NAME` of a lower file or folder that this layer does not list. */
    private E whiteout(Map<String, Character> mine) {
        List<String> l = lower.keySet().stream().filter(k -> !mine.containsKey(k) && !under(mine, k)).toList();
        String gone = pick(l);
        if (gone == null) return null;
        String dir = parent(gone);
        for (String d = dir; !d.isEmpty(); d = parent(d)) if (mine.getOrDefault(d, 'd') != 'd') return null;
        claim(mine, gone, 'w');
        String p = (dir.isEmpty() ? "" : dir + "/") + ".wh." + gone.substring(gone.lastIndexOf('/') + 1);
        if (mine.containsKey(p)) return null;
        claim(mine, p, 'w');
        return attrs(new E(p, (byte) '0'), new int[] {0644, 0});
    }

    private static boolean under(Map<String, Character> mine, String p) {
        return mine.keySet().stream().anyMatch(k -> k.startsWith(p + "/"));
    }

    /** An opaque marker in a folder listed here or below (maybe far from its folder entry). */
    private E opaque(Map<String, Character> mine) {
        List<String> ds = new ArrayList<>(dirs(mine));
        ds.addAll(dirs(lower));
        String d = pick(ds);
        if (d == null || d.equals(".") || mine.containsKey(d + "/.wh..wh..opq")) return null;
        if (lower.getOrDefault(d, 'd') != 'd' || mine.getOrDefault(d, 'd') != 'd') return null;
        claim(mine, d + "/.wh..wh..opq", 'w');
        mine.putIfAbsent(d, 'd');
        return attrs(new E(d + "/.wh..wh..opq", (byte) '0'), new int[] {0644});
    }

    /** Mode, owner, time and header format; PAX when the name or values need it and GNU was not picked. */
    private E attrs(E e, int[] modes) {
        e.mode = modes[rnd.nextInt(modes.length)];
        e.uid = rnd.nextInt(5) == 0 ? rnd.nextInt(Integer.MAX_VALUE) : IDS[rnd.nextInt(IDS.length)];
        e.gid = rnd.nextInt(5) == 0 ? rnd.nextInt(Integer.MAX_VALUE) : IDS[rnd.nextInt(IDS.length)];
        e.mtime = switch (rnd.nextInt(5)) {
            case 0 -> 0;
            case 1 -> 1_600_000_000L;
            default -> 1 + (long) (rnd.nextDouble() * 1_700_000_000L);
        };
        e.fmt = "upg".charAt(rnd.nextInt(3));
        if (e.fmt == 'p' && rnd.nextBoolean()) e.nanos = 1 + rnd.nextInt(999_999_999);
        return e;
    }

    /** One to three xattrs; user.* only where the kernel takes them, unless userOk. */
    private void xattrs(E e, boolean userOk) {
        String[] ns = userOk ? new String[] {"user.", "security.", "trusted."} : new String[] {"security.", "trusted."};
        for (int i = 1 + rnd.nextInt(3); i > 0; i--) {
            String key = ns[rnd.nextInt(ns.length)] + "k" + rnd.nextInt(5);
            byte[] v = switch (rnd.nextInt(4)) {
                case 0 -> new byte[0];
                case 1 -> new byte[] {0, (byte) 0xff, '\n', '=', (byte) 0xc3, 0};
                default -> ("value " + rnd.nextInt(1000)).getBytes(StandardCharsets.UTF_8);
            };
            e.xattrs.put(key, v);
        }
    }

    // ---- raw tar bytes

    static byte[] tar(List<E> entries) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (E e : entries) write(out, e);
        out.writeBytes(new byte[1024]);
        return out.toByteArray();
    }

    private static void write(ByteArrayOutputStream out, E e) {
        byte[] name = utf8(e.name), link = utf8(e.link);
        boolean gnu = e.fmt == 'g';
        Map<String, byte[]> pax = new LinkedHashMap<>();
        if (!gnu && name.length > 100) pax.put("path", name);
        if (!gnu && link.length > 100) pax.put("linkpath", link);
        if (!gnu && e.uid > 07777777) pax.put("uid", utf8(Long.toString(e.uid)));
        if (!gnu && e.gid > 07777777) pax.put("gid", utf8(Long.toString(e.gid)));
        if (e.nanos != 0) pax.put("mtime", utf8(e.mtime + "." + String.format("%09d", e.nanos)));
        e.xattrs.forEach((k, v) -> pax.put("SCHILY.xattr." + k, v));
        if (gnu && name.length > 100) special(out, 'L', concat(name, new byte[1]), gnu);
        if (gnu && link.length > 100) special(out, 'K', concat(link, new byte[1]), gnu);
        if (!pax.isEmpty()) special(out, 'x', paxBody(pax), false);
        byte[] size = e.type == '0' ? Long.toString(e.body.length).getBytes() : null;
        out.writeBytes(header(Arrays.copyOf(name, Math.min(100, name.length)), e.type, e.mode, e.uid, e.gid,
                e.type == '0' ? e.body.length : 0, e.mtime, Arrays.copyOf(link, Math.min(100, link.length)), e.major, e.minor, gnu));
        if (size != null) {
            out.writeBytes(e.body);
            out.writeBytes(new byte[(512 - e.body.length % 512) % 512]);
        }
    }

    private static void special(ByteArrayOutputStream out, char type, byte[] body, boolean gnu) {
        String n = type == 'x' ? "PaxHeaders.0/entry" : "././@LongLink";
        out.writeBytes(header(utf8(n), (byte) type, 0644, 0, 0, body.length, 0, new byte[0], 0, 0, gnu));
        out.writeBytes(body);
        out.writeBytes(new byte[(512 - body.length % 512) % 512]);
    }

    private static byte[] paxBody(Map<String, byte[]> records) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        records.forEach((k, v) -> {
            int rest = utf8(k).length + v.length + 3;
            int len = rest + Integer.toString(rest).length();
            if (Integer.toString(len).length() != Integer.toString(rest).length()) len = rest + Integer.toString(len).length();
            b.writeBytes(utf8(len + " " + k + "="));
            b.writeBytes(v);
            b.write('\n');
        });
        return b.toByteArray();
    }

    private static byte[] header(byte[] name, byte type, int mode, long uid, long gid, long size, long mtime, byte[] link,
                                 long major, long minor, boolean gnu) {
        byte[] h = new byte[512];
        System.arraycopy(name, 0, h, 0, name.length);
        number(h, 100, 8, mode);
        number(h, 108, 8, uid > 07777777 && !gnu ? 0 : uid);
        number(h, 116, 8, gid > 07777777 && !gnu ? 0 : gid);
        number(h, 124, 12, size);
        number(h, 136, 12, mtime);
        h[156] = type;
        System.arraycopy(link, 0, h, 157, link.length);
        System.arraycopy(utf8(gnu ? "ustar  \0" : "ustar\00000"), 0, h, 257, 8);
        if (type == '3' || type == '4') {
            number(h, 329, 8, major);
            number(h, 337, 8, minor);
        }
        Arrays.fill(h, 148, 156, (byte) ' ');
        long sum = 0;
        for (byte b : h) sum += b & 0xff;
        number(h, 148, 7, sum);
        return h;
    }

    /** Octal with a NUL, or GNU base-256 when it does not fit. */
    private static void number(byte[] h, int off, int len, long v) {
        if (v >= 1L << (3 * (len - 1))) {
            h[off] = (byte) 0x80;
            for (int i = off + len - 1; i > off; i--, v >>>= 8) h[i] = (byte) v;
            return;
        }
        for (int i = off + len - 2; i >= off; i--, v >>>= 3) h[i] = (byte) ('0' + (v & 7));
        h[off + len - 1] = 0;
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }
}
