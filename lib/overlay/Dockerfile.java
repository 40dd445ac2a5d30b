package lib.overlay;

import lib.Fail;
import lib.model.ImageConfig;
import lib.model.JsonValue;
import java.io.IOException;
import java.nio.file.*;
import java.util.*;

/**
 * The Dockerfile subset that overlays use, read without docker: FROM scratch, ADD/COPY of
 * ovl.tar (with --chown), CMD, ENTRYPOINT, ENV, WORKDIR, USER, LABEL, EXPOSE.
 * Anything else is an error that names the instruction and says to use docker.
 */
public record Dockerfile(ImageConfig config, String source, String dest, boolean extract, String chown) {
    /** The PATH that `docker build` gives an image when the Dockerfile sets none. */
    public static final String DEFAULT_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    public static Dockerfile read(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (IOException e) {
            throw Fail.die("Not readable [" + file + "]");
        }
        ImageConfig c = ImageConfig.empty().withEnv(DEFAULT_PATH);
        String source = null, dest = null, chown = null;
        boolean extract = false, from = false;
        int n = 0;
        for (Instruction ins : instructions(lines)) {
            n = ins.line();
            String op = ins.op().toUpperCase(Locale.ROOT), args = ins.args();
            String where = " [" + file + ":" + n + "]";
            switch (op) {
                case "FROM" -> {
                    if (!args.trim().equals("scratch")) throw Fail.die("FROM " + args.trim() + " needs docker" + where + "; use make --via=skopeo or mkimage with docker");
                    from = true;
                }
                case "ADD", "COPY" -> {
                    List<String> words = new ArrayList<>(Arrays.asList(args.trim().split("\\s+")));
                    chown = null;
                    while (!words.isEmpty() && words.get(0).startsWith("--")) {
                        String flag = words.remove(0);
                        if (flag.startsWith("--chown=")) chown = flag.substring(8);
                        else throw Fail.die(op + " " + flag + " needs docker" + where);
                    }
                    if (words.size() != 2 || source != null) throw Fail.die(op + " of anything but one ovl.tar needs docker" + where);
                    source = words.get(0);
                    dest = words.get(1);
                    extract = op.equals("ADD") && source.matches(".*\\.tar$");
                }
                case "CMD" -> c = c.withCmd(command(args, where));
                case "ENTRYPOINT" -> c = c.withEntrypoint(command(args, where));
                case "ENV" -> {
                    for (Map.Entry<String, String> kv : pairs(args, where).entrySet()) c = c.withEnv(kv.getKey() + "=" + kv.getValue());
                }
                case "LABEL" -> c = c.withLabels(pairs(args, where));
                case "WORKDIR" -> {
                    if (Arrays.asList(args.trim().split("/")).contains("..")) throw Fail.die("WORKDIR with .. [" + args.trim() + "]" + where);
                    c = c.withWorkdir(args.trim());
                }
                case "USER" -> c = c.withUser(args.trim());
                case "EXPOSE" -> {
                    for (String p : args.trim().split("\\s+")) c = c.withPort(p.contains("/") ? p : p + "/tcp");
                }
                default -> throw Fail.die(op + " needs docker" + where + "; use make --via=skopeo or mkimage with docker");
            }
        }
        if (!from) throw Fail.die("No FROM scratch [" + file + "]");
        if (source == null) throw Fail.die("No ADD of ovl.tar [" + file + "]");
        return new Dockerfile(c, source, dest, extract, chown);
    }

    /** One instruction: the line it starts on, its name as written, its arguments. */
    record Instruction(int line, String op, String args) {}

    /** The instructions, continuation lines joined, comments dropped. */
    static List<Instruction> instructions(List<String> lines) {
        List<Instruction> out = new ArrayList<>();
        StringBuilder cur = null;
        int start = 0;
        for (int i = 0; i < lines.size(); i++) {
            String l = lines.get(i);
            if (cur == null && (l.isBlank() || l.trim().startsWith("#"))) continue;
            if (cur == null) {
                cur = new StringBuilder();
                start = i + 1;
            } else if (l.trim().startsWith("#")) continue;
            boolean more = l.endsWith("\\");
            cur.append(more ? l.substring(0, l.length() - 1) : l).append(more ? "" : "");
            if (!more) {
                String s = cur.toString().trim();
                int sp = s.indexOf(' ');
                out.add(new Instruction(start, sp < 0 ? s : s.substring(0, sp), sp < 0 ? "" : s.substring(sp + 1)));
                cur = null;
            }
        }
        return out;
    }

    /** The exec form (a JSON array) as it is; the shell form as /bin/sh -c. */
    static List<String> command(String args, String where) {
        String a = args.trim();
        if (a.startsWith("[")) {
            try {
                JsonValue j = JsonValue.parse(a.getBytes(java.nio.charset.StandardCharsets.UTF_8));
                List<String> l = new ArrayList<>();
                j.forEach(e -> l.add(e.asText()));
                return l;
            } catch (IOException e) {
                // docker takes a malformed JSON array as the shell form
            }
        }
        return List.of("/bin/sh", "-c", a);
    }

    /** KEY=VALUE pairs (quotes allowed), or the old `KEY VALUE` form. */
    static Map<String, String> pairs(String args, String where) {
        Map<String, String> m = new LinkedHashMap<>();
        String a = args.trim();
        if (!a.contains("=") || a.indexOf(' ') > 0 && a.indexOf(' ') < a.indexOf('=')) {
            int sp = a.indexOf(' ');
            if (sp < 0) throw Fail.die("Missing value" + where);
            m.put(a.substring(0, sp), unquote(a.substring(sp + 1).trim()));
            return m;
        }
        for (String w : words(a)) {
            int eq = w.indexOf('=');
            if (eq <= 0) throw Fail.die("Not KEY=VALUE [" + w + "]" + where);
            m.put(unquote(w.substring(0, eq)), unquote(w.substring(eq + 1)));
        }
        return m;
    }

    /** Splits on blanks outside quotes, keeping the quotes for unquote(). */
    static List<String> words(String s) {
        List<String> out = new ArrayList<>();
        StringBuilder w = new StringBuilder();
        char q = 0;
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            if (q == 0 && Character.isWhitespace(ch)) {
                if (w.length() > 0) out.add(w.toString());
                w.setLength(0);
                continue;
            }
            if (ch == '\\' && i + 1 < s.length()) {
                w.append(ch).append(s.charAt(++i));
                continue;
            }
            if (q == 0 && (ch == '"' || ch == '\'')) q = ch;
            else if (ch == q) q = 0;
            w.append(ch);
        }
        if (w.length() > 0) out.add(w.toString());
        return out;
    }

    static String unquote(String s) {
        StringBuilder b = new StringBuilder();
        char q = 0;
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            if (ch == '\\' && i + 1 < s.length() && q != '\'') b.append(s.charAt(++i));
            else if (q == 0 && (ch == '"' || ch == '\'')) q = ch;
            else if (ch == q) q = 0;
            else b.append(ch);
        }
        return b.toString();
    }
}
