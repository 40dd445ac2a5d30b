package lib.model;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** GoPath against the cases of Go's own path package tests (Clean, Base), written out as a table here. */
class GoPathTest {
    @ParameterizedTest(name = "clean({0}) = {1}")
    @CsvSource(delimiter = '|', emptyValue = "", textBlock = """
            # already clean
            ''                                     | .
            abc                                    | abc
            abc/def                                | abc/def
            a/b/c                                  | a/b/c
            .                                      | .
            ..                                     | ..
            ../..                                  | ../..
            ../../abc                              | ../../abc
            /abc                                   | /abc
            /                                      | /
            # trailing slashes go
            abc/                                   | abc
            abc/def/                               | abc/def
            a/b/c/                                 | a/b/c
            ./                                     | .
            ../                                    | ..
            ../../                                 | ../..
            /abc/                                  | /abc
            # doubled slashes go
            abc//def//ghi                          | abc/def/ghi
            //abc                                  | /abc
            ///abc                                 | /abc
            //abc//                                | /abc
            abc//                                  | abc
            # . elements go
            abc/./def                              | abc/def
            /./abc/def                             | /abc/def
            abc/.                                  | abc
            # .. elements resolve where they can
            abc/def/ghi/../jkl                     | abc/def/jkl
            abc/def/../ghi/../jkl                  | abc/jkl
            abc/def/..                             | abc
            abc/def/../..                          | .
            /abc/def/../..                         | /
            abc/def/../../..                       | ..
            /abc/def/../../..                      | /
            abc/def/../../../ghi/jkl/../../../mno  | ../../mno
            /../abc                                | /abc
            # combinations
            abc/./../def                           | def
            abc//./../def                          | def
            abc/../../././../def                   | ../../def
            # as layer tars name their entries
            ./bin/sh                               | bin/sh
            ./                                     | .
            ./etc/                                 | etc
            ././etc/apt/                           | etc/apt
            .//etc                                 | etc
            ./..                                   | ..
            ./../etc/                              | ../etc
            ./.a/b./                               | .a/b.
            """)
    void cleanIsGoPathClean(String path, String want) {
        assertThat(GoPath.clean(path)).isEqualTo(want);
        assertThat(GoPath.clean(want)).as("clean is idempotent").isEqualTo(want);
    }

    @ParameterizedTest(name = "base({0}) = {1}")
    @CsvSource(delimiter = '|', emptyValue = "", textBlock = """
            ''      | .
            .       | .
            /.      | .
            /       | /
            ////    | /
            x/      | x
            abc     | abc
            abc/def | def
            a/b/.x  | .x
            a/b/c.  | c.
            a/b/c.x | c.x
            """)
    void baseIsGoPathBase(String path, String want) {
        assertThat(GoPath.base(path)).isEqualTo(want);
    }

    @ParameterizedTest(name = "dir({0}) = {1}")
    @CsvSource(delimiter = '|', textBlock = """
            abc       | .
            abc/def   | abc
            a/b/.x    | a/b
            a/b/c.x   | a/b
            """)
    void dirOfACleanedRelativePath(String path, String want) {
        assertThat(GoPath.dir(path)).isEqualTo(want);
    }

    /** The fast paths (a name already clean; a ".." element) against the plain algorithm, on random names. */
    @org.junit.jupiter.api.Test
    void fastPathsAgreeWithThePlainAlgorithm() {
        java.util.Random r = new java.util.Random(7);
        String[] parts = {"a", "bc", ".", "..", "", "...", ".a", "a.", "..b"};
        for (int n = 0; n < 20000; n++) {
            StringBuilder b = new StringBuilder(r.nextInt(4) == 0 ? "/" : "");
            int k = 1 + r.nextInt(5);
            for (int i = 0; i < k; i++) b.append(i > 0 ? "/" : "").append(parts[r.nextInt(parts.length)]);
            if (r.nextInt(5) == 0) b.append('/');
            String p = b.toString();
            assertThat(GoPath.clean(p)).as(p).isEqualTo(plainClean(p));
            assertThat(GoPath.hasDotDot(p)).as(p).isEqualTo(java.util.Arrays.asList(p.split("/")).contains(".."));
        }
    }

    private static String plainClean(String p) {
        if (p.isEmpty()) return ".";
        boolean rooted = p.startsWith("/");
        java.util.Deque<String> out = new java.util.ArrayDeque<>();
        for (String s : p.split("/")) {
            if (s.isEmpty() || s.equals(".")) continue;
            if (!s.equals("..")) out.addLast(s);
            else if (!out.isEmpty() && !out.peekLast().equals("..")) out.removeLast();
            else if (!rooted) out.addLast("..");
        }
        String j = String.join("/", out);
        return rooted ? "/" + j : j.isEmpty() ? "." : j;
    }
}
