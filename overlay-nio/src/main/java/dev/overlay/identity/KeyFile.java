package dev.overlay.identity;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.EnumSet;
import java.util.Set;

/**
 * Stores an {@link Identity} in a small text file that only its owner may read.
 *
 * <p>The format, UTF-8 text:
 *
 * <pre>{@code
 * # overlay node identity. Keep this file secret: it is the node's private key.
 * # name: <the node's name>
 * version: 1
 * private-key: <64 lowercase hex chars>
 * public-key: <52 base32 chars, the node's key>
 * }</pre>
 *
 * <p>Lines starting with '#' and blank lines are ignored. {@code version}, {@code private-key}
 * and {@code public-key} are required, each exactly once, in any order; unknown fields are an
 * error. Lines end with '\n' or "\r\n", and the last line must end too (a missing final newline
 * is how truncation usually shows). The file is at most 4096 bytes. The public key is redundant
 * on purpose: reading checks it against the one derived from the private key, which catches a
 * corrupted or hand-edited file before the node comes up under a different address.
 *
 * <p>On POSIX file systems the file has mode 0600 from the moment it is created, and reading
 * refuses a file that grants group or others any access, as ssh does for private keys.
 */
public final class KeyFile {
    /** Larger files are refused before they are read. */
    static final int MAX_SIZE = 4096;

    private static final Set<PosixFilePermission> OWNER_ONLY_FILE =
            EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
    private static final Set<PosixFilePermission> OWNER_ONLY_DIRECTORY =
            PosixFilePermissions.fromString("rwx------");
    private static final Set<PosixFilePermission> GROUP_OR_OTHERS = EnumSet.of(
            PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE,
            PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.OTHERS_READ,
            PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);

    private KeyFile() {}

    /**
     * Writes {@code identity} to a new file. Missing parent directories are created (mode 0700
     * on POSIX). The content is written to a temporary file in the same directory and linked
     * into place, so {@code file} never exists half-written and an existing file is never
     * replaced.
     *
     * @throws KeyFileException if {@code file} already exists, or it cannot be created
     */
    public static void write(Path file, Identity identity) throws IOException {
        if (identity == null) {
            throw new IllegalArgumentException("identity must not be null");
        }
        if (!create(file, identity)) {
            throw new KeyFileException(file, "already exists; refusing to overwrite an identity");
        }
    }

    /**
     * Reads and checks an identity file.
     *
     * @throws KeyFileException naming the file and what is wrong with it; never the private key
     */
    public static Identity read(Path file) throws KeyFileException {
        BasicFileAttributes attributes = attributes(file);
        if (!attributes.isRegularFile()) {
            throw new KeyFileException(file, "is not a regular file"
                    + (attributes.isDirectory() ? " (it is a directory)" : ""));
        }
        checkMode(file);
        if (attributes.size() > MAX_SIZE) {
            throw tooLarge(file, attributes.size());
        }
        return KeyFileFormat.parse(file, readText(file));
    }

    /**
     * Reads {@code file} if it exists; otherwise generates an identity and writes it there. If
     * another process creates the file at the same moment, its identity wins and is returned.
     */
    public static Identity loadOrCreate(Path file, SecureRandom random) throws IOException {
        if (!Files.notExists(file, LinkOption.NOFOLLOW_LINKS)) {
            return read(file);
        }
        Identity created = Identity.generate(random);
        return create(file, created) ? created : read(file);
    }

