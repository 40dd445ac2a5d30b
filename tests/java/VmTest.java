import static org.assertj.core.api.Assertions.assertThat;

import java.io.*;
import java.nio.charset.StandardCharsets;
import java.nio.file.*;
import java.util.*;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.*;

/**
 * The VM is the customer: the images tar unpacked as an xcluster VM unpacks it (xcluster-vm.md:
 * a busybox chroot with /var/run -> /run, `EXTRACT_UNSAFE_SYMLINKS=1 tar -C / -o -xf`, then every
 * /etc/init.d/*.rc in name order) must show each image, through podman, as skopeo's own store
 * does: owners, modes, opaque folders, whiteouts, links. The test image has all of that, a file
 * capability with a 0x80 byte, and hostile names (quotes, $(...), spaces, a newline, a leading
 * dash, a uid-1000 link to /etc/passwd).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class VmTest {
    static final String VM = "test/vm:1", BASE = "test/vm-base:1", PAUSE = "registry.k8s.io/pause:3.9";
    static final String CAP_HEX = "0100000280000000000000000000000000000000"; // v2, effective, permitted CAP_SETUID (bit 7: 0x80)
    static final List<String> HOSTILE = List.of("it's \"q\"", "$(touch /tmp/pwned)", "a b", "new\nline", "-rf", "--help");
    static final String PASSWD = "root:x:0:0:root:/root:/bin/sh\nvm:x:5:5::/:/bin/sh\n";
    Path dir, tar, skopeoRoot, skopeoRun, vm;
    String makeErr;

    @BeforeAll
    void makeTheTarAndBootTheVm() throws IOException {
        Bed.requireRoot();
        Bed.requireTools("skopeo", "podman", "tar", "python3", "busybox", "chroot", "umount");
        dir = Bed.tempDir("vm");
        byte[] lower = layer(lowerTree(dir.resolve("lower"))), upper = layer(upperTree(dir.resolve("upper")));
        Path vmArchive = write("vm.tar", TestImages.archive(VM, List.of("/bin/sh"), List.of(lower, upper)));
        Path baseArchive = write("base.tar", TestImages.archive(BASE, List.of("/bin/sh"), List.of(lower)));
        Path pauseArchive = write("pause.tar", TestImages.archive(PAUSE, List.of("/bin/sh"), List.of(new TestImages.Layer().busybox().bytes())));
        tar = dir.resolve("images.tar");
        Bed.Result r = Bed.images(Map.of(), "make", "--verbose", "--pause=docker-archive:" + pauseArchive, "--tar=" + tar,
                "docker-archive:" + vmArchive, "docker-archive:" + baseArchive);
        assertThat(r.code()).as(r.toString()).isZero();
        makeErr = r.stderr();
        Path skopeo = Bed.shortDir(); // podman refuses a long run root
        skopeoRoot = skopeo.resolve("root");
        skopeoRun = skopeo.resolve("run");
        for (String[] s : List.of(new String[] {vmArchive.toString(), VM}, new String[] {baseArchive.toString(), BASE},
                new String[] {pauseArchive.toString(), PAUSE})) {
            Bed.Result c = NativeStorageTest.skopeoCopy("docker-archive:" + s[0],
                    "containers-storage:[overlay@" + skopeoRoot + "+" + skopeoRun + "]" + s[1]);
            assertThat(c.code()).as(c.toString()).isZero();
        }
        lib.exec.Temp.unmount(lib.exec.Run.QUIET, skopeo);
        vm = bootVm(tar);
    }

    @Test
    void aMakeFromTheLayerCacheGivesTheSameVmTar() throws IOException {
        Path again = dir.resolve("again.tar");
        Bed.Result r = Bed.images(Map.of(), "make", "--verbose", "--pause=docker-archive:" + dir.resolve("pause.tar"), "--tar=" + again,
                "docker-archive:" + dir.resolve("vm.tar"), "docker-archive:" + dir.resolve("base.tar"));
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.stderr()).contains("cache hit [docker-archive:" + dir.resolve("vm.tar")).doesNotContain("cache miss");
        assertThat(Files.mismatch(again, tar)).as("the cached make's tar is the first make's, boot lists and whiteouts included").isEqualTo(-1);
    }

    @AfterAll
    void cleanUp() {
        for (Path p : new Path[] {vm, dir, skopeoRoot}) if (p != null) lib.exec.Temp.unmount(lib.exec.Run.QUIET, p);
    }

    // ---- the image: a lower layer and an upper one, written by GNU tar from real folders

    /** Owners, setuid/setgid, a capability, hostile names, a link to /etc/passwd, folders an opaque folder hides. */
    static Path lowerTree(Path t) {
        sh(t, "mkdir -p bin etc data/opq/sub data/opq/gone-dir data/home data/shared data/hostile && cp " + Bed.which("busybox") + " bin/busybox"
                + " && for c in sh ls cat; do ln -s busybox bin/$c; done && echo 'root:x:0:0:root:/:/bin/sh' > etc/passwd"
                + " && echo a > data/opq/a.txt && echo deep > data/opq/sub/deep.txt && echo x > data/opq/gone-dir/x"
                + " && echo gone > data/gone.txt && echo owned > data/owned && chown 1000:1000 data/owned && chmod 0640 data/owned"
                + " && ln data/owned data/owned-hardlink"
                + " && echo s > data/suid && chown 1000:1000 data/suid && chmod 4755 data/suid"
                + " && echo g > data/sgid && chown 1000:1001 data/sgid && chmod 2755 data/sgid"
                + " && echo root-suid > data/root-suid && chmod 4711 data/root-suid"
                + " && chown 1000:1000 data/home && chmod 0750 data/home && chown 1000:1000 data/shared && chmod 2775 data/shared"
                + " && echo ping > data/ping && chmod 0755 data/ping"
                + " && ln -s /etc/passwd data/hostile/pw && chown -h 1000:1000 data/hostile/pw");
        python("import os; os.setxattr(" + py(t.resolve("data/ping")) + ", 'security.capability', bytes.fromhex('" + CAP_HEX + "'))");
        // many uid-1000 files: busybox 1.35's xargs -0 spliced names at its buffer's edges when chown ran in its process
        sh(t, "mkdir data/many && cd data/many && for i in $(seq 1 3000); do echo $i > file-with-a-name-long-enough-to-fill-buffers-$i; done"
                + " && chown -R 1000:1000 . && chmod 4755 file-with-a-name-long-enough-to-fill-buffers-1*");
        for (String n : HOSTILE) {
            Path f = t.resolve("data/hostile").resolve(n);
            Bed.write(f, n + "\n");
            python("import os; os.chown(" + py(f) + ", 1000, 1000)");
        }
        return t;
    }

    /** Deletes data/gone.txt; data/opq opaque with only new.txt and sub/upper.txt (sub: a folder over a folder). */
    static Path upperTree(Path t) {
        sh(t, "mkdir -p data/opq/sub && touch data/.wh.gone.txt data/opq/.wh..wh..opq && echo new > data/opq/new.txt"
                + " && echo up > data/opq/sub/upper.txt && echo added > data/added && chown 1000:1000 data/added data/opq/sub");
        Path f = t.resolve("data/opq/$(touch -- -x) it's");
        Bed.write(f, "hostile in upper\n");
        python("import os; os.chown(" + py(f) + ", 1000, 1000)");
        return t;
    }

    static byte[] layer(Path t) throws IOException {
        Bed.Result r = Bed.run(Map.of(), null, "tar", "--xattrs", "--xattrs-include=*", "--numeric-owner", "--sort=name",
                "--mtime=@1600000000", "-C", t.toString(), "-cf", "-", ".");
        assertThat(r.code()).as(r.toString()).isZero();
        return r.stdout();
    }

    // ---- the VM, emulated as xcluster-vm.md says

    /** A busybox root with /var/run -> /run and its own /etc/passwd; the tar unpacked by busybox; the rc scripts, twice. */
    Path bootVm(Path images) throws IOException {
        Path v = Bed.shortDir();
        for (String d : List.of("bin", "run", "var", "tmp", "etc")) Files.createDirectories(v.resolve(d));
        Files.copy(Path.of(Bed.which("busybox")), v.resolve("bin/busybox"));
        run("chroot", v.toString(), "/bin/busybox", "--install", "-s", "/bin");
        Files.createSymbolicLink(v.resolve("var/run"), Path.of("/run"));
        Bed.write(v.resolve("etc/passwd"), PASSWD);
        Files.copy(images, v.resolve("tmp/images.tar"));
        run("chroot", v.toString(), "/bin/env", "-i", "PATH=/bin", "EXTRACT_UNSAFE_SYMLINKS=1", "tar", "-C", "/", "-o", "-xf", "/tmp/images.tar");
        rcScripts(v);
        rcScripts(v); // a VM may boot twice from the same disk
        return v;
    }

    static void rcScripts(Path root) throws IOException {
        List<String> rc = new ArrayList<>();
        try (var s = Files.list(root.resolve("etc/init.d"))) {
            s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".rc")).sorted().forEach(rc::add);
        }
        assertThat(rc).isNotEmpty().allMatch(n -> n.compareTo("32") < 0);
        for (String n : rc) run("chroot", root.toString(), "/bin/env", "-i", "PATH=/bin", "/bin/sh", "/etc/init.d/" + n, "start");
    }

    // ---- what the container sees

    @Test
    void everyImageOnTheVmIsSkopeos() {
        for (String img : List.of(VM, BASE, PAUSE)) {
            SortedMap<String, String> theirs = withoutXattrs(merged(skopeoRoot, skopeoRun, img));
            SortedMap<String, String> mine = withoutXattrs(merged(vm.resolve("var/lib/containers/storage"), vm.resolve("run/containers/storage"), img));
            assertThat(mine).as(img).isEqualTo(theirs);
        }
    }

    @Test
    void theContainerSeesOwnersModesOpaqueFoldersAndWhiteouts() {
        SortedMap<String, String> m = merged(vm.resolve("var/lib/containers/storage"), vm.resolve("run/containers/storage"), VM);
        assertThat(m.get("./data/suid")).startsWith("0 4755 1000:1000 ");
        assertThat(m.get("./data/sgid")).startsWith("0 2755 1000:1001 ");
        assertThat(m.get("./data/root-suid")).startsWith("0 4711 0:0 ");
        assertThat(m.get("./data/owned")).startsWith("0 640 1000:1000 ");
        assertThat(m.get("./data/shared/")).startsWith("5 2775 1000:1000 ");
        assertThat(m.get("./data/hostile/pw")).startsWith("2 777 1000:1000 0 - /etc/passwd ");
        for (String n : HOSTILE) assertThat(m.get("./data/hostile/" + n)).as(n).startsWith("0 644 1000:1000 ");
        assertThat(m.get("./data/opq/sub/")).startsWith("5 755 1000:1000 ");
        assertThat(m.keySet().stream().filter(k -> k.startsWith("./data/opq/") && !k.equals("./data/opq/")))
                .containsExactly("./data/opq/$(touch -- -x) it's", "./data/opq/new.txt", "./data/opq/sub/", "./data/opq/sub/upper.txt");
        assertThat(m).doesNotContainKey("./data/gone.txt").containsKey("./data/added");
    }

    @Test
    void namesRanNothingAndNoLinkWasFollowed() throws IOException {
        assertThat(vm.resolve("tmp/pwned")).doesNotExist();
        assertThat(Path.of("/tmp/pwned")).doesNotExist();
        assertThat(vm.resolve("var/lib/containers/storage/-x")).doesNotExist();
        assertThat(Files.readString(vm.resolve("etc/passwd"))).isEqualTo(PASSWD);
        assertThat(Files.getAttribute(vm.resolve("etc/passwd"), "unix:uid")).isEqualTo(0);
        assertThat(Files.readSymbolicLink(vm.resolve("var/run"))).isEqualTo(Path.of("/run")); // the link survived the unpack
        assertThat(vm.resolve("run/containers/storage")).isDirectory(); // what the tar has under var/run is in /run
    }

    @Test
    void aCapabilityIsWarnedAndLostOnTheVm() {
        assertThat(makeErr.lines().filter(l -> l.startsWith("WARNING:")))
                .containsExactly("WARNING: Image [" + "docker.io/" + VM + "] file [data/ping]: security.capability is not set on an xcluster VM"
                        + " (busybox tar sets no xattrs); kept for GNU tar --xattrs",
                        "WARNING: Image [" + "docker.io/" + BASE + "] file [data/ping]: security.capability is not set on an xcluster VM"
                        + " (busybox tar sets no xattrs); kept for GNU tar --xattrs");
        assertThat(makeErr).contains("VM boot step: etc/init.d/20images-owners.rc restores");
        assertThat(merged(vm.resolve("var/lib/containers/storage"), vm.resolve("run/containers/storage"), VM).get("./data/ping")).endsWith(" {}");
    }

    /** GNU tar keeping owners and xattrs: the boot script stays out of the way, the capability's bytes are all there. */
    @Test
    void gnuTarUnpackKeepsEverythingAfterTheRcScripts() throws IOException {
        Path g = Bed.shortDir();
        run("tar", "--xattrs", "--xattrs-include=*", "--numeric-owner", "-xpf", tar.toString(), "-C", g.toString());
        Files.createDirectories(g.resolve("bin"));
        Files.copy(Path.of(Bed.which("busybox")), g.resolve("bin/busybox"));
        run("chroot", g.toString(), "/bin/busybox", "--install", "-s", "/bin");
        rcScripts(g);
        try {
            for (String img : List.of(VM, BASE, PAUSE))
                assertThat(merged(g.resolve("var/lib/containers/storage"), g.resolve("var/run/containers/storage"), img)).as(img)
                        .isEqualTo(merged(skopeoRoot, skopeoRun, img));
            SortedMap<String, String> m = merged(g.resolve("var/lib/containers/storage"), g.resolve("var/run/containers/storage"), VM);
            assertThat(m.get("./data/suid")).startsWith("0 4755 1000:1000 ");
            String ping = mountPoint(g.resolve("var/lib/containers/storage"), g.resolve("var/run/containers/storage"), VM) + "/data/ping";
            assertThat(python("import os,sys; sys.stdout.write(os.getxattr(" + py(Path.of(ping)) + ", 'security.capability').hex())"))
                    .isEqualTo(CAP_HEX);
        } finally {
            lib.exec.Temp.unmount(lib.exec.Run.QUIET, g);
        }
    }

    @Test
    void imagesVerifyAcceptsTheVmTree() {
        Bed.Result r = Bed.images(Map.of(), "verify", tar.toString());
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).startsWith("OK ");
    }

    @Test
    void everyImageIsPinned() {
        String json = python("import tomllib,json,sys; sys.stdout.write(json.dumps(tomllib.load(open(" + py(vm.resolve("etc/crio/crio.conf.d/50-images.conf"))
                + ",'rb'))['crio']['image']['pinned_images']))");
        assertThat(json).isEqualTo("[\"" + PAUSE + "\", \"docker.io/" + VM + "\", \"docker.io/" + BASE + "\"]");
    }

    /** --plain: today's tree (no script, no drop-in, no extra whiteouts); --no-pin: no drop-in only. */
    @Test
    void plainAndNoPin() throws IOException {
        Path vmArchive = dir.resolve("vm.tar"), plain = dir.resolve("plain.tar"), noPin = dir.resolve("nopin.tar");
        Bed.Result p = Bed.images(Map.of(), "make", "--plain", "--no-pause", "--tar=" + plain, "docker-archive:" + vmArchive);
        assertThat(p.code()).as(p.toString()).isZero();
        assertThat(p.stderr()).doesNotContain("WARNING:");
        Bed.Result n = Bed.images(Map.of(), "make", "--no-pin", "--no-pause", "--tar=" + noPin, "docker-archive:" + vmArchive);
        assertThat(n.code()).as(n.toString()).isZero();
        Map<String, Character> plainEntries = entries(plain), noPinEntries = entries(noPin), vmEntries = entries(tar);
        assertThat(plainEntries.keySet()).noneMatch(k -> k.startsWith("etc/") || k.contains("images-boot"));
        assertThat(noPinEntries).containsKey("etc/init.d/20images-owners.rc").doesNotContainKey("etc/crio/crio.conf.d/50-images.conf");
        assertThat(whiteouts(plainEntries)).containsExactly("data/gone.txt");
        assertThat(whiteouts(vmEntries)).containsExactlyInAnyOrder("data/gone.txt", "data/opq/a.txt", "data/opq/gone-dir",
                "data/opq/sub/deep.txt");
    }

    /** The classic way (skopeo writes the tree, then tar) gets the same boot step: the same VM check. */
    @Test
    void theClassicTarGivesTheSameVm() throws IOException {
        Bed.docker();
        for (String a : List.of("vm.tar", "base.tar")) Bed.docker("load", "-i", dir.resolve(a).toString());
        Path classic = dir.resolve("classic.tar");
        Bed.Result r = Bed.images(Map.of(), "make", "--via=skopeo", "--no-pause", "--tar=" + classic, VM, BASE);
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.stderr()).contains("WARNING: Image [docker.io/" + VM + "] file [data/ping]: security.capability is not set");
        Bed.Result v = Bed.images(Map.of(), "verify", classic.toString());
        assertThat(v.code()).as(v.toString()).isZero();
        Path c = bootVm(classic);
        try {
            for (String img : List.of(VM, BASE)) {
                SortedMap<String, String> mine = withoutXattrs(merged(c.resolve("var/lib/containers/storage"), c.resolve("run/containers/storage"), img));
                assertThat(mine).as(img).isEqualTo(withoutXattrs(merged(skopeoRoot, skopeoRun, img)));
            }
            assertThat(Files.readString(c.resolve("etc/passwd"))).isEqualTo(PASSWD);
            assertThat(c.resolve("tmp/pwned")).doesNotExist();
        } finally {
            lib.exec.Temp.unmount(lib.exec.Run.QUIET, c);
        }
    }

    // ---- helpers

    /** The merged tree podman shows for an image of the store at root. */
    static SortedMap<String, String> merged(Path root, Path runroot, String image) {
        try {
            return StoreTrees.files(Path.of(mountPoint(root, runroot, image)));
        } finally {
            podman(root, runroot, "image", "unmount", image);
        }
    }

    static String mountPoint(Path root, Path runroot, String image) {
        Bed.Result r = podman(root, runroot, "image", "mount", image);
        assertThat(r.code()).as(r.toString()).isZero();
        return r.out().trim();
    }

    static Bed.Result podman(Path root, Path runroot, String... args) {
        List<String> argv = new ArrayList<>(List.of("podman", "--root", root.toString(), "--runroot", runroot.toString(), "--storage-driver", "overlay"));
        argv.addAll(List.of(args));
        return Bed.run(Map.of(), null, argv.toArray(String[]::new));
    }

    static SortedMap<String, String> withoutXattrs(SortedMap<String, String> m) {
        SortedMap<String, String> out = new TreeMap<>();
        m.forEach((k, v) -> out.put(k, v.replaceAll(" \\{.*\\}$", "")));
        return out;
    }

    /** Tar entries under the storage root's diff folders (layer-relative) and elsewhere: path -> type. */
    static Map<String, Character> entries(Path t) throws IOException {
        Map<String, Character> m = new LinkedHashMap<>();
        try (TarArchiveInputStream in = new TarArchiveInputStream(new BufferedInputStream(Files.newInputStream(t)))) {
            for (TarArchiveEntry e; (e = in.getNextEntry()) != null; ) {
                m.put(e.getName(), e.isCharacterDevice() ? 'c' : (char) e.getLinkFlag());
            }
        }
        return m;
    }

    static List<String> whiteouts(Map<String, Character> entries) {
        return entries.entrySet().stream().filter(e -> e.getValue() == 'c')
                .map(e -> e.getKey().replaceAll("^var/lib/containers/storage/overlay/[0-9a-f]{64}/diff/", "")).toList();
    }

    Path write(String name, byte[] b) throws IOException {
        return Files.write(dir.resolve(name), b);
    }

    static void sh(Path t, String script) {
        Bed.mkdirs(t);
        Bed.Result r = Bed.run(Map.of(), null, t.toFile(), "sh", "-ec", script);
        assertThat(r.code()).as(r.toString()).isZero();
    }

    static String python(String code) {
        Bed.Result r = Bed.run(Map.of(), null, "python3", "-c", code);
        assertThat(r.code()).as(r.toString()).isZero();
        return r.out();
    }

    /** A path as a Python bytes literal (any byte, no quoting questions). */
    static String py(Path p) {
        StringBuilder b = new StringBuilder("b'");
        for (byte c : p.toString().getBytes(StandardCharsets.UTF_8)) b.append(String.format("\\x%02x", c & 0xff));
        return b.append("'").toString();
    }

    static void run(String... argv) {
        Bed.Result r = Bed.run(Map.of(), null, argv);
        assertThat(r.code()).as(r.toString()).isZero();
    }
}
