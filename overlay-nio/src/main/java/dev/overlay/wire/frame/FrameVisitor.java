package dev.overlay.wire.frame;

import java.nio.ByteBuffer;

/**
 * Receives the frames of one packet from {@link FrameParser#parse}, one call per frame, in packet
 * order, with primitives only: no object is created per frame. Every method is a no-op by default.
 *
 * <p>If a later frame of the same packet is malformed, the calls for the earlier frames have
 * already happened; the parse then throws {@link FrameException}, which is a connection error.
 */
public interface FrameVisitor {
    /** A run of {@code count} consecutive PADDING bytes (each one is a frame). */
    default void onPadding(int count) {}

    default void onPing() {}

    /** {@code ack} is owned and reused by the parser: valid only during this call. */
    default void onAck(AckFrame ack) {}

    default void onResetStream(long streamId, long errorCode, long finalSize) {}

    default void onStopSending(long streamId, long errorCode) {}

    /**
     * Stream data {@code packet[dataOffset, dataOffset + dataLength)}: absolute indexes into the
     * parsed buffer, within its position..limit. The bytes are valid until the packet buffer is
     * reused; {@code offset + dataLength <= 2^62-1}.
     */
    default void onStream(long streamId, long offset, boolean fin, ByteBuffer packet, int dataOffset, int dataLength) {}

    default void onMaxData(long max) {}

    default void onMaxStreamData(long streamId, long max) {}

    /** The sender is blocked at connection flow-control limit {@code limit}. */
    default void onDataBlocked(long limit) {}

    /** The sender is blocked at stream flow-control limit {@code limit}. */
    default void onStreamDataBlocked(long streamId, long limit) {}

    /** {@code reason} is decoded as UTF-8, malformed sequences replaced by U+FFFD. */
    default void onConnectionClose(long errorCode, String reason) {}

    /** The peer opens stream {@code streamId} to the listener on overlay port {@code port} (0..65535). */
    default void onOpen(long streamId, int port) {}

    /** The listener accepted stream {@code streamId}. */
    default void onOpenOk(long streamId) {}

    default void onPmtuProbe() {}
}
