package lib.vm;

import static org.assertj.core.api.Assertions.*;

import java.nio.charset.StandardCharsets;
import java.util.*;
import org.junit.jupiter.api.Test;

/** The VM boot step's pure parts: what opaque folders hide, the owner and mode lists, the pinned drop-in. */
class VmBootTest {
    static Map<String, Character> kinds(String... pathKind) {
        Map<String, Character> m = new HashMap<>();
        m.put(".", 'd');
        for (String s : pathKind) m.put(s.substring(2), s.charAt(0));
        return m;
    }

    static final Map<String, Character> LOWER = kinds("d data", "d data/opq", "f data/opq/a", "d data/opq/sub", "f data/opq/sub/deep",
            "d data/opq/sub/x", "f data/opq/sub/x/y", "f data/opq/keep", "d data/opq/file-over-dir", "f data/opq/file-over-dir/z", "f data/other");

    @Test
    void anOpaqueFolderHidesWhatTheLowerLayersHaveAllTheWayDown() {
        MergedTree lower = MergedTree.empty().plus(LOWER, Set.of());
        Map<String, Character> upper = kinds("d data", "d data/opq", "f data/opq/keep", "d data/opq/sub", "f data/opq/sub/new",
                "w data/opq/sub/deep", "f data/opq/file-over-dir");
        assertThat(lower.opaqueWhiteouts(upper, Set.of("data/opq")))
                .containsExactlyInAnyOrder("data/opq/a", "data/opq/sub/x");
        assertThat(lower.opaqueWhiteouts(upper, Set.of())).isEmpty();
        assertThat(MergedTree.empty().opaqueWhiteouts(upper, Set.of("data/opq"))).isEmpty(); // a base layer hides nothing
    }

    @Test
    void theMergedTreeFollowsWhiteoutsAndOpaqueFolders() {
        MergedTree lower = MergedTree.empty().plus(LOWER, Set.of());
        MergedTree two = lower.plus(kinds("d data", "d data/opq", "f data/opq/new", "w data/other"), Set.of("data/opq"));
        assertThat(two.hasDir("data/opq")).isTrue();
        assertThat(two.hasDir("data/opq/sub")).isFalse();
        assertThat(lower.hasDir("data/opq/sub")).isTrue(); // the lower tree is left as it was
        // a third layer's opaque data/ hides data/opq (from layer two only) and nothing of what two deleted
        assertThat(two.opaqueWhiteouts(kinds("d data"), Set.of("data"))).containsExactly("data/opq");
        MergedTree root = two.plus(kinds("f only"), Set.of("."));
        assertThat(root.hasDir("data")).isFalse();
    }

    @Test
    void ownersThenModesAsNulSeparatedListsOfStoragePaths() {
        String root = "var/lib/containers/storage/", diff = root + "overlay/L/diff/";
        VmBoot vm = new VmBoot(root, true);
        VmBoot.Layer l = vm.layer("L", diff, null, 0);
        l.entry(diff + "a\nb", (byte) '0', 04755, 1000, 1000, Set.of());
        l.entry(diff + "-rf", (byte) '0', 0644, 1000, 1000, Set.of("security.capability", "trusted.overlay.opaque"));
        l.entry(diff + "link", (byte) '2', 04777, 1000, 1000, Set.of());
        l.entry(diff + "d/", (byte) '5', 02775, 0, 1001, Set.of("trusted.overlay.opaque"));
        l.entry(diff + "root", (byte) '0', 04755, 0, 0, Set.of());
        l.end(kinds(), Set.of());
        vm.names(List.of("registry.k8s.io/pause:3.9", "docker.io/x/y:1"));
        Map<String, String> files = new TreeMap<>();
        for (VmBoot.File f : vm.files()) files.put(f.path(), f.body() == null ? null : new String(f.body(), StandardCharsets.ISO_8859_1));
        assertThat(files.get(VmBoot.DATA + "chown-1000.1000")).isEqualTo("./overlay/L/diff/a\nb\0./overlay/L/diff/-rf\0./overlay/L/diff/link\0");
        assertThat(files.get(VmBoot.DATA + "chown-0.1001")).isEqualTo("./overlay/L/diff/d\0");
        assertThat(files.get(VmBoot.DATA + "chmod-4755")).isEqualTo("./overlay/L/diff/a\nb\0"); // not the link, not root's file
        assertThat(files.keySet()).containsOnly(VmBoot.DATA, VmBoot.DATA + "chown-1000.1000", VmBoot.DATA + "chown-0.1001",
                VmBoot.DATA + "chmod-4755", VmBoot.DATA + "done", VmBoot.SCRIPT, VmBoot.PINNED);
        assertThat(vm.warnings("x/y:1", List.of("L"))).containsExactly("WARNING: Image [x/y:1] file [-rf]: security.capability is not set"
                + " on an xcluster VM (busybox tar sets no xattrs); kept for GNU tar --xattrs");
        assertThat(new VmBoot(root, false).files()).isEmpty(); // nothing to chown, nothing pinned
    }

    @Test
    void pinnedNamesAreTomlStrings() {
        assertThat(Pinned.string("a\"b\\c\nd\u007f")).isEqualTo("\"a\\\"b\\\\c\\u000ad\\u007f\"");
        assertThat(Pinned.toml(List.of("registry.k8s.io/pause:3.9"))).endsWith("[crio.image]\npinned_images = [\n  \"registry.k8s.io/pause:3.9\",\n]\n");
    }
}
