package dev.overlay.recovery;

/**
 * An ACK frame the peer should never have sent: it acknowledges a packet number that was never
 * sent, or its ranges are malformed. RFC 9000 (13.1): "An endpoint SHOULD treat receipt of an
 * acknowledgment for a packet it did not send as a connection error of type PROTOCOL_VIOLATION".
 * Checked, like other failures caused by the network in this codebase: the caller closes the
 * connection. The detector's state is unchanged when this is thrown.
 */
public final class AckException extends Exception {
    private static final long serialVersionUID = 1L;

    public AckException(String message) {
        super(message);
    }
}
