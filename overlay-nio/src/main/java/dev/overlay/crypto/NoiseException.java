package dev.overlay.crypto;

/**
 * A peer sent something that does not authenticate or does not parse: a bad AEAD tag, a message of
 * the wrong length, or a low-order Diffie-Hellman public key.
 *
 * <p>This is an expected, recoverable event on a network (anyone can send garbage), so it is a
 * checked exception distinct from the {@link IllegalStateException}s and {@link
 * IllegalArgumentException}s that signal bugs in the caller. The message names the reason but
 * never includes key material.
 */
public final class NoiseException extends Exception {
    private static final long serialVersionUID = 1L;

    /** Creates an exception with a short, human-readable reason. */
    public NoiseException(String reason) {
        super(reason);
    }

    /** Creates an exception with a reason and the underlying provider exception. */
    public NoiseException(String reason, Throwable cause) {
        super(reason, cause);
    }

    /**
     * Creates an exception without a stack trace, for the transport hot path: a flood of forged
     * packets should cost a tag check each, not a stack walk each.
     */
    static NoiseException stackless(String reason) {
        return new NoiseException(reason, false);
    }

    private NoiseException(String reason, boolean writableStackTrace) {
        super(reason, null, false, writableStackTrace);
    }
}
