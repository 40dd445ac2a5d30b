package lib;

import static org.assertj.core.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.*;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Keeps README.md's map of lib/ ("lib/ at a glance") true. lib/ is read as a graph: one file is
 * one node, with an arrow for each reference to another lib class (an import, a qualified name
 * such as lib.cache.Cache, or a class of the same package by its simple name; comments and string
 * literals do not count). The README's table lists the packages bottom-up and the files of each:
 * every package and file of lib/ is in it, no package uses one listed below it (no arrow back
 * up), and there is no circle, neither between packages nor between files. No mutable static
 * field either, but the two kept on purpose: options travel as values (lib/exec/Run).
 */
class ArchitectureTest {
    static final Path REPO = Path.of(System.getProperty("repo.dir", "..")).toAbsolutePath().normalize();

    /** The two mutable statics kept on purpose, each said why where it is declared. */
    static final Set<String> KEPT_STATICS = Set.of("lib.exec.Temp.cleaned", "lib.exec.Processes.signal");

    @Test
    void theReadmeTableListsEveryPackageAndFile() throws IOException {
        Map<String, Set<String>> table = table(REPO.resolve("README.md"));
        Map<String, String> code = sources(REPO.resolve("lib"));
        Map<String, Set<String>> files = new TreeMap<>();
        for (String n : code.keySet()) files.computeIfAbsent(pkg(n), k -> new TreeSet<>()).add(simple(n));
        assertThat(table.keySet()).as("the packages in README's table").containsExactlyInAnyOrderElementsOf(files.keySet());
        files.forEach((p, fs) -> assertThat(table.get(p)).as("README's files of " + p).containsExactlyInAnyOrderElementsOf(fs));
    }

    @Test
    void noPackageUsesOneListedAfterIt() throws IOException {
        List<String> order = new ArrayList<>(table(REPO.resolve("README.md")).keySet());
        assertThat(arrowsUp(sources(REPO.resolve("lib")), order)).as("arrows back up the README's table").isEmpty();
    }

    @Test
    void noCircleBetweenPackages() throws IOException {
        assertThat(circles(packages(arrows(sources(REPO.resolve("lib")))))).as("circles between packages").isEmpty();
    }

    @Test
    void noCircleBetweenFiles() throws IOException {
        assertThat(circles(arrows(sources(REPO.resolve("lib"))))).as("circles between files").isEmpty();
    }

    @Test
    void noMutableStaticsButTheTwoKept() throws IOException {
        assertThat(mutableStatics(sources(REPO.resolve("lib")))).as("non-final static fields").containsExactlyInAnyOrderElementsOf(KEPT_STATICS);
    }

    /** The checks can fail: a small lib/ with an arrow up, a circle of files and one of packages, and a mutable static. */
    @Test
    void findsWhatIsWrongInABrokenTree(@TempDir Path tmp) throws IOException {
        write(tmp.resolve("lib/low/A.java"), "package lib.low;\nimport lib.high.C;\n/** lib.high.Nothing in a comment */\nclass A { B b; C c; }\n");
        write(tmp.resolve("lib/low/B.java"), "package lib.low;\nclass B {\n    A a;\n    String s = \"lib.high.D\";\n    static int count;\n    private static final int MAX = 1;\n}\n");
        write(tmp.resolve("lib/high/C.java"), "package lib.high;\nclass C { lib.low.A a; static final int MAX = 1; }\n");
        write(tmp.resolve("lib/high/D.java"), "package lib.high;\nclass D {}\n");
        Map<String, String> code = sources(tmp.resolve("lib"));
        assertThat(arrows(code)).containsEntry("lib.low.A", Set.of("lib.low.B", "lib.high.C")).containsEntry("lib.low.B", Set.of("lib.low.A"))
                .containsEntry("lib.high.C", Set.of("lib.low.A")).doesNotContainKey("lib.high.D");
        assertThat(arrowsUp(code, List.of("lib.low", "lib.high"))).containsExactly("lib.low -> lib.high: A -> C");
        assertThat(circles(arrows(code))).containsExactly(List.of("lib.high.C", "lib.low.A", "lib.low.B"));
        assertThat(circles(packages(arrows(code)))).containsExactly(List.of("lib.high", "lib.low"));
        assertThat(mutableStatics(code)).containsExactly("lib.low.B.count");
    }

    // ---- reading lib/

