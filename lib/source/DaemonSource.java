package lib.source;

import lib.Fail;
import lib.exec.Run;
import lib.model.Digest;
import lib.model.Image;
import lib.model.ImageRef;
import lib.tar.TarIndex;
import java.nio.file.Path;
import java.util.*;

/**
 * Images of the docker daemon (DOCKER_HOST), pulled when missing. All references of a make are
 * read from one `docker save` spooled into the private temporary folder, then read as a
 * docker-archive; each reference is matched to its image by image id.
 */
record DaemonSource(Run run, List<String> refs) implements Source {
    @Override
    public List<Image> images(Path tmp) {
        Map<String, Image> saved = save(run, refs, tmp);
        List<Image> out = new ArrayList<>();
        for (String ref : refs) out.add(saved.get(ref));
        return out;
    }

    /** Pulls what is missing, saves all refs at once; each ref mapped to its image. */
    static Map<String, Image> save(Run run, List<String> refs, Path tmp) {
        Map<String, String> ids = ids(run, refs);
        Path saved = tmp.resolve("docker-save.tar");
        List<String> argv = new ArrayList<>(List.of("save", "-o", saved.toString()));
        argv.addAll(new LinkedHashSet<>(refs));
        Docker.docker(run, argv.toArray(String[]::new)).fails("docker save failed " + refs).run();
        String where = "docker save " + String.join(" ", new LinkedHashSet<>(refs));
        Map<String, Image> byId = new HashMap<>();
        for (Image i : DockerArchive.read(TarIndex.of(saved, where), where)) byId.put(Digest.of(i.config()).toString(), i);
        Map<String, Image> out = new HashMap<>();
        ids.forEach((ref, id) -> {
            Image i = byId.get(id);
            if (i == null) throw Fail.die("docker save did not write [" + ref + "] (" + id + ")");
            out.put(ref, new Image(List.of(ImageRef.stored(ref)), i.config(), i.created(), null, i.layers(), "docker-daemon:" + ref));
        });
        return out;
    }

    /** The image id of each ref (pulled when missing). */
    static Map<String, String> ids(Run run, List<String> refs) {
        return inspect(run, refs, "{{.Id}}");
    }

    /**
     * `docker image inspect --format FORMAT` of each ref, one line each: one call when the daemon
     * has them all, else what is missing is pulled first.
     */
    static Map<String, String> inspect(Run run, List<String> refs, String format) {
        List<String> argv = new ArrayList<>(List.of("image", "inspect", "--format", format));
        for (String ref : refs) {
            ImageRef.versioned(ref); // "Image must have a version", as images.sh says
            argv.add(ref);
        }
        Map<String, String> out = new LinkedHashMap<>();
        try {
            List<String> lines = Docker.docker(run, argv.toArray(String[]::new)).read().lines().toList();
            if (lines.size() == refs.size()) {
                for (int i = 0; i < refs.size(); i++) out.put(refs.get(i), lines.get(i).trim());
                return out;
            }
        } catch (Fail missing) {
            // some image is not in the daemon: pull it below
        }
        for (String ref : refs) {
            Docker.pull(run, ref);
            out.put(ref, Docker.docker(run, "image", "inspect", "--format", format, ref).fails("Can't find image [" + ref + "]").read().trim());
        }
        return out;
    }

    @Override
    public String toString() {
        return "docker-daemon:" + String.join(",", refs);
    }
}
