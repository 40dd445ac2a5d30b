package lib.source;

import lib.Fail;
import lib.exec.Run;
import lib.model.Platform;
import lib.model.Digest;
import lib.model.Image;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.*;

/**
 * Where images come from: one implementation per medium, all with the same verbs. A source
 * opens its images; an Image lists its layers, base first; a Layer opens its blob. Only the sink
 * (Storage) knows both a source and what it writes.
 * <ul>
 * <li>DaemonSource: the docker daemon, all its references read from one `docker save`;
 * <li>DockerArchive: docker-archive:PATH[:REF], the one reader of what `docker save` writes;
 * <li>OciLayout: oci:DIR[:REF] and oci-archive:PATH[:REF]; a registry, through OciCache;
 * <li>OverlaySource: an overlay image folder, built without docker.
 * </ul>
 * Sources makes them from make's items and opens them together.
 */
public interface Source {
    /**
     * The images of this source. tmp is a private folder that lives while the images are read
     * (the daemon spools its `docker save` there).
     */
    List<Image> images(Path tmp);

    /** A file a source reads, which must be there. */
    static Path readable(Path p, String where) {
        if (!Files.exists(p)) throw Fail.die("No such file [" + where + "]");
        if (!Files.isRegularFile(p) || !Files.isReadable(p)) throw Fail.die("Not readable [" + where + "]");
        return p;
    }
}