    /** Each file of lib/ (as PACKAGE.CLASS) and its code without comments and literals. */
    static Map<String, String> sources(Path lib) throws IOException {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> s = Files.walk(lib)) {
            for (Path f : s.filter(p -> p.toString().endsWith(".java")).sorted().toList()) {
                String code = strip(Files.readString(f));
                Matcher m = Pattern.compile("^\\s*package\\s+([\\w.]+)\\s*;", Pattern.MULTILINE).matcher(code);
                assertThat(m.find()).as("a package line in " + f).isTrue();
                out.put(m.group(1) + "." + f.getFileName().toString().replaceFirst("\\.java$", ""), code);
            }
        }
        return out;
    }

    /** Code only: text blocks, comments, string and char literals removed. */
    static String strip(String s) {
        return s.replaceAll("(?s)\"\"\".*?\"\"\"", "\"\"").replaceAll("(?s)/\\*.*?\\*/", " ").replaceAll("//[^\n]*", "")
                .replaceAll("\"(\\\\.|[^\"\\\\\n])*\"", "\"\"").replaceAll("'(\\\\.|[^'\\\\\n])*'", "''");
    }

    private static final Pattern QUALIFIED = Pattern.compile("(?<![\\w.])(lib(?:\\.[a-z]\\w*)*)\\.([A-Z]\\w*)");
    private static final Pattern WILDCARD = Pattern.compile("import\\s+(lib(?:\\.[a-z]\\w*)*)\\.\\*\\s*;");

    /** Each file's arrows: to the lib files it names, qualified (imports too), or by simple name in its package or a wildcard import. */
    static Map<String, Set<String>> arrows(Map<String, String> code) {
        Map<String, Set<String>> out = new TreeMap<>();
        code.forEach((n, c) -> {
            Set<String> to = new TreeSet<>();
            Matcher q = QUALIFIED.matcher(c);
            while (q.find()) if (code.containsKey(q.group(1) + "." + q.group(2))) to.add(q.group(1) + "." + q.group(2));
            Set<String> bySimpleName = new HashSet<>(List.of(pkg(n)));
            for (Matcher w = WILDCARD.matcher(c); w.find(); ) bySimpleName.add(w.group(1));
            for (String o : code.keySet())
                if (bySimpleName.contains(pkg(o)) && Pattern.compile("(?<![\\w.])" + simple(o) + "\\b").matcher(c).find()) to.add(o);
            to.remove(n);
            if (!to.isEmpty()) out.put(n, to);
        });
        return out;
    }

    /** The package graph: an arrow between two packages when a file of one uses a file of the other. */
    static Map<String, Set<String>> packages(Map<String, Set<String>> files) {
        Map<String, Set<String>> out = new TreeMap<>();
        files.forEach((a, bs) -> bs.stream().filter(b -> !pkg(a).equals(pkg(b)))
                .forEach(b -> out.computeIfAbsent(pkg(a), k -> new TreeSet<>()).add(pkg(b))));
        return out;
    }

    /** "FROM -> TO: File -> File" for each use of a package listed after the user's own in order. */
    static List<String> arrowsUp(Map<String, String> code, List<String> order) {
        List<String> out = new ArrayList<>();
        arrows(code).forEach((a, bs) -> {
            for (String b : bs)
                if (order.indexOf(pkg(b)) > order.indexOf(pkg(a)))
                    out.add(pkg(a) + " -> " + pkg(b) + ": " + simple(a) + " -> " + simple(b));
        });
        return out;
    }

    /** The circles of a graph: its strongly connected parts of more than one node (Tarjan), each sorted. */
    static List<List<String>> circles(Map<String, Set<String>> g) {
        Set<String> nodes = new TreeSet<>(g.keySet());
        g.values().forEach(nodes::addAll);
        Map<String, Integer> index = new HashMap<>(), low = new HashMap<>();
        Deque<String> stack = new ArrayDeque<>();
        List<List<String>> out = new ArrayList<>();
        for (String v : nodes) if (!index.containsKey(v)) connect(v, g, index, low, stack, out);
        return out;
    }

    private static void connect(String v, Map<String, Set<String>> g, Map<String, Integer> index, Map<String, Integer> low,
                                Deque<String> stack, List<List<String>> out) {
        index.put(v, index.size());
        low.put(v, index.get(v));
        stack.push(v);
        for (String w : g.getOrDefault(v, Set.of())) {
            if (!index.containsKey(w)) {
                connect(w, g, index, low, stack, out);
                low.put(v, Math.min(low.get(v), low.get(w)));
            } else if (stack.contains(w)) low.put(v, Math.min(low.get(v), index.get(w)));
        }
        if (!low.get(v).equals(index.get(v))) return;
        List<String> part = new ArrayList<>();
        String w;
        do {
            w = stack.pop();
            part.add(w);
        } while (!w.equals(v));
        if (part.size() > 1) {
            Collections.sort(part);
            out.add(part);
        }
    }

    private static final Pattern STATIC_FIELD = Pattern.compile(
            "^[ \\t]*((?:public|protected|private|static|final|volatile|transient)\\s+)+[\\w.<>\\[\\], ?]+?\\s+(\\w+)\\s*(=|;)", Pattern.MULTILINE);

    /** CLASS.FIELD for each static field that is not final. */
    static List<String> mutableStatics(Map<String, String> code) {
        List<String> out = new ArrayList<>();
        code.forEach((n, c) -> {
            for (Matcher m = STATIC_FIELD.matcher(c); m.find(); ) {
                String mods = m.group().substring(0, m.group().lastIndexOf(m.group(2)));
                if (mods.matches("(?s).*\\bstatic\\b.*") && !mods.matches("(?s).*\\bfinal\\b.*")) out.add(n + "." + m.group(2));
            }
        });
        return out;
    }

    /** README's table "lib/ at a glance": each package (| `lib.x` | files | ...) and the file names it lists, in order. */
    static Map<String, Set<String>> table(Path readme) throws IOException {
        Map<String, Set<String>> out = new LinkedHashMap<>();
        Pattern row = Pattern.compile("^\\| `(lib(?:\\.[a-z]\\w*)*)` \\| ([^|]*) \\|", Pattern.MULTILINE);
        for (Matcher m = row.matcher(Files.readString(readme)); m.find(); ) {
            Set<String> files = new TreeSet<>();
            for (Matcher f = Pattern.compile("`(\\w+)`").matcher(m.group(2)); f.find(); ) files.add(f.group(1));
            out.put(m.group(1), files);
        }
        return out;
    }

    static String pkg(String node) {
        return node.substring(0, node.lastIndexOf('.'));
    }

    static String simple(String node) {
        return node.substring(node.lastIndexOf('.') + 1);
    }

    private static void write(Path f, String text) throws IOException {
        Files.createDirectories(f.getParent());
        Files.writeString(f, text);
    }
}
