package lib;

//DEPS info.picocli:picocli:4.7.7
//DEPS info.picocli:picocli:4.7.7:sources
//DEPS org.zeroturnaround:zt-exec:1.12
//DEPS org.apache.commons:commons-compress:1.28.0
//DEPS com.github.luben:zstd-jni:1.5.7-28
//DEPS org.tukaani:xz:1.12
//DEPS com.fasterxml.jackson.core:jackson-core:2.21.3
//DEPS org.slf4j:slf4j-nop:1.7.36
//JAVAC_OPTIONS -XDstringConcat=inline
//SOURCES Fail.java
//SOURCES cli/Cli.java
//SOURCES exec/Exec.java exec/Processes.java exec/Run.java exec/Progress.java exec/Skopeo.java exec/Temp.java exec/Xcluster.java
//SOURCES model/Digest.java model/GoJson.java model/GoPath.java model/Image.java model/ImageConfig.java model/ImageRef.java model/JsonValue.java model/JsonWriter.java model/Layer.java model/Opener.java model/Platform.java
//SOURCES tar/SparseBody.java tar/ExpansionGuard.java tar/Compression.java tar/CountingInput.java tar/GnuTarFixes.java tar/HashedInput.java tar/TarIndex.java tar/TarReader.java tar/TarSplit.java tar/TarWriter.java tar/Tars.java tar/Bounded.java
//SOURCES overlay/AppcManifest.java overlay/Dockerfile.java overlay/ImageDir.java overlay/OverlayImage.java
//SOURCES source/DaemonSource.java source/DaemonStream.java source/Docker.java source/DockerArchive.java source/Item.java source/OciCache.java source/OciLayout.java source/OverlaySource.java source/Pause.java source/Registry.java source/Source.java source/Sources.java
//SOURCES vm/VmBoot.java vm/MergedTree.java vm/Script.java vm/Pinned.java
//SOURCES store/Ls.java store/OverlayLayer.java store/Storage.java store/StorageJson.java store/StoreLayout.java store/StoreTar.java store/Verify.java store/StoreCache.java store/SkopeoBoot.java store/BlobCheck.java
//SOURCES cache/Cache.java
//SOURCES output/ImageArchive.java output/Output.java
//SOURCES registry/Client.java registry/ConnectFailure.java registry/Auth.java registry/Credentials.java registry/CacheLayout.java
//SOURCES registry/Pull.java registry/Download.java registry/Push.java registry/Catalog.java registry/Lreg.java

/**
 * The one list of lib/'s sources and dependencies: each script says `//SOURCES lib/Lib.java`.
 * Sources are listed by path (relative to this file, one line per package), since JBang ignores
 * wildcards for scripts fetched over http.
 * Keep tests/pom.xml's dependencies in step with the //DEPS above.
 */
public final class Lib {
    public static final String VERSION = "0.1";

    private Lib() {}
}
