package dev.overlay.stream;

/**
 * What one sent packet carried that must be acted on when it is acknowledged or declared lost.
 * Data is retransmitted, not packets (RFC 9000 13.3): a lost STREAM frame puts its byte range back
 * into the stream's lost set; a lost control frame is queued again if it still matters.
 */
sealed interface SentFrame {
    record Stream(OverlayStream stream, long offset, int length, boolean fin) implements SentFrame {}

    record Open(OverlayStream stream, int port) implements SentFrame {}

    record OpenOk(long streamId) implements SentFrame {}

    record ResetStream(long streamId, long code, long finalSize) implements SentFrame {}

    record StopSending(long streamId, long code) implements SentFrame {}

    record MaxData() implements SentFrame {}

    record MaxStreamData(OverlayStream stream) implements SentFrame {}

    record Ping() implements SentFrame {}

    record PmtuProbe(int size, int search) implements SentFrame {}
}
