///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//SOURCES lib/Lib.java
//SOURCES LegacyImport.java
//MAIN LegacyImport

// legacy-import: the old way of mkimage (manifest.json, `docker import`). The command is the
// class LegacyImport, in LegacyImport.java: a class named as this file could not be written.
