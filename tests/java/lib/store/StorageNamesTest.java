package lib.store;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The names the overlay store gives its files: overlay/l/ link names and overlay-images/ID/ big-data files. */
class StorageNamesTest {
    /** Expected values computed apart: base32(sha256("link:" + id)), first 26 letters (python's base64.b32encode). */
    @ParameterizedTest(name = "link({0})")
    @CsvSource({
            "eed2c41c731295f39e5b502d99ec90964f24922a9de10fb5d29dcb78e676731e, AZAHJRYJQPWYHUQEOK4D7VUJUB",
            "0d059e4aff4ac4a2563bf327fca4d5a7f986d32f80c8cab630fd00d3c824f2ef, LG4QS3H35BPLO4NH43W7BY2HXE",
    })
    void linkNameIsBase32OfTheLayerId(String layerId, String want) {
        assertThat(Storage.link(layerId)).isEqualTo(want);
    }

    @Test
    void linkNamesHaveOverlaysShape() {
        // overlay's own are 26 random base32 letters (the short lower paths keep mount options under a page)
        for (String id : new String[] {"a", "b".repeat(64), ""})
            assertThat(Storage.link(id)).matches("[A-Z2-7]{26}");
        assertThat(Storage.link("a")).isNotEqualTo(Storage.link("b"));
    }

    /** containers/storage: a key of [.0-9a-z] only is its own name, any other is "=" + base64 of it. */
    @ParameterizedTest(name = "bigDataFile({0}) = {1}")
    @CsvSource({
            "manifest, manifest",
            "a.b.0z, a.b.0z",
            "sha256:abc, =c2hhMjU2OmFiYw==",
            "manifest-sha256:abc, =bWFuaWZlc3Qtc2hhMjU2OmFiYw==",
            "signature-abc, =c2lnbmF0dXJlLWFiYw==",
            "Upper, =VXBwZXI=",
    })
    void bigDataFileNames(String key, String want) {
        assertThat(StoreLayout.bigDataFile(key)).isEqualTo(want);
    }
}
