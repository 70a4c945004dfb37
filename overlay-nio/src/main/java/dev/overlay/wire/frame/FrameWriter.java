package dev.overlay.wire.frame;

import java.nio.BufferOverflowException;
import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * Writes the packet header and frames at a buffer's position (relative puts). Every writer has a
 * size function ({@code ...Length}, or {@link #streamOverhead} for STREAM) so a packet builder can
 * check the space first. A writer validates its arguments and checks the space before its first
 * put: it either writes the whole frame or throws ({@link IllegalArgumentException} for a value the
 * format cannot carry, {@link BufferOverflowException} for lack of space) having written nothing.
 * Integers are encoded minimally. Nothing here allocates, except CONNECTION_CLOSE.
 */
public final class FrameWriter {
    /** First byte of every stream-layer packet. */
    public static final byte PACKET_MARKER = 0x10;
    /** The longest CONNECTION_CLOSE reason phrase, in UTF-8 bytes. */
    public static final int MAX_REASON_BYTES = 1024;

    private FrameWriter() {}

    public static int packetHeaderLength(long packetNumber) {
        return 1 + Long.BYTES + Varint.length(packetNumber);
    }

    /**
     * The marker, the sender's connection epoch (8 bytes, top bit zero) and the packet number; at
     * least one frame must follow.
     */
    public static void writePacketHeader(ByteBuffer b, long epoch, long packetNumber) {
        if (epoch < 0) {
            throw new IllegalArgumentException("epoch must not be negative, got " + epoch);
        }
        ensure(b, packetHeaderLength(packetNumber));
        b.put(PACKET_MARKER);
        b.putLong(epoch);
        Varint.write(b, packetNumber);
    }

    public static int paddingLength(int count) {
        if (count < 0) {
            throw new IllegalArgumentException("PADDING: negative count " + count);
        }
        return count;
    }

    /** {@code count} PADDING frames (zero bytes). */
    public static void writePadding(ByteBuffer b, int count) {
        ensure(b, paddingLength(count));
        for (int i = 0; i < count; i++) {
            b.put((byte) FrameType.PADDING);
        }
    }

    public static int pingLength() {
        return 1;
    }

    public static void writePing(ByteBuffer b) {
        ensure(b, 1);
        b.put((byte) FrameType.PING);
    }

    /** Validates like {@link #writeAck}, then returns the frame's length. */
    public static int ackLength(long[] ranges, int rangeCount, long ackDelayMicros) {
        AckEncoding.check(ranges, rangeCount, ackDelayMicros);
        return AckEncoding.length(ranges, rangeCount, ackDelayMicros);
    }

    /**
     * An ACK of {@code rangeCount} ranges in {@link AckFrame}'s layout: {@code ranges[2*i]} the
     * highest, {@code ranges[2*i+1]} the lowest packet number of range {@code i}, descending.
     *
     * @throws IllegalArgumentException unless 1 <= rangeCount <= {@link AckFrame#MAX_RANGES}, each
     *     range has 0 <= low <= high <= 2^62-1, and each range lies below the previous one with at
     *     least one missing packet number between them
     */
    public static void writeAck(ByteBuffer b, long[] ranges, int rangeCount, long ackDelayMicros) {
        ensure(b, ackLength(ranges, rangeCount, ackDelayMicros));
        AckEncoding.write(b, ranges, rangeCount, ackDelayMicros);
    }

    public static int resetStreamLength(long streamId, long errorCode, long finalSize) {
        return 1 + Varint.length(streamId) + Varint.length(errorCode) + Varint.length(finalSize);
    }

    public static void writeResetStream(ByteBuffer b, long streamId, long errorCode, long finalSize) {
        ensure(b, resetStreamLength(streamId, errorCode, finalSize));
        b.put((byte) FrameType.RESET_STREAM);
        Varint.write(b, streamId);
        Varint.write(b, errorCode);
        Varint.write(b, finalSize);
    }

    public static int stopSendingLength(long streamId, long errorCode) {
        return 1 + Varint.length(streamId) + Varint.length(errorCode);
    }

    public static void writeStopSending(ByteBuffer b, long streamId, long errorCode) {
        ensure(b, stopSendingLength(streamId, errorCode));
        b.put((byte) FrameType.STOP_SENDING);
        Varint.write(b, streamId);
        Varint.write(b, errorCode);
    }

    /**
     * The bytes a STREAM frame adds to its {@code length} data bytes: type, stream id, offset (when
     * {@code offset > 0}) and length (when {@code withLength}).
     */
    public static int streamOverhead(long streamId, long offset, int length, boolean withLength) {
        if (length < 0) {
            throw new IllegalArgumentException("STREAM: negative length " + length);
        }
        // RFC 9000 (19.8): "The largest offset delivered on a stream -- the sum of the offset and
        // data length -- cannot exceed 2^62-1".
        if (offset < 0 || length > Varint.MAX - offset) {
            throw new IllegalArgumentException("STREAM: offset " + offset + " + length " + length + " not in 0..2^62-1");
        }
        int n = 1 + Varint.length(streamId);
        if (offset != 0) {
            n += Varint.length(offset);
        }
        return withLength ? n + Varint.length(length) : n;
    }

    /**
     * A STREAM frame carrying {@code src[srcOffset, srcOffset + length)}, read with absolute gets
     * (src's position is untouched). OFF is set exactly when {@code offset > 0}. Without
     * {@code withLength} the data runs to the end of the packet, so the frame must be the last one.
     */
    public static void writeStream(ByteBuffer b, long streamId, long offset, boolean fin,
            ByteBuffer src, int srcOffset, int length, boolean withLength) {
        int overhead = streamOverhead(streamId, offset, length, withLength);
        Objects.checkFromIndexSize(srcOffset, length, src.limit());
        ensure(b, overhead + length);
        header(b, streamId, offset, fin, length, withLength);
        int at = b.position();
        b.put(at, src, srcOffset, length);
        b.position(at + length);
    }

    /**
     * The header of a STREAM frame with LEN, for a caller that appends the {@code length} data bytes
     * itself (straight from its own buffer, with no intermediate copy). Checks that header and data
     * fit.
     */
    public static void writeStreamHeader(ByteBuffer b, long streamId, long offset, boolean fin, int length) {
        ensure(b, streamOverhead(streamId, offset, length, true) + length);
        header(b, streamId, offset, fin, length, true);
    }

    private static void header(ByteBuffer b, long streamId, long offset, boolean fin, int length, boolean withLength) {
        int type = FrameType.STREAM;
        if (offset != 0) {
            type |= FrameType.STREAM_OFF;
        }
        if (withLength) {
            type |= FrameType.STREAM_LEN;
        }
        if (fin) {
            type |= FrameType.STREAM_FIN;
        }
        b.put((byte) type);
        Varint.write(b, streamId);
        if (offset != 0) {
            Varint.write(b, offset);
        }
        if (withLength) {
            Varint.write(b, length);
        }
    }

    public static int maxDataLength(long max) {
        return 1 + Varint.length(max);
    }

    public static void writeMaxData(ByteBuffer b, long max) {
        writeTypeAndVarint(b, FrameType.MAX_DATA, max);
    }

    public static int maxStreamDataLength(long streamId, long max) {
        return 1 + Varint.length(streamId) + Varint.length(max);
    }

    public static void writeMaxStreamData(ByteBuffer b, long streamId, long max) {
        writeTypeAndTwoVarints(b, FrameType.MAX_STREAM_DATA, streamId, max);
    }

    public static int dataBlockedLength(long limit) {
        return 1 + Varint.length(limit);
    }

    public static void writeDataBlocked(ByteBuffer b, long limit) {
        writeTypeAndVarint(b, FrameType.DATA_BLOCKED, limit);
    }

    public static int streamDataBlockedLength(long streamId, long limit) {
        return 1 + Varint.length(streamId) + Varint.length(limit);
    }

    public static void writeStreamDataBlocked(ByteBuffer b, long streamId, long limit) {
        writeTypeAndTwoVarints(b, FrameType.STREAM_DATA_BLOCKED, streamId, limit);
    }

    /** Length of the frame {@link #writeConnectionClose} writes, reason truncated as it would be. */
    public static int connectionCloseLength(long errorCode, String reason) {
        int n = ReasonPhrase.encode(reason).length;
        return 1 + Varint.length(errorCode) + Varint.length(n) + n;
    }

    /**
     * CONNECTION_CLOSE with {@code reason} in UTF-8 (null is empty), truncated to
     * {@link #MAX_REASON_BYTES} bytes without splitting a character.
     */
    public static void writeConnectionClose(ByteBuffer b, long errorCode, String reason) {
        byte[] phrase = ReasonPhrase.encode(reason);
        ensure(b, 1 + Varint.length(errorCode) + Varint.length(phrase.length) + phrase.length);
        b.put((byte) FrameType.CONNECTION_CLOSE);
        Varint.write(b, errorCode);
        Varint.write(b, phrase.length);
        b.put(phrase);
    }

    public static int openLength(long streamId, int port) {
        if (port < 0 || port > 0xffff) {
            throw new IllegalArgumentException("OPEN: port " + port + " not in 0..65535");
        }
        return 1 + Varint.length(streamId) + Varint.length(port);
    }

    /** OPEN: stream {@code streamId} to the listener on overlay port {@code port} (0..65535). */
    public static void writeOpen(ByteBuffer b, long streamId, int port) {
        ensure(b, openLength(streamId, port));
        b.put((byte) FrameType.OPEN);
        Varint.write(b, streamId);
        Varint.write(b, port);
    }

    public static int openOkLength(long streamId) {
        return 1 + Varint.length(streamId);
    }

    public static void writeOpenOk(ByteBuffer b, long streamId) {
        writeTypeAndVarint(b, FrameType.OPEN_OK, streamId);
    }

    public static int pmtuProbeLength() {
        return 1;
    }

    /** The PMTU_PROBE type byte; the caller pads the packet to the probed size with PADDING. */
    public static void writePmtuProbe(ByteBuffer b) {
        ensure(b, 1);
        b.put((byte) FrameType.PMTU_PROBE);
    }

    private static void writeTypeAndVarint(ByteBuffer b, int type, long v) {
        ensure(b, 1 + Varint.length(v));
        b.put((byte) type);
        Varint.write(b, v);
    }

    private static void writeTypeAndTwoVarints(ByteBuffer b, int type, long v1, long v2) {
        ensure(b, 1 + Varint.length(v1) + Varint.length(v2));
        b.put((byte) type);
        Varint.write(b, v1);
        Varint.write(b, v2);
    }

    private static void ensure(ByteBuffer b, int n) {
        if (b.remaining() < n) {
            throw new BufferOverflowException();
        }
    }
}
