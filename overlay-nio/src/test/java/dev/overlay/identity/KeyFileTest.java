package dev.overlay.identity;

import static dev.overlay.identity.KeyFileFixtures.ALICE;
import static dev.overlay.identity.KeyFileFixtures.ALICE_TEXT;
import static dev.overlay.identity.KeyFileFixtures.isPosix;
import static dev.overlay.identity.KeyFileFixtures.keyFile;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Writing, reading and guarding the key file itself; content errors are in KeyFileContentTest. */
class KeyFileTest {
    @TempDir
    Path dir;

    @Test
    void readsBackTheIdentityItWrote() throws IOException {
        // Given
        Identity written = Identity.generate(new SecureRandom());
        Path file = dir.resolve("node.key");

        // When
        KeyFile.write(file, written);
        Identity read = KeyFile.read(file);

        // Then
        assertThat(read.id()).isEqualTo(written.id());
        assertThat(read.privateKey()).isEqualTo(written.privateKey());
    }

    @Test
    void writesTheDocumentedFormat() throws IOException {
        // Given
        Path file = dir.resolve("node.key");

        // When
        KeyFile.write(file, ALICE);

        // Then
        assertThat(Files.readString(file)).isEqualTo(ALICE_TEXT);
    }

    @Test
    void createsTheFileWithModeReadWriteForTheOwnerOnly() throws IOException {
        // Given
        assumeTrue(isPosix(dir), "needs a POSIX file system");
        Path file = dir.resolve("node.key");

        // When
        KeyFile.write(file, ALICE);

        // Then
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
                .isEqualTo("rw-------");
    }

