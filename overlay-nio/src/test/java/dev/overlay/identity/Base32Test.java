package dev.overlay.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class Base32Test {

    // RFC 4648 section 10 test vectors, lower-cased and with the '=' padding removed.
    @ParameterizedTest
    @CsvSource({"'', ''", "f, my", "fo, mzxq", "foo, mzxw6", "foob, mzxw6yq", "fooba, mzxw6ytb",
            "foobar, mzxw6ytboi"})
    void encodesRfc4648TestVectors(String input, String expected) {
        // Given
        byte[] data = input.getBytes(StandardCharsets.US_ASCII);

        // When
        String encoded = Base32.encode(data);

        // Then
        assertThat(encoded).isEqualTo(expected);
    }

    @ParameterizedTest
    @CsvSource({"'', ''", "f, my", "fo, mzxq", "foo, mzxw6", "foob, mzxw6yq", "fooba, mzxw6ytb",
            "foobar, mzxw6ytboi"})
    void decodesRfc4648TestVectors(String expected, String encoded) {
        // When
        byte[] decoded = Base32.decode(encoded);

        // Then
        assertThat(new String(decoded, StandardCharsets.US_ASCII)).isEqualTo(expected);
    }

    @Test
    void decodesUpperCaseLikeLowerCase() {
        // Given: DNS names are case-insensitive, so a name may come back upper-cased.
        String upper = "MZXW6YTBOI";

        // When
        byte[] decoded = Base32.decode(upper);

        // Then
        assertThat(decoded).isEqualTo("foobar".getBytes(StandardCharsets.US_ASCII));
    }

    @Test
    void roundTripsRandomDataOfEveryLengthUpTo100() {
        // Given
        Random random = new Random(4648);

        for (int length = 0; length <= 100; length++) {
            byte[] data = new byte[length];
            random.nextBytes(data);

            // When
            String encoded = Base32.encode(data);

            // Then
            assertThat(encoded).matches("[a-z2-7]*").hasSize((length * 8 + 4) / 5);
            assertThat(Base32.decode(encoded)).as("length %d", length).isEqualTo(data);
        }
    }

    @ParameterizedTest
    @CsvSource({"mzxw61tb, '1', 5", "mzxw6yt0, '0', 7", "mzx-6ytb, '-', 3", "mzxw6ytb., '.', 8",
            "' mzxw6yq', ' ', 0", "mzxw6yq8, '8', 7"})
    void rejectsCharactersOutsideTheAlphabet(String text, String character, int position) {
        // When / Then
        assertThatThrownBy(() -> Base32.decode(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("invalid base32 character '" + character + "' at position " + position);
    }

    @Test
    void rejectsNonAsciiCharactersNamingThemByCodePoint() {
        // Given: 'ı' (dotless i) upper-cases to 'I' under some locales; it must not be accepted.
        String text = "mzxw6y\u0131b";

        // When / Then
        assertThatThrownBy(() -> Base32.decode(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("invalid base32 character U+0131 at position 6");
    }

    @ParameterizedTest
    @ValueSource(strings = {"my======", "mzxw6===", "mzxw6yq="})
    void rejectsPadding(String padded) {
        // When / Then
        assertThatThrownBy(() -> Base32.decode(padded))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("base32 padding '=' at position " + padded.indexOf('=')
                        + " is not accepted (unpadded encoding)");
    }

    @ParameterizedTest
    @ValueSource(strings = {"m", "mzx", "mzxw6y", "mzxw6ytbo", "mzxw6ytbo2a", "mzxw6ytbo2aaaa"})
    void rejectsLengthsNoEncodingProduces(String text) {
        // When / Then
        assertThatThrownBy(() -> Base32.decode(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("base32 length " + text.length()
                        + " cannot come from an encoding (length % 8 is " + text.length() % 8 + ")");
    }

    @ParameterizedTest
    @CsvSource({"mz, 2, 'z', 1", "mzxr, 4, 'r', 3", "mzxw7, 1, '7', 4", "mzxw6yr, 3, 'r', 6"})
    void rejectsNonZeroUnusedBitsInTheLastCharacter(String text, int bits, String last, int position) {
        // Given: each text differs from a canonical encoding only in its unused low bits.

        // When / Then
        assertThatThrownBy(() -> Base32.decode(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("non-canonical base32: the unused low " + bits
                        + " bits of the last character '" + last + "' at position " + position
                        + " must be zero");
    }

    @Test
    void rejectsNull() {
        assertThatThrownBy(() -> Base32.decode(null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("base32 text must not be null");
        assertThatThrownBy(() -> Base32.encode(null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("data to base32-encode must not be null");
    }
}
