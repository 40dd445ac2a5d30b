package lib.cli;

import lib.Fail;
import lib.Lib;
import lib.exec.Run;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Help;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.UsageMessageSpec;
import picocli.CommandLine.Option;

/** What every command shares: --verbose, --dry-run, and how errors and exit codes look. */
public final class Cli {
    private Cli() {}

    /** Mixed into every command: `@Mixin Cli.Options options;`, handed down as `options.run()`. */
    public static class Options {
        @Option(names = "--verbose", description = "Show every command run, on stderr.")
        boolean verbose;

        @Option(names = "--dry-run", description = "Print the commands that would change anything instead of running them.")
        boolean dryRun;

        /** The options as a value for lib/exec and what runs programs. */
        public Run run() {
            return new Run(verbose, dryRun);
        }
    }

    /** Runs a command line the way images.sh does: ERROR: ... on stderr, 1 on failure, 2 on misuse. */
    public static int run(Object command, String... args) {
        return run(command, null, args);
    }

    /** Runs a command under the name it has as a subcommand (e.g. "images make"), built alone. */
    public static int run(Object command, String name, String... args) {
        CommandLine cl = commandLine(command, name);
        if (args.length == 0 && !cl.getSubcommands().isEmpty()) args = new String[] {"--help"};
        else if (args.length > 0 && (args[0].startsWith("-h") || args[0].equalsIgnoreCase("help") && args.length == 1))
            args = new String[] {"--help"};
        return cl.execute(args);
    }

    /** The command (an object, class, method or CommandSpec) with our help, versions and error handling. */
    public static CommandLine commandLine(Object command, String name) {
        CommandLine cl = new CommandLine(command);
        if (name != null) cl.setCommandName(name);
        cl.setUsageHelpAutoWidth(true);
        cl.setHelpFactory(Cli::help);
        cl.getHelpSectionMap().put(UsageMessageSpec.SECTION_KEY_COMMAND_LIST, Cli::commandList);
        versions(cl, cl.getCommandSpec().version());
        cl.setExecutionExceptionHandler((e, line, parsed) -> {
            Throwable t = e;
            while (!(t instanceof Fail) && t.getCause() != null && !(t instanceof java.io.UncheckedIOException)) t = t.getCause();
            if (t instanceof Fail f) {
                if (f.getMessage().isEmpty()) return f.status; // quiet: the reader of our stdout went away
                System.err.println("ERROR: " + f.getMessage());
                if (!f.detail.isBlank()) System.err.print(f.detail.endsWith("\n") ? f.detail : f.detail + "\n");
                return f.status;
            }
            System.err.println("ERROR: " + t);
            if (verbose(parsed)) t.printStackTrace();
            return 1;
        });
        cl.setParameterExceptionHandler((e, argv) -> {
            CommandLine c = e.getCommandLine();
            if (e instanceof CommandLine.UnmatchedArgumentException u && c == cl && !c.getSubcommands().isEmpty()
                    && !u.getUnmatched().isEmpty() && !u.getUnmatched().get(0).startsWith("-")) {
                System.err.println("ERROR: Invalid command [" + u.getUnmatched().get(0) + "]");
                String typed = u.getUnmatched().get(0);
                List<String> close = u.getSuggestions().stream().filter(n -> distance(typed, n) <= Math.max(2, typed.length() / 3)).toList();
                if (close.isEmpty()) return 1; // unknown: as images.sh
                System.err.println("Did you mean: " + String.join(" or ", close.stream().map(n -> cl.getCommandName() + " " + n).toList()) + "?");
                return 2; // misspelled (picocli's suggestions, only the close ones): a usage error
            }
            System.err.println("ERROR: " + e.getMessage());
            System.err.println("Try '" + c.getCommandSpec().qualifiedName() + " --help'.");
            return 2;
        });
        return cl;
    }

    /** Was --verbose given to the command that ran (the last subcommand parsed)? */
    private static boolean verbose(CommandLine.ParseResult parsed) {
        while (parsed.hasSubcommand()) parsed = parsed.subcommand();
        return parsed.matchedOptionValue("--verbose", false);
    }

    /**
     * A command with only what a command list shows (name, aliases, description), from its @Command:
     * building options by reflection is what makes start-up slow (even -h and -V cost a mixin each).
     */
    public static CommandSpec stub(Command c) {
        CommandSpec s = CommandSpec.create().name(c.name()).aliases(c.aliases());
        s.usageMessage().description(c.description()).header(c.header()).hidden(c.hidden());
        return s;
    }

