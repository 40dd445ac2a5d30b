import lib.*;
import lib.model.*;
import static org.assertj.core.api.Assertions.*;

import lib.model.ImageRef;
import org.junit.jupiter.api.Test;

/** The images command line: help, errors, exit codes; references parsed in one place. */
class CliTest {
    static final String[] COMMANDS = {"make", "mkimage", "legacy-import", "env", "get_rootfs", "get_manifest",
            "in_docker", "docker_ls", "docker_export", "docker_ls_layers", "docker_save_layers", "docker_flush",
            "lreg_ls", "lreg_cache", "lreg_upload", "lreg_inspect", "lreg_rm", "ls", "inspect", "verify", "completion"};

    @Test
    void helpListsEveryCommandThreeWays() {
        for (String[] args : new String[][] {{}, {"help"}, {"--help"}, {"-h"}}) {
            Bed.Result r = Bed.images(args);
            assertThat(r.code()).as(r.toString()).isZero();
            assertThat(r.out()).as(String.join(" ", args)).contains(COMMANDS);
        }
    }

    @Test
    void helpOfOneCommandShowsItsOptions() {
        Bed.Result r = Bed.images("mkimage", "--help");
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("--manifest", "--force", "--upload", "--strip-host", "--tag", "--verbose", "--dry-run");
        Bed.Result d = Bed.images("docker-ls", "--help"); // the dashed alias
        assertThat(d.code()).isZero();
        assertThat(d.out()).contains("docker_ls", "IMAGE");
    }

    @Test
    void theLightHelpIsTheFullModelsHelp() {
        // `images --help` builds stubs (names, descriptions), not every command with its options: the
        // same commands in the same order, the same text, so a new helper cannot be left out of it.
        picocli.CommandLine full = lib.cli.Cli.commandLine(new images(), null);
        var light = images.light(images.commands());
        assertThat(light.subcommands().keySet()).containsExactlyElementsOf(full.getSubcommands().keySet());
        assertThat(images.commands().keySet()).containsExactlyElementsOf(full.getSubcommands().keySet());
        assertThat(lib.cli.Cli.commandLine(light, null).getUsageMessage()).isEqualTo(full.getUsageMessage());
        Bed.Result r = Bed.images("--help");
        assertThat(r.out()).isEqualTo(full.getUsageMessage());
    }

    @Test
    void helpShowsEachCommandOnceAndSaysDashesWork() {
        Bed.Result r = Bed.images("--help");
        assertThat(r.out()).contains("\n    docker_save_layers  Unpack the named layers (paths in the `docker save`\n",
                "\n    legacy-import       Import DIR", "docker.io/library/alpine:3.8",
                "\nEvery name_with_underscores also works as name-with-dashes, and vice versa.\n");
        assertThat(r.out()).doesNotContain("docker-ls", "legacy_import").doesNotContainPattern("(?m)^    [a-z][a-z_-]*, "); // no aliases listed
    }

    @Test
    void aHelperAnswersToBothNamesUnderItsOwn() {
        Bed.Result underscored = Bed.images("docker_ls", "--help");
        assertThat(underscored.code()).isZero();
        assertThat(underscored.out()).startsWith("Usage: images docker_ls [-hV] [--dry-run] [--verbose] IMAGE\n");
        assertThat(Bed.images("docker-ls", "--help").out()).isEqualTo(underscored.out());
        assertThat(Bed.images("help", "docker-ls").out()).isEqualTo(underscored.out());
        assertThat(Bed.images("help", "make").out()).isEqualTo(Bed.images("make", "--help").out()).startsWith("Usage: images make ");
        Bed.Result missing = Bed.images("docker-ls");
        assertThat(missing.code()).isEqualTo(2);
        assertThat(missing.stderr()).isEqualTo("ERROR: Missing required parameter: 'IMAGE'\nTry 'images docker_ls --help'.\n");
        Bed.Result typo = Bed.images("docker-lss");
        assertThat(typo.code()).isEqualTo(2);
        assertThat(typo.stderr()).startsWith("ERROR: Invalid command [docker-lss]\nDid you mean: images docker-ls or images ");
    }

