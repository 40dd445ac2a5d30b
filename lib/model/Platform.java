package lib.model;

import lib.Fail;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.*;

/**
 * An image's platform (os, architecture, variant: linux/arm/v7), and the choice of one manifest
 * from an image index or docker manifest list, made as containers/image makes it: the wanted
 * platforms in order of preference (the wanted variant, the older variants it runs, then no
 * variant; with no variant wanted: no variant, then the architecture's base variant), the first
 * entry matching the most preferred one; among equals an instance marked as zstd, then the first
 * listed. An OCI index entry without a platform is taken last, when nothing matches.
 */
public record Platform(String os, String arch, String variant) {
    /** containers/image's variant compatibility: most capable first. */
    private static final Map<String, List<String>> COMPATIBLE = Map.of("arm", List.of("v7", "v6", "v5"), "arm64", List.of("v8"));
    /** The variant every machine of an architecture runs. */
    private static final Map<String, String> BASE = Map.of("arm64", "v8");
    static final String ZSTD_ANNOTATION = "io.github.containers.compression.zstd";

    /** OS/ARCH[/VARIANT], as `make --platform` takes it. */
    public static Platform parse(String spec) {
        String[] p = spec.split("/", -1);
        if (p.length < 2 || p.length > 3 || Arrays.stream(p).anyMatch(s -> !s.matches("[a-z0-9_.-]+")))
            throw Fail.usage("Invalid platform [" + spec + "]; give OS/ARCH[/VARIANT], such as linux/arm64 or linux/arm/v7");
        return new Platform(p[0], p[1], p.length == 3 ? p[2] : "");
    }

    /** The machine this runs on, named as Go names it (GOOS/GOARCH), the arm variant from /proc/cpuinfo. */
    public static Platform host() {
        String arch = goArch(System.getProperty("os.arch"));
        String os = System.getProperty("os.name").toLowerCase(Locale.ROOT).replace(" ", "");
        String variant = arch.equals("arm") || arch.equals("arm64") ? cpuVariant(Path.of("/proc/cpuinfo")) : "";
        return new Platform(os, arch, variant);
    }

    static String goArch(String javaArch) {
        return switch (javaArch) {
            case "amd64", "x86_64" -> "amd64";
            case "aarch64", "arm64" -> "arm64";
            case "x86", "i386", "i486", "i586", "i686" -> "386";
            case "loongarch64" -> "loong64";
            case "mips64el" -> "mips64le";
            default -> javaArch.startsWith("arm") ? "arm" : javaArch;
        };
    }

    /** The ARM variant from the kernel's "CPU architecture" line, as containers/image reads it; "" when unknown. */
    static String cpuVariant(Path cpuinfo) {
        try {
            for (String line : Files.readAllLines(cpuinfo)) {
                String[] kv = line.split(":", 2);
                if (kv.length == 2 && kv[0].trim().equalsIgnoreCase("CPU architecture")) return variantOf(kv[1].trim().toLowerCase(Locale.ROOT));
            }
        } catch (IOException e) {
            // no cpuinfo: no variant
        }
        return "";
    }

    private static String variantOf(String cpuArch) {
        return switch (cpuArch) {
            case "8", "aarch64" -> "v8";
            case "7", "7m", "?(12)", "?(13)", "?(14)", "?(15)", "?(16)", "?(17)" -> "v7";
            case "6", "6tej" -> "v6";
            case "5", "5t", "5te", "5tej" -> "v5";
            case "4", "4t" -> "v4";
            case "3" -> "v3";
            default -> "";
        };
    }

    /** The platforms an image may have for this one to run it, most preferred first. */
    List<Platform> accepted() {
        List<String> variants = new ArrayList<>();
        if (!variant.isEmpty()) {
            List<String> order = COMPATIBLE.getOrDefault(arch, List.of());
            int i = order.indexOf(variant);
            variants.addAll(i >= 0 ? order.subList(i, order.size()) : List.of(variant));
            variants.add("");
        } else {
            variants.add("");
            if (BASE.containsKey(arch)) variants.add(BASE.get(arch));
        }
        return variants.stream().map(v -> new Platform(os, arch, v)).toList();
    }

    @Override
    public String toString() {
        return os + "/" + arch + (variant.isEmpty() ? "" : "/" + variant);
    }

    /** An entry of an index: its platform (null: none given), whether it is marked as zstd, its digest. */
    public record Entry(Platform platform, boolean zstd, String digest) {}

    /** The entry to take for this platform, or an error naming what the index has. */
    public Entry choose(List<Entry> entries, String where) {
        List<Platform> accepted = accepted();
        Entry best = null;
        int bestRank = Integer.MAX_VALUE;
        for (Entry e : entries) {
            int rank = e.platform() == null ? accepted.size() : accepted.indexOf(e.platform());
            if (rank < 0) continue;
            if (best == null || rank < bestRank || (rank == bestRank && e.zstd() && !best.zstd())) {
                best = e;
                bestRank = rank;
            }
        }
        if (best != null) return best;
        List<String> has = entries.stream().map(e -> String.valueOf(e.platform())).distinct().toList();
        throw Fail.die("No image for " + this + " in [" + where + "]: it has " + (has.isEmpty() ? "none" : String.join(", ", has))
                + "; choose one with --platform");
    }

    /** The digest of the manifest an index has for this platform, or an error naming what it has. */
    public String chosen(JsonValue index, String where) {
        return choose(entries(index), where).digest();
    }

    /** The entries of an index or manifest list. */
    public static List<Entry> entries(JsonValue index) {
        List<Entry> out = new ArrayList<>();
        for (JsonValue d : index.path("manifests")) {
            JsonValue p = d.path("platform");
            Platform platform = p.has("architecture") || p.has("os")
                    ? new Platform(p.path("os").asText(), p.path("architecture").asText(), p.path("variant").asText()) : null;
            out.add(new Entry(platform, "true".equals(d.path("annotations").path(ZSTD_ANNOTATION).asText(null)), d.path("digest").asText()));
        }
        return out;
    }

    /** Whether a manifest (or the descriptor that points at it) is an index or a manifest list. */
    public static boolean isIndex(JsonValue manifest, JsonValue descriptor) {
        String type = manifest.path("mediaType").asText(descriptor.path("mediaType").asText(""));
        return type.endsWith("image.index.v1+json") || type.endsWith("manifest.list.v2+json") || manifest.has("manifests");
    }
}
