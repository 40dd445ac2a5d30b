import static org.assertj.core.api.Assertions.*;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.*;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** `jbang images@xcluster` from another folder, with the catalog as a path and over http. */
class CatalogTest {
    static final String JBANG = Bed.REPO.resolve("jbang").toString();

    Bed.Result jbang(Path jbangDir, Path cwd, String... args) {
        String[] argv = new String[args.length + 1];
        argv[0] = JBANG;
        System.arraycopy(args, 0, argv, 1, args.length);
        return Bed.run(Map.of("JBANG_DIR", jbangDir.toString()), null, cwd.toFile(), argv);
    }

    void addAndRun(String catalog) {
        Path home = Bed.tempDir("jbang-home"), elsewhere = Bed.tempDir("elsewhere");
        Bed.Result add = jbang(home, elsewhere, "catalog", "add", "--name", "xcluster", catalog);
        assertThat(add.code()).as(add.toString()).isZero();
        Bed.Result help = jbang(home, elsewhere, "images@xcluster", "--help");
        assertThat(help.code()).as(help.toString()).isZero();
        assertThat(help.out()).contains("Usage: images", "make", "mkimage", "docker_ls", "lreg_ls");
        Bed.Result make = jbang(home, elsewhere, "make@xcluster", "--help");
        assertThat(make.code()).as(make.toString()).isZero();
        assertThat(make.out()).contains("Usage: make", "--tar");
        Bed.Result legacy = jbang(home, elsewhere, "legacy-import@xcluster", "--help");
        assertThat(legacy.code()).as(legacy.toString()).isZero();
        assertThat(legacy.out()).contains("Usage: legacy-import");
    }

    @Test
    void catalogAsAPath() {
        addAndRun(Bed.REPO.resolve("jbang-catalog.json").toString());
    }

    @Test
    void catalogOverHttp() throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", ex -> {
            Path f = Bed.REPO.resolve(ex.getRequestURI().getPath().substring(1)).normalize();
            boolean ok = f.startsWith(Bed.REPO) && Files.isRegularFile(f);
            byte[] body = ok ? Files.readAllBytes(f) : new byte[0];
            ex.sendResponseHeaders(ok ? 200 : 404, ok ? body.length : -1);
            if (ok) ex.getResponseBody().write(body);
            ex.close();
        });
        server.start();
        try {
            addAndRun("http://127.0.0.1:" + server.getAddress().getPort() + "/jbang-catalog.json");
        } finally {
            server.stop(0);
        }
    }

    @Test
    void fromTheRepoRoot() {
        Path home = Bed.tempDir("jbang-home");
        Bed.Result r = jbang(home, Bed.REPO, "images", "docker_ls", "--help");
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).contains("Usage: images docker_ls");
    }
}