    /**
     * The command list: each command once by its name (picocli adds every alias, which widens the first
     * column and squeezes the descriptions), then one line for the dashed aliases.
     */
    private static String commandList(Help help) {
        Set<Help> subs = new LinkedHashSet<>(help.subcommands().values());
        subs.removeIf(h -> h.commandSpec().usageMessage().hidden());
        if (subs.isEmpty()) return "";
        int names = subs.stream().mapToInt(h -> h.commandSpec().name().length()).max().getAsInt() + 4;
        int width = help.commandSpec().usageMessage().width();
        Help.TextTable table = new SpaceWrap(help.colorScheme(), Help.TextTable.forColumns(help.colorScheme(),
                new Help.Column(names, 2, Help.Column.Overflow.SPAN), new Help.Column(width - names, 2, Help.Column.Overflow.WRAP)));
        boolean aliases = false;
        String group = null;
        for (Help h : sorted(subs)) {
            String g = group(h.commandSpec().name());
            if (!g.equals(group) && subs.size() > 6) table.addRowValues((group == null ? "" : "\n") + g, "");
            group = g;
            UsageMessageSpec u = h.commandSpec().usageMessage();
            String[] text = u.header().length > 0 ? u.header() : u.description();
            table.addRowValues("  " + h.commandSpec().name(), text.length > 0 ? text[0] : "");
            aliases |= h.commandSpec().aliases().length > 0;
        }
        return table + (aliases ? "\nEvery name_with_underscores also works as name-with-dashes, and vice versa.\n" : "");
    }

    /** images' commands as a maintainer uses them: build first, then look inside, the registry, docker, the rest. */
    private static final List<String> GROUPS = List.of("Build:", "Inspect a tar:", "Local registry:",
            "Docker helpers:", "xcluster:", "Help:");

    static String group(String name) {
        if (List.of("make", "mkimage", "legacy-import").contains(name)) return GROUPS.get(0);
        if (List.of("ls", "inspect", "verify").contains(name)) return GROUPS.get(1);
        if (name.startsWith("lreg_")) return GROUPS.get(2);
        if (name.startsWith("docker_") || name.equals("in_docker")) return GROUPS.get(3);
        if (List.of("env", "get_rootfs", "get_manifest").contains(name)) return GROUPS.get(4);
        return GROUPS.get(5);
    }

    private static List<Help> sorted(Set<Help> subs) {
        List<Help> l = new ArrayList<>(subs); // stable: the order of declaration within a group
        l.sort(Comparator.comparingInt(h -> GROUPS.indexOf(group(h.commandSpec().name()))));
        return l;
    }

    /** Levenshtein distance: how many letters to change, add or drop. */
    static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1], cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) prev[j] = j;
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++)
                cur[j] = Math.min(Math.min(cur[j - 1], prev[j]) + 1, prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1));
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }

    /** Every subcommand answers --version with the root's version (picocli leaves them empty). */
    private static void versions(CommandLine cl, String[] version) {
        for (CommandLine sub : cl.getSubcommands().values()) {
            if (sub.getCommandSpec().version().length == 0) sub.getCommandSpec().version(version);
            versions(sub, version);
        }
        if (cl.getCommandSpec().version().length == 0) cl.getCommandSpec().version("images " + Lib.VERSION);
    }

    /** Help whose option texts wrap at spaces only: picocli would split k8s.gcr.io/pause:3.1 after a dot or colon. */
    private static Help help(CommandSpec spec, Help.ColorScheme scheme) {
        return new Help(spec, scheme) {
            @Override
            public Layout createDefaultLayout() {
                Layout l = super.createDefaultLayout();
                return new Layout(scheme, new SpaceWrap(scheme, l.textTable()));
            }
        };
    }

    private static final class SpaceWrap extends Help.TextTable {
        private final Help.ColorScheme scheme;

        SpaceWrap(Help.ColorScheme scheme, Help.TextTable like) {
            super(scheme, like.columns());
            this.scheme = scheme;
            indentWrappedLines = like.indentWrappedLines;
        }

        @Override
        public Cell putValue(int row, int col, Help.Ansi.Text value) {
            Help.Column c = columns()[col];
            String plain = value.plainString();
            if (col < columns().length - 1 || plain.length() <= c.width - c.indent - 1) return super.putValue(row, col, value);
            List<String> lines = wrap(plain, c.width - c.indent - 1 - indentWrappedLines);
            Cell cell = super.putValue(row, col, text(lines.get(0)));
            for (int i = 1; i < lines.size(); i++) {
                addEmptyRow();
                cell = super.putValue(rowCount() - 1, col, text(" ".repeat(indentWrappedLines) + lines.get(i)));
            }
            return cell;
        }

        private Help.Ansi.Text text(String s) {
            return scheme.ansi().new Text(s, scheme);
        }

        /** Words into lines of at most width characters (a longer word stands alone). */
        static List<String> wrap(String s, int width) {
            List<String> lines = new ArrayList<>();
            StringBuilder line = new StringBuilder();
            for (String w : s.split(" ")) {
                if (line.length() > 0 && line.length() + 1 + w.length() > width) {
                    lines.add(line.toString());
                    line.setLength(0);
                }
                if (line.length() > 0) line.append(' ');
                line.append(w);
            }
            lines.add(line.toString());
            return lines;
        }
    }
}
