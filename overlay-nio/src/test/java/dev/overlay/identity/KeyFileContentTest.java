package dev.overlay.identity;

import static dev.overlay.identity.KeyFileFixtures.ALICE;
import static dev.overlay.identity.KeyFileFixtures.ALICE_TEXT;
import static dev.overlay.identity.KeyFileFixtures.PRIVATE_LINE;
import static dev.overlay.identity.KeyFileFixtures.PUBLIC_LINE;
import static dev.overlay.identity.KeyFileFixtures.VERSION_LINE;
import static dev.overlay.identity.KeyFileFixtures.assertSafeMessageAbout;
import static dev.overlay.identity.KeyFileFixtures.keyFile;
import static dev.overlay.identity.KeyFileFixtures.text;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** What {@link KeyFile#read} accepts and rejects inside a safely stored file. */
class KeyFileContentTest {
    private static final String HEX = IdentityTest.ALICE_PRIVATE_HEX;

    @TempDir
    Path dir;

    @Test
    void toleratesCrlfLineEndingsCommentsAndBlankLines() throws IOException {
        // Given
        String content = "# a comment\r\n\r\n   \r\n" + VERSION_LINE + "\r\n  # indented comment\r\n"
                + PRIVATE_LINE + "\r\n" + PUBLIC_LINE + "\r\n";
        Path file = keyFile(dir, content);

        // When
        Identity read = KeyFile.read(file);

        // Then
        assertThat(read.id()).isEqualTo(ALICE.id());
        assertThat(read.privateKey()).isEqualTo(IdentityTest.ALICE_PRIVATE);
    }

    @Test
    void acceptsFieldsInAnyOrderWithoutComments() throws IOException {
        // Given
        Path file = keyFile(dir, text(PUBLIC_LINE, PRIVATE_LINE, VERSION_LINE));

        // When
        Identity read = KeyFile.read(file);

        // Then
        assertThat(read.id()).isEqualTo(ALICE.id());
    }

    @Test
    void rejectsEveryTruncationNamingTheFile() throws IOException {
        // Given
        byte[] whole = ALICE_TEXT.getBytes(StandardCharsets.UTF_8);
        Path file = keyFile(dir, whole);

        for (int length = 0; length < whole.length; length++) {
            Files.write(file, Arrays.copyOf(whole, length));

            // When
            KeyFileException e = catchThrowableOfType(() -> KeyFile.read(file), KeyFileException.class);

            // Then
            assertThat(e).as("truncated to %d bytes", length).isNotNull();
            assertSafeMessageAbout(file, e);
        }
    }

    @Test
    void rejectsAFlippedHexDigitInThePrivateKey() throws IOException {
        // Given: the last hex digit changed, so the key no longer derives the stored public key.
        String flipped = HEX.substring(0, 63) + (HEX.charAt(63) == 'a' ? 'b' : 'a');
        Path file = keyFile(dir, text(VERSION_LINE, "private-key: " + flipped, PUBLIC_LINE));

        // When
        KeyFileException e = readFailure(file);

        // Then
        assertThat(e).hasMessage(file + ": public-key does not match private-key:"
                + " the file is corrupted or was edited");
        assertSafeMessageAbout(file, e);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 62, 63, 65, 66})
    void rejectsAPrivateKeyOfTheWrongLength(int length) throws IOException {
        // Given
        String hex = (HEX + HEX).substring(0, length);
        Path file = keyFile(dir, text(VERSION_LINE, "private-key: " + hex, PUBLIC_LINE));

        // When
        KeyFileException e = readFailure(file);

        // Then
        assertThat(e).hasMessage(file + ": private-key must be 64 hex characters (32 bytes), got "
                + length);
        assertSafeMessageAbout(file, e);
    }

    @ParameterizedTest
    @ValueSource(strings = {"A", "g", " ", "-"})
    void rejectsAPrivateKeyThatIsNotLowerCaseHex(String bad) throws IOException {
        // Given: one character replaced at position 10.
        String hex = HEX.substring(0, 10) + bad + HEX.substring(11);
        Path file = keyFile(dir, text(VERSION_LINE, "private-key: " + hex, PUBLIC_LINE));

        // When
        KeyFileException e = readFailure(file);

        // Then
        assertThat(e).hasMessage(file
                + ": private-key must be lower-case hex; the character at position 10 is not");
        assertSafeMessageAbout(file, e);
    }

    @Test
    void rejectsAnUnparseablePublicKey() throws IOException {
        // Given
        Path file = keyFile(dir, text(VERSION_LINE, PRIVATE_LINE, "public-key: not-a-key"));

        // When
        KeyFileException e = readFailure(file);

        // Then
        assertThat(e).hasMessage(file + ": public-key is not a valid node key:"
                + " expected 52 base32 characters, got 9");
    }

    @Test
    void rejectsAnUnknownField() throws IOException {
        Path file = keyFile(dir, text(VERSION_LINE, PRIVATE_LINE, PUBLIC_LINE, "comment: hello"));

        assertThat(readFailure(file)).hasMessage(file + ": line 4: unknown field 'comment'"
                + " (expected version, private-key, public-key)");
    }

    @Test
    void doesNotShowAnUnknownFieldNameThatMayHoldKeyMaterial() throws IOException {
        // Given: a damaged private-key line whose first ':' falls inside the key.
        String damaged = "private-key " + HEX.substring(0, 20) + ":" + HEX.substring(21);
        Path file = keyFile(dir, text(VERSION_LINE, damaged, PUBLIC_LINE));

        // When
        KeyFileException e = readFailure(file);

        // Then
        assertThat(e).hasMessageStartingWith(file + ": line 2: unknown field (name not shown");
        assertSafeMessageAbout(file, e);
    }

    @Test
    void rejectsADuplicateField() throws IOException {
        Path file = keyFile(dir, text(VERSION_LINE, PRIVATE_LINE, PUBLIC_LINE, VERSION_LINE));

        assertThat(readFailure(file)).hasMessage(file + ": line 4: duplicate field 'version'");
    }

    @ParameterizedTest
    @ValueSource(strings = {"version", "private-key", "public-key"})
    void rejectsAMissingField(String missing) throws IOException {
        // Given
        String content = ALICE_TEXT.lines().filter(line -> !line.startsWith(missing + ":"))
                .reduce("", (all, line) -> all + line + "\n");
        Path file = keyFile(dir, content);

        // When / Then
        assertThat(readFailure(file)).hasMessage(file + ": missing required field '" + missing + "'");
    }

    @ParameterizedTest
    @ValueSource(strings = {"2", "0", "01"})
    void rejectsAnUnsupportedVersion(String version) throws IOException {
        Path file = keyFile(dir, text("version: " + version, PRIVATE_LINE, PUBLIC_LINE));

        assertThat(readFailure(file)).hasMessage(file + ": unsupported version " + version
                + "; this software reads version 1");
    }

    @Test
    void rejectsANonNumericVersionWithoutEchoingIt() throws IOException {
        Path file = keyFile(dir, text("version: 1 " + HEX, PRIVATE_LINE, PUBLIC_LINE));

        KeyFileException e = readFailure(file);

        assertThat(e).hasMessage(file + ": unsupported version (not a number);"
                + " this software reads version 1");
        assertSafeMessageAbout(file, e);
    }

    @Test
    void rejectsALineWithoutAColon() throws IOException {
        Path file = keyFile(dir, text(VERSION_LINE, "private-key " + HEX, PUBLIC_LINE));

        KeyFileException e = readFailure(file);

        assertThat(e).hasMessage(file + ": line 2: expected 'field: value'");
        assertSafeMessageAbout(file, e);
    }

    @Test
    void rejectsAFileWithoutAFinalNewline() throws IOException {
        Path file = keyFile(dir, ALICE_TEXT.substring(0, ALICE_TEXT.length() - 1));

        assertThat(readFailure(file))
                .hasMessage(file + ": does not end with a newline; it may be truncated");
    }

    @Test
    void readsCorruptedFilesAsTheSameIdentityOrAKeyFileExceptionOnly() throws IOException {
        // Given
        byte[] valid = ALICE_TEXT.getBytes(StandardCharsets.UTF_8);
        Path file = keyFile(dir, valid);
        Random random = new Random(20240607);
        int rejected = 0;

        for (int round = 0; round < 200; round++) {
            byte[] corrupted = corrupt(valid, random);
            Files.write(file, corrupted);

            // When
            try {
                Identity read = KeyFile.read(file);

                // Then: a harmless change (a comment, letter case) still reads as Alice.
                assertThat(read.id()).as("round %d", round).isEqualTo(ALICE.id());
                assertThat(read.privateKey()).isEqualTo(IdentityTest.ALICE_PRIVATE);
            } catch (KeyFileException e) {
                assertSafeMessageAbout(file, e);
                rejected++;
            } catch (RuntimeException e) {
                fail("round " + round + " threw " + e + " for "
                        + new String(corrupted, StandardCharsets.ISO_8859_1), e);
            }
        }
        assertThat(rejected).as("rounds rejected").isGreaterThan(100);
    }

    /** A copy of {@code valid} with one to three bytes replaced by random values. */
    private static byte[] corrupt(byte[] valid, Random random) {
        byte[] copy = valid.clone();
        int changes = 1 + random.nextInt(3);
        for (int i = 0; i < changes; i++) {
            copy[random.nextInt(copy.length)] = (byte) random.nextInt(256);
        }
        return copy;
    }

    private static KeyFileException readFailure(Path file) {
        KeyFileException e = catchThrowableOfType(() -> KeyFile.read(file), KeyFileException.class);
        assertThat(e).as("KeyFileException from reading %s", file).isNotNull();
        return e;
    }
}
