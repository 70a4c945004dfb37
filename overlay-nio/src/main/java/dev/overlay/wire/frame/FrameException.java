package dev.overlay.wire.frame;

/**
 * A stream-layer packet does not parse: wrong marker, unknown frame type, truncated field, or a
 * value that breaks a rule of the wire format. The message names the frame and the field, e.g.
 * {@code "ACK: first range 7 exceeds largest acknowledged 3"}.
 *
 * <p>Packets reach the frame parser only after their AEAD tag verified, so a malformed one comes
 * from a peer holding the session keys: a bug or an attack. The receiver treats it as a connection
 * error (RFC 9000 (12.4) names it FRAME_ENCODING_ERROR) and closes the connection. It is checked,
 * unlike the {@link IllegalArgumentException}s the writer throws for bugs in the caller.
 */
public final class FrameException extends Exception {
    private static final long serialVersionUID = 1L;

    /** Creates an exception with a short, human-readable reason. */
    public FrameException(String reason) {
        super(reason);
    }

    private FrameException(String reason, boolean writableStackTrace) {
        super(reason, null, false, writableStackTrace);
    }

    /**
     * An exception without a stack trace, for the parser: the message says everything, and a peer
     * sending garbage should cost a comparison each, not a stack walk each.
     */
    static FrameException stackless(String reason) {
        return new FrameException(reason, false);
    }

    /** {@code "<frame>: truncated <field>"}: the packet ends inside the field. */
    static FrameException truncated(String frame, String field) {
        return stackless(frame + ": truncated " + field);
    }
}
