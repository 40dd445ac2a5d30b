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
}