    @Test
    void unknownCommandIsAnErrorWithExit1() {
        Bed.Result r = Bed.images("frobnicate");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.stderr()).startsWith("ERROR: Invalid command [frobnicate]");
        assertThat(r.stdout()).isEmpty();
    }

    @Test
    void aMisspelledCommandExits2WithDidYouMean() {
        Bed.Result r = Bed.images("maek", "x");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.stderr()).isEqualTo("ERROR: Invalid command [maek]\nDid you mean: images make?\n");
    }

    @Test
    void everySubcommandHasAVersionAndDescribesEveryParameter() {
        for (String cmd : new String[] {"make", "mkimage", "legacy-import", "ls", "verify", "docker_ls"}) {
            Bed.Result r = Bed.images(cmd, "--version");
            assertThat(r.code()).as(cmd).isZero();
            assertThat(r.out()).as(cmd).startsWith("images ");
        }
        picocli.CommandLine cl = new picocli.CommandLine(new images());
        for (picocli.CommandLine sub : cl.getSubcommands().values()) {
            var spec = sub.getCommandSpec();
            spec.positionalParameters().forEach(p -> assertThat(p.description()).as(spec.qualifiedName() + " " + p.paramLabel()).isNotEmpty());
            spec.options().forEach(o -> assertThat(o.description()).as(spec.qualifiedName() + " " + o.longestName()).isNotEmpty());
        }
    }

    @Test
    void helpDoesNotBreakImageNames() {
        Bed.Result r = Bed.images("make", "--help");
        assertThat(r.out()).contains("registry.k8s.io/pause:3.9", "oci-archive:PATH[:REF]");
    }

    @Test
    void completionScriptCompletesCommandsAndOptions() {
        Bed.Result r = Bed.images("completion");
        assertThat(r.code()).as(r.toString()).isZero();
        java.nio.file.Path script = Bed.tempDir("completion").resolve("images.bash");
        Bed.write(script, r.out());
        assertThat(Bed.run(java.util.Map.of(), null, "bash", "-n", script.toString()).code()).isZero();
        String call = "source " + script + "; COMP_WORDS=(images %s); COMP_CWORD=%d; COMP_LINE=\"${COMP_WORDS[*]}\"; "
                + "COMP_POINT=${#COMP_LINE}; _complete_images images \"${COMP_WORDS[-1]}\" \"${COMP_WORDS[-2]}\" 2>/dev/null; "
                + "printf '%%s\\n' \"${COMPREPLY[@]}\"";
        Bed.Result cmds = Bed.run(java.util.Map.of(), null, "bash", "-c", String.format(call, "ve", 1));
        assertThat(cmds.out().lines()).containsExactly("verify");
        Bed.Result opts = Bed.run(java.util.Map.of(), null, "bash", "-c", String.format(call, "make --v", 2));
        assertThat(opts.out().lines()).containsExactlyInAnyOrder("--verbose", "--verify", "--version", "--via");
    }

    @Test
    void usageErrorsExit2() {
        Bed.Result r = Bed.images("docker_ls", "--no-such-option", "x:1");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.stderr()).startsWith("ERROR: Unknown option: '--no-such-option'\n");
        Bed.Result missing = Bed.images("docker_ls");
        assertThat(missing.code()).isEqualTo(2);
        assertThat(missing.stderr()).startsWith("ERROR: Missing required parameter: 'IMAGE'\n");
    }

    @Test
    void standaloneScriptsRunAlone() {
        for (String main : new String[] {"make", "mkimage", "LegacyImport"}) {
            Bed.Result r = Bed.tool(main, java.util.Map.of(), "--help");
            assertThat(r.code()).as(main).isZero();
            assertThat(r.out()).contains("Usage:", "--verbose", "--dry-run");
        }
    }

    @Test
    void envPrintsTheXclusterContext() {
        Bed.Result r = Bed.images(java.util.Map.of("XCLUSTER_TMP", "/some/where"), "env");
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("XCLUSTER_TMP=/some/where\n");
    }

    @Test
    void thePomBuildsWithTheScriptsDependencies() {
        String pom = Bed.read(Bed.REPO.resolve("tests/pom.xml"));
        java.util.List<String> deps = Bed.read(Bed.REPO.resolve("lib/Lib.java")).lines()
                .filter(l -> l.startsWith("//DEPS ")).map(l -> l.substring(7).trim()).toList();
        assertThat(deps).isNotEmpty();
        for (String d : deps) {
            String[] gav = d.split(":");
            assertThat(pom).as(d).containsPattern("<groupId>" + java.util.regex.Pattern.quote(gav[0]) + "</groupId><artifactId>"
                    + java.util.regex.Pattern.quote(gav[1]) + "</artifactId><version>" + java.util.regex.Pattern.quote(gav[2]) + "</version>");
        }
        String lib = Bed.read(Bed.REPO.resolve("lib/Lib.java"));
        java.util.Set<String> listed = new java.util.HashSet<>();
        lib.lines().filter(l -> l.startsWith("//SOURCES ")).forEach(l -> listed.addAll(java.util.List.of(l.substring(10).trim().split("\\s+"))));
        java.nio.file.Path libDir = Bed.REPO.resolve("lib");
        try (var files = java.nio.file.Files.walk(libDir)) {
            for (String f : files.map(p -> libDir.relativize(p).toString()).filter(n -> n.endsWith(".java") && !n.equals("Lib.java")).toList())
                assertThat(listed).as("lib/Lib.java lists every lib source (JBang reads no wildcards over http)").contains(f);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        for (String script : new String[] {"images.java", "make.java", "mkimage.java", "legacy-import.java"})
            assertThat(Bed.read(Bed.REPO.resolve(script))).as(script).contains("//SOURCES lib/Lib.java").doesNotContain("//DEPS");
    }

    @Test
    void referencesGetDockerHubDefaults() {
        ImageRef a = ImageRef.parse("alpine:3.8");
        assertThat(a).isEqualTo(new ImageRef("docker.io", "library/alpine", "3.8", null));
        assertThat(a.full()).isEqualTo("docker.io/library/alpine:3.8");
        assertThat(a.familiar()).isEqualTo("alpine:3.8");
        ImageRef u = ImageRef.parse("nordixorg/mconnect:v1.2");
        assertThat(u.domain()).isEqualTo("docker.io");
        assertThat(u.path()).isEqualTo("nordixorg/mconnect");
        assertThat(u.familiar()).isEqualTo("nordixorg/mconnect:v1.2");
    }

    @Test
    void referencesWithHostPortTagAndDigest() {
        ImageRef r = ImageRef.parse("127.0.0.1:5000/x/y:1.0");
        assertThat(r).isEqualTo(new ImageRef("127.0.0.1:5000", "x/y", "1.0", null));
        assertThat(r.withoutHost()).isEqualTo("x/y:1.0");
        assertThat(ImageRef.parse("k8s.gcr.io/pause:3.1").full()).isEqualTo("k8s.gcr.io/pause:3.1");
        assertThat(ImageRef.parse("localhost/a").hasVersion()).isFalse();
        assertThat(ImageRef.parse("127.0.0.1:5000/x/y").hasVersion()).isFalse();
        String d = "sha256:" + "a".repeat(64);
        ImageRef dg = ImageRef.parse("quay.io/a/b@" + d);
        assertThat(dg.digest()).isEqualTo(d);
        assertThat(dg.tag()).isNull();
        assertThat(dg.hasVersion()).isTrue();
        assertThat(ImageRef.parse("[fd00::1]:5000/a:1").domain()).isEqualTo("[fd00::1]:5000");
        assertThatThrownBy(() -> ImageRef.parse("UPPER/case:1")).hasMessageContaining("Invalid image reference");
        assertThatThrownBy(() -> ImageRef.versioned("busybox")).hasMessage("Image must have a version [busybox] (give a tag, e.g. busybox:latest)");
    }
}
