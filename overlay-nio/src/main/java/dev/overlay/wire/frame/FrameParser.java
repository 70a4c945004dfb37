package dev.overlay.wire.frame;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Parses a stream-layer packet (see the package documentation) and calls a {@link FrameVisitor}
 * once per frame. Reads are bounds-checked; on any input the parser returns or throws
 * {@link FrameException}, nothing else. It creates no object per frame (the ACK is decoded into
 * one reused {@link AckFrame}); only CONNECTION_CLOSE, once per connection, allocates its reason.
 *
 * <p>One instance per connection or per thread: not thread-safe.
 */
public final class FrameParser {
    private final PacketReader in = new PacketReader();
    private final AckFrame ack = new AckFrame();
    private boolean ackEliciting;

    public FrameParser() {}

    /**
     * Parses {@code packet[position, limit)}: the marker, the packet number, then every frame. The
     * buffer's position and limit are left as they were; STREAM data is reported as absolute
     * indexes into it.
     *
     * @return the packet number
     * @throws FrameException if anything is malformed (frames before the bad one were visited)
     */
    public long parse(ByteBuffer packet, FrameVisitor v) throws FrameException {
        ackEliciting = false;
        in.reset(packet);
        try {
            int marker = in.readByte("packet", "marker (empty payload)");
            if (marker != (FrameWriter.PACKET_MARKER & 0xff)) {
                throw FrameException.stackless("packet: marker 0x" + Integer.toHexString(marker) + " is not 0x10");
            }
            lastEpoch = in.fixed64("packet", "epoch");
            if (lastEpoch < 0) {
                throw FrameException.stackless("packet: epoch has its top bit set");
            }
            long number = in.varint("packet", "packet number");
            // RFC 9000 (12.4): "An endpoint MUST treat receipt of a packet containing no frames as
            // a connection error of type PROTOCOL_VIOLATION."
            if (!in.hasRemaining()) {
                throw FrameException.stackless("packet: no frames after packet number " + number);
            }
            boolean eliciting = false;
            while (in.hasRemaining()) {
                int type = in.readByte("packet", "frame type");
                frame(type, packet, v);
                eliciting |= isAckEliciting(type);
            }
            ackEliciting = eliciting;
            return number;
        } finally {
            in.clear();
        }
    }

    private long lastEpoch;

    /** The sender's connection epoch from the last packet parsed. */
    public long lastEpoch() {
        return lastEpoch;
    }

    /**
     * The epoch of the packet at {@code packet}'s position without parsing it, or -1 when the
     * packet is too short, lacks the marker, or has an epoch with its top bit set.
     */
    public static long peekEpoch(ByteBuffer packet) {
        int p = packet.position();
        if (packet.limit() - p < 1 + Long.BYTES || packet.get(p) != FrameWriter.PACKET_MARKER) {
            return -1;
        }
        long epoch = packet.getLong(p + 1);
        return epoch < 0 ? -1 : epoch;
    }

    /** Whether the last packet {@link #parse} returned holds an ack-eliciting frame (false after a throw). */
    public boolean lastPacketAckEliciting() {
        return ackEliciting;
    }

    /**
     * RFC 9002 (2): "All frames other than ACK, PADDING, and CONNECTION_CLOSE are considered
     * ack-eliciting." A receiver acknowledges a packet promptly only if it carries one.
     */
    public static boolean isAckEliciting(int frameType) {
        return frameType != FrameType.PADDING && frameType != FrameType.ACK && frameType != FrameType.CONNECTION_CLOSE;
    }

