package dev.overlay.identity;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A key file is missing, unsafe or malformed. The message always starts with the file's path,
 * then says what is wrong and, where there is one, how to fix it. It never contains the private
 * key, so it is safe to log.
 */
public final class KeyFileException extends IOException {
    private final transient Path file;

    /** {@code problem} is appended to the path, e.g. "does not exist". */
    public KeyFileException(Path file, String problem) {
        super(file + ": " + problem);
        this.file = file;
    }

    /** As {@link #KeyFileException(Path, String)}, keeping the low-level {@code cause}. */
    public KeyFileException(Path file, String problem, Throwable cause) {
        super(file + ": " + problem, cause);
        this.file = file;
    }

    /** The key file this is about. */
    public Path file() {
        return file;
    }
}
