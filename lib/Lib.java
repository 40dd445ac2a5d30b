package lib;

//DEPS info.picocli:picocli:4.7.7
//DEPS org.zeroturnaround:zt-exec:1.12
//DEPS org.apache.commons:commons-compress:1.28.0
//DEPS com.github.luben:zstd-jni:1.5.7-28
//DEPS org.tukaani:xz:1.12
//DEPS com.fasterxml.jackson.core:jackson-core:2.21.3
//DEPS org.slf4j:slf4j-nop:1.7.36
//SOURCES Cli.java Exec.java Fail.java Temp.java ImageRef.java Xcluster.java
//SOURCES Docker.java Tars.java Registry.java Skopeo.java AppcManifest.java ImageDir.java
//SOURCES Dockerfile.java ImageConfig.java OverlayImage.java ImageArchive.java OciCache.java
//SOURCES Storage.java StorageJson.java OverlayLayer.java TarReader.java TarWriter.java TarSplit.java
//SOURCES TarIndex.java GoJson.java GoPath.java Progress.java
//SOURCES Opener.java CountingInput.java HashedInput.java JsonValue.java Digest.java Item.java Image.java Layer.java
//SOURCES Source.java DaemonSource.java DaemonStream.java DockerArchive.java OciLayout.java OverlaySource.java JsonWriter.java
//SOURCES Compression.java Platform.java GnuTarFixes.java Output.java
//SOURCES StoreTar.java Verify.java Ls.java
//SOURCES tar/SparseBody.java tar/ExpansionGuard.java

/**
 * The one list of lib/'s sources and dependencies: each script says `//SOURCES lib/Lib.java`.
 * Sources are listed by name, since JBang ignores wildcards for scripts fetched over http.
 * Keep tests/pom.xml's dependencies in step with the //DEPS above.
 */
public final class Lib {
    public static final String VERSION = "0.1";

    private Lib() {}
}
