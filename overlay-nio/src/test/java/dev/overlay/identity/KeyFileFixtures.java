package dev.overlay.identity;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/** Shared key-file test data: RFC 7748 Alice's identity, as a file and as text. */
final class KeyFileFixtures {
    static final Identity ALICE = Identity.fromPrivateKey(IdentityTest.ALICE_PRIVATE);
    static final String PRIVATE_LINE = "private-key: " + IdentityTest.ALICE_PRIVATE_HEX;
    static final String PUBLIC_LINE = "public-key: " + NodeIdTest.ALICE_BASE32;
    static final String VERSION_LINE = "version: 1";
    /** Exactly what {@link KeyFile#write} produces for Alice. */
    static final String ALICE_TEXT =
            "# overlay node identity. Keep this file secret: it is the node's private key.\n"
                    + "# name: " + NodeIdTest.ALICE_NAME + "\n"
                    + VERSION_LINE + "\n"
                    + PRIVATE_LINE + "\n"
                    + PUBLIC_LINE + "\n";

    private KeyFileFixtures() {}

    /** {@code dir/node.key} holding {@code text}, with mode 0600 where the file system has modes. */
    static Path keyFile(Path dir, String text) throws IOException {
        return keyFile(dir, text.getBytes(StandardCharsets.UTF_8));
    }

    static Path keyFile(Path dir, byte[] content) throws IOException {
        Path file = dir.resolve("node.key");
        if (isPosix(dir)) {
            Files.createFile(file,
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        }
        // Writing to an existing file keeps its mode.
        Files.write(file, content);
        return file;
    }

    /** {@code lines}, each ending in '\n'. */
    static String text(String... lines) {
        return String.join("\n", lines) + "\n";
    }

    static boolean isPosix(Path path) {
        return path.getFileSystem().supportedFileAttributeViews().contains("posix");
    }

    /** A message about {@code file} that names it first and shows no run of the private key. */
    static void assertSafeMessageAbout(Path file, KeyFileException e) {
        assertThat(e.getMessage()).startsWith(file + ": ");
        assertThat(e.file()).isEqualTo(file);
        String hex = IdentityTest.ALICE_PRIVATE_HEX;
        for (int i = 0; i + 8 <= hex.length(); i++) {
            assertThat(e.getMessage()).doesNotContain(hex.substring(i, i + 8));
        }
    }
}