    @Test
    void createsMissingParentDirectoriesForTheOwnerOnly() throws IOException {
        // Given
        Path file = dir.resolve("a/b/node.key");

        // When
        KeyFile.write(file, ALICE);

        // Then
        assertThat(KeyFile.read(file).id()).isEqualTo(ALICE.id());
        if (isPosix(dir)) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("a"))))
                    .isEqualTo("rwx------");
        }
    }

    @Test
    void leavesNoTemporaryFileBehind() throws IOException {
        // When
        KeyFile.write(dir.resolve("node.key"), ALICE);

        // Then
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files).containsExactly(dir.resolve("node.key"));
        }
    }

    @Test
    void refusesToOverwriteAnExistingFile() throws IOException {
        // Given
        Path file = dir.resolve("node.key");
        Files.writeString(file, "precious");

        // When / Then
        assertThatThrownBy(() -> KeyFile.write(file, ALICE))
                .isInstanceOf(KeyFileException.class)
                .hasMessage(file + ": already exists; refusing to overwrite an identity");
        assertThat(Files.readString(file)).isEqualTo("precious");
    }

    @ParameterizedTest
    @CsvSource({"rw-r--r--, is readable by", "rw----rw-, is readable by",
            "rw--w----, grants access to", "rw------x, grants access to"})
    void rejectsKeyFilesThatGroupOrOthersCanAccess(String mode, String problem) throws IOException {
        // Given
        assumeTrue(isPosix(dir), "needs a POSIX file system");
        Path file = keyFile(dir, ALICE_TEXT);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(mode));

        // When / Then
        assertThatThrownBy(() -> KeyFile.read(file))
                .isInstanceOf(KeyFileException.class)
                .hasMessage(file + ": " + problem + " group or others (mode " + mode
                        + "); run chmod 600 " + file);
    }

    @Test
    void rejectsGroupReadableKeyFile() throws IOException {
        // Given
        assumeTrue(isPosix(dir), "needs a POSIX file system");
        Path file = keyFile(dir, ALICE_TEXT);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r-----"));

        // When / Then
        assertThatThrownBy(() -> KeyFile.read(file))
                .isInstanceOf(KeyFileException.class)
                .hasMessageContaining("is readable by group or others (mode rw-r-----)");
    }

    @Test
    void rejectsWorldReadableKeyFile() throws IOException {
        // Given
        assumeTrue(isPosix(dir), "needs a POSIX file system");
        Path file = keyFile(dir, ALICE_TEXT);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw----r--"));

        // When / Then
        assertThatThrownBy(() -> KeyFile.read(file))
                .isInstanceOf(KeyFileException.class)
                .hasMessageContaining("is readable by group or others (mode rw----r--)");
    }

    @Test
    void acceptsAnOwnerReadOnlyKeyFile() throws IOException {
        // Given
        assumeTrue(isPosix(dir), "needs a POSIX file system");
        Path file = keyFile(dir, ALICE_TEXT);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("r--------"));

        // When
        Identity read = KeyFile.read(file);

        // Then
        assertThat(read.id()).isEqualTo(ALICE.id());
    }

    @Test
    void rejectsADirectory() {
        assertThatThrownBy(() -> KeyFile.read(dir))
                .isInstanceOf(KeyFileException.class)
                .hasMessage(dir + ": is not a regular file (it is a directory)");
    }

    @Test
    void rejectsAMissingFile() {
        Path file = dir.resolve("absent.key");

        assertThatThrownBy(() -> KeyFile.read(file))
                .isInstanceOf(KeyFileException.class)
                .hasMessage(file + ": does not exist");
    }

    @Test
    void rejectsAFileLargerThan4KiB() throws IOException {
        // Given: a valid file padded with comments to 4097 bytes.
        Path file = keyFile(dir, padWithComment(ALICE_TEXT, KeyFile.MAX_SIZE + 1));

        // When / Then
        assertThatThrownBy(() -> KeyFile.read(file))
                .isInstanceOf(KeyFileException.class)
                .hasMessage(file + ": is too large to be a key file (4097 bytes; at most 4096)");
    }

    @Test
    void acceptsAFileOfExactly4KiB() throws IOException {
        // Given
        Path file = keyFile(dir, padWithComment(ALICE_TEXT, KeyFile.MAX_SIZE));

        // When
        Identity read = KeyFile.read(file);

        // Then
        assertThat(Files.size(file)).isEqualTo(4096);
        assertThat(read.id()).isEqualTo(ALICE.id());
    }

    @Test
    void rejectsAnEmptyFile() throws IOException {
        Path file = keyFile(dir, "");

        assertThatThrownBy(() -> KeyFile.read(file))
                .isInstanceOf(KeyFileException.class)
                .hasMessage(file + ": is empty");
    }

    @Test
    void rejectsBytesThatAreNotUtf8() throws IOException {
        // Given: 0xff never occurs in UTF-8.
        byte[] content = ("# \u00ff\n" + ALICE_TEXT).getBytes(StandardCharsets.ISO_8859_1);
        Path file = keyFile(dir, content);

        // When / Then
        assertThatThrownBy(() -> KeyFile.read(file))
                .isInstanceOf(KeyFileException.class)
                .hasMessage(file + ": is not valid UTF-8 text");
    }

    @Test
    void loadOrCreateCreatesAnIdentityOnceAndThenLoadsIt() throws IOException {
        // Given
        Path file = dir.resolve("node.key");
        SecureRandom random = new SecureRandom();

        // When
        Identity first = KeyFile.loadOrCreate(file, random);
        Identity second = KeyFile.loadOrCreate(file, random);

        // Then
        assertThat(second.id()).isEqualTo(first.id());
        assertThat(second.privateKey()).isEqualTo(first.privateKey());
        assertThat(KeyFile.read(file).id()).isEqualTo(first.id());
    }

    @Test
    void loadOrCreateReadsAnExistingFile() throws IOException {
        // Given
        Path file = keyFile(dir, ALICE_TEXT);

        // When
        Identity loaded = KeyFile.loadOrCreate(file, new SecureRandom());

        // Then
        assertThat(loaded.id()).isEqualTo(ALICE.id());
    }

    @Test
    void loadOrCreateReportsABrokenFileInsteadOfReplacingIt() throws IOException {
        // Given
        Path file = keyFile(dir, "version: 1\n");

        // When / Then
        assertThatThrownBy(() -> KeyFile.loadOrCreate(file, new SecureRandom()))
                .isInstanceOf(KeyFileException.class)
                .hasMessage(file + ": missing required field 'private-key'");
        assertThat(Files.readString(file)).isEqualTo("version: 1\n");
    }

    private static String padWithComment(String text, int size) {
        int padding = size - text.length() - "#\n".length();
        return text + "#" + "x".repeat(padding) + "\n";
    }
}