    private void frame(int type, ByteBuffer packet, FrameVisitor v) throws FrameException {
        switch (type) {
            case FrameType.PADDING -> padding(v);
            case FrameType.PING -> v.onPing();
            case FrameType.ACK -> {
                ack.decode(in);
                v.onAck(ack);
            }
            case FrameType.RESET_STREAM -> v.onResetStream(
                    in.varint("RESET_STREAM", "stream id"),
                    in.varint("RESET_STREAM", "application error code"),
                    in.varint("RESET_STREAM", "final size"));
            case FrameType.STOP_SENDING -> v.onStopSending(
                    in.varint("STOP_SENDING", "stream id"),
                    in.varint("STOP_SENDING", "application error code"));
            case 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f -> stream(type, packet, v);
            case FrameType.MAX_DATA -> v.onMaxData(in.varint("MAX_DATA", "maximum data"));
            case FrameType.MAX_STREAM_DATA -> v.onMaxStreamData(
                    in.varint("MAX_STREAM_DATA", "stream id"),
                    in.varint("MAX_STREAM_DATA", "maximum stream data"));
            case FrameType.DATA_BLOCKED -> v.onDataBlocked(in.varint("DATA_BLOCKED", "maximum data"));
            case FrameType.STREAM_DATA_BLOCKED -> v.onStreamDataBlocked(
                    in.varint("STREAM_DATA_BLOCKED", "stream id"),
                    in.varint("STREAM_DATA_BLOCKED", "maximum stream data"));
            case FrameType.CONNECTION_CLOSE -> connectionClose(v);
            case FrameType.OPEN -> open(v);
            case FrameType.OPEN_OK -> v.onOpenOk(in.varint("OPEN_OK", "stream id"));
            case FrameType.PMTU_PROBE -> v.onPmtuProbe();
            // RFC 9000 (12.4): "An endpoint MUST treat the receipt of a frame of unknown type as a
            // connection error of type FRAME_ENCODING_ERROR."
            default -> throw FrameException.stackless("packet: unknown frame type 0x" + Integer.toHexString(type));
        }
    }

    /** RFC 9000 (19.1): "A PADDING frame (type=0x00) has no semantic value." A run is one call. */
    private void padding(FrameVisitor v) {
        int count = 1;
        while (in.hasRemaining() && in.peek() == FrameType.PADDING) {
            in.skip(1);
            count++;
        }
        v.onPadding(count);
    }

    private void stream(int type, ByteBuffer packet, FrameVisitor v) throws FrameException {
        long id = in.varint("STREAM", "stream id");
        // RFC 9000 (19.8): "When set to 0, the Offset field is absent and the Stream Data starts at
        // an offset of 0".
        long offset = (type & FrameType.STREAM_OFF) != 0 ? in.varint("STREAM", "offset") : 0;
        long length;
        if ((type & FrameType.STREAM_LEN) != 0) {
            length = in.varint("STREAM", "length");
            if (length > in.remaining()) {
                throw FrameException.stackless("STREAM: length " + length + " exceeds the " + in.remaining() + " bytes left in the packet");
            }
        } else {
            // RFC 9000 (19.8): "If this bit is set to 0, the Length field is absent and the Stream
            // Data field extends to the end of the packet." So it is the last frame by construction.
            length = in.remaining();
        }
        // RFC 9000 (19.8): "The largest offset delivered on a stream -- the sum of the offset and
        // data length -- cannot exceed 2^62-1 ... Receipt of a frame that exceeds this limit MUST
        // be treated as a connection error". Both are <= 2^62-1, so the subtraction cannot overflow.
        if (length > Varint.MAX - offset) {
            throw FrameException.stackless("STREAM: offset " + offset + " + length " + length + " exceeds 2^62-1");
        }
        int dataOffset = in.position();
        in.skip((int) length);
        v.onStream(id, offset, (type & FrameType.STREAM_FIN) != 0, packet, dataOffset, (int) length);
    }

    private void connectionClose(FrameVisitor v) throws FrameException {
        long code = in.varint("CONNECTION_CLOSE", "error code");
        long length = in.varint("CONNECTION_CLOSE", "reason phrase length");
        if (length > FrameWriter.MAX_REASON_BYTES) {
            throw FrameException.stackless("CONNECTION_CLOSE: reason phrase length " + length + " exceeds " + FrameWriter.MAX_REASON_BYTES);
        }
        if (length > in.remaining()) {
            throw FrameException.stackless("CONNECTION_CLOSE: reason phrase length " + length + " exceeds the " + in.remaining() + " bytes left in the packet");
        }
        // RFC 9000 (19.19): the reason phrase "SHOULD be a UTF-8 encoded string"; decoding replaces
        // malformed sequences rather than failing, as the phrase is diagnostic only.
        v.onConnectionClose(code, new String(in.copy((int) length), StandardCharsets.UTF_8));
    }

    private void open(FrameVisitor v) throws FrameException {
        long id = in.varint("OPEN", "stream id");
        long port = in.varint("OPEN", "port");
        if (port > 0xffff) {
            throw FrameException.stackless("OPEN: port " + port + " exceeds 65535");
        }
        v.onOpen(id, (int) port);
    }
}