    /** Creates {@code file} holding {@code identity}; false if the file already exists. */
    private static boolean create(Path file, Identity identity) throws KeyFileException {
        Path target = file.toAbsolutePath();
        Path directory = target.getParent();
        try {
            createDirectories(directory);
            if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
                return false;
            }
            byte[] content = KeyFileFormat.format(identity).getBytes(StandardCharsets.UTF_8);
            Path temporary = Files.createTempFile(directory,
                    "." + target.getFileName() + ".", ".tmp", ownerOnly(directory, OWNER_ONLY_FILE));
            try {
                writeAndSync(temporary, content);
                return publish(temporary, target);
            } finally {
                Files.deleteIfExists(temporary);
            }
        } catch (IOException e) {
            throw new KeyFileException(file, "cannot be created: " + describe(e), e);
        }
    }

    private static void createDirectories(Path directory) throws IOException {
        if (!Files.isDirectory(directory)) {
            Files.createDirectories(directory, ownerOnly(directory, OWNER_ONLY_DIRECTORY));
        }
    }

    /** The POSIX permissions to create with, or none where the file system has no such thing. */
    private static FileAttribute<?>[] ownerOnly(Path path, Set<PosixFilePermission> permissions) {
        if (!isPosix(path)) {
            return new FileAttribute<?>[0];
        }
        return new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(permissions)};
    }

    private static void writeAndSync(Path path, byte[] content) throws IOException {
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.WRITE)) {
            ByteBuffer buffer = ByteBuffer.wrap(content);
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
            channel.force(true);
        }
    }

    /**
     * Gives {@code temporary} the name {@code target}. A hard link fails atomically if the target
     * exists; where links are unsupported, a rename refuses an existing target too, though two
     * processes racing could then both succeed.
     */
    private static boolean publish(Path temporary, Path target) throws IOException {
        try {
            Files.createLink(target, temporary);
        } catch (FileAlreadyExistsException e) {
            return false;
        } catch (UnsupportedOperationException | FileSystemException e) {
            try {
                Files.move(temporary, target);
            } catch (FileAlreadyExistsException raced) {
                return false;
            }
        }
        syncDirectory(target.getParent());
        return true;
    }

    /** Makes the new directory entry durable where the platform allows it; best effort. */
    private static void syncDirectory(Path directory) {
        try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException e) {
            // Some platforms cannot open a directory; the file's own content is already synced.
        }
    }

    private static BasicFileAttributes attributes(Path file) throws KeyFileException {
        try {
            return Files.readAttributes(file, BasicFileAttributes.class);
        } catch (NoSuchFileException e) {
            throw new KeyFileException(file, "does not exist", e);
        } catch (IOException e) {
            throw new KeyFileException(file, "cannot be read: " + describe(e), e);
        }
    }

    private static void checkMode(Path file) throws KeyFileException {
        if (!isPosix(file)) {
            return;
        }
        Set<PosixFilePermission> permissions;
        try {
            permissions = Files.getPosixFilePermissions(file);
        } catch (IOException e) {
            throw new KeyFileException(file, "cannot read its permissions: " + describe(e), e);
        }
        Set<PosixFilePermission> excess = EnumSet.copyOf(GROUP_OR_OTHERS);
        excess.retainAll(permissions);
        if (!excess.isEmpty()) {
            boolean readable = excess.contains(PosixFilePermission.GROUP_READ)
                    || excess.contains(PosixFilePermission.OTHERS_READ);
            throw new KeyFileException(file, (readable ? "is readable by" : "grants access to")
                    + " group or others (mode " + PosixFilePermissions.toString(permissions)
                    + "); run chmod 600 " + file);
        }
    }

    private static String readText(Path file) throws KeyFileException {
        byte[] bytes;
        try (InputStream in = Files.newInputStream(file)) {
            // Bounded: the file may have grown since its size was checked.
            bytes = in.readNBytes(MAX_SIZE + 1);
        } catch (IOException e) {
            throw new KeyFileException(file, "cannot be read: " + describe(e), e);
        }
        if (bytes.length > MAX_SIZE) {
            throw tooLarge(file, bytes.length);
        }
        if (bytes.length == 0) {
            throw new KeyFileException(file, "is empty");
        }
        return decodeUtf8(file, bytes);
    }

    private static String decodeUtf8(Path file, byte[] bytes) throws KeyFileException {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new KeyFileException(file, "is not valid UTF-8 text", e);
        }
    }

    private static KeyFileException tooLarge(Path file, long size) {
        return new KeyFileException(file, "is too large to be a key file (" + size
                + " bytes; at most " + MAX_SIZE + ")");
    }

    private static boolean isPosix(Path path) {
        return path.getFileSystem().supportedFileAttributeViews().contains("posix");
    }

    private static String describe(IOException e) {
        return e.getClass().getSimpleName() + ": " + e.getMessage();
    }
}
