package lib.vm;

import java.util.Collection;

/**
 * The CRI-O drop-in VmBoot.PINNED: every image name of the tar in `pinned_images`, so that
 * kubelet's image garbage collection (when the VM's disk fills) keeps the pre-pulled images.
 */
final class Pinned {
    private Pinned() {}

    static String toml(Collection<String> names) {
        StringBuilder b = new StringBuilder("# Written by `images make`: the images of the images tar, kept from kubelet's image GC.\n");
        b.append("[crio.image]\npinned_images = [\n");
        for (String n : names) b.append("  ").append(string(n)).append(",\n");
        return b.append("]\n").toString();
    }

    /** A TOML basic string: quotes and backslashes escaped, control characters as \\uXXXX. */
    static String string(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') b.append('\\').append(c);
            else if (c < 0x20 || c == 0x7f) b.append(String.format("\\u%04x", (int) c));
            else b.append(c);
        }
        return b.append('"').toString();
    }
}
