package dev.overlay.wire.frame;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * Records every frame as a line of text, for comparisons in tests. It also checks the one promise
 * a visitor relies on for memory safety: STREAM data lies inside the parsed window.
 */
final class RecordingVisitor implements FrameVisitor {
    final List<String> frames = new ArrayList<>();
    private final int windowStart;
    private final int windowEnd;

    /** A visitor for a packet parsed from {@code packet[position, limit)} as it is now. */
    RecordingVisitor(ByteBuffer packet) {
        this.windowStart = packet.position();
        this.windowEnd = packet.limit();
    }

    static String hex(ByteBuffer b, int offset, int length) {
        byte[] out = new byte[length];
        b.get(offset, out);
        return HexFormat.of().formatHex(out);
    }

    @Override
    public void onPadding(int count) {
        frames.add("PADDING " + count);
    }

    @Override
    public void onPing() {
        frames.add("PING");
    }

    @Override
    public void onAck(AckFrame ack) {
        StringBuilder s = new StringBuilder("ACK delay=" + ack.ackDelayMicros());
        for (int i = 0; i < ack.rangeCount(); i++) {
            s.append(' ').append(ack.ranges()[2 * i + 1]).append("..").append(ack.ranges()[2 * i]);
        }
        if (ack.largest() != ack.ranges()[0]) {
            throw new AssertionError("largest " + ack.largest() + " is not ranges[0] " + ack.ranges()[0]);
        }
        frames.add(s.toString());
    }

    @Override
    public void onResetStream(long streamId, long errorCode, long finalSize) {
        frames.add("RESET_STREAM " + streamId + " code=" + errorCode + " final=" + finalSize);
    }

    @Override
    public void onStopSending(long streamId, long errorCode) {
        frames.add("STOP_SENDING " + streamId + " code=" + errorCode);
    }

    @Override
    public void onStream(long streamId, long offset, boolean fin, ByteBuffer packet, int dataOffset, int dataLength) {
        if (dataLength < 0 || dataOffset < windowStart || dataOffset > windowEnd - dataLength) {
            throw new AssertionError("STREAM data [" + dataOffset + ", +" + dataLength + ") outside the packet ["
                    + windowStart + ", " + windowEnd + ")");
        }
        if (offset < 0 || offset + dataLength > Varint.MAX) {
            throw new AssertionError("STREAM offset " + offset + " + " + dataLength + " beyond 2^62-1");
        }
        frames.add("STREAM " + streamId + " off=" + offset + (fin ? " fin" : "") + " data=" + hex(packet, dataOffset, dataLength));
    }

    @Override
    public void onMaxData(long max) {
        frames.add("MAX_DATA " + max);
    }

    @Override
    public void onMaxStreamData(long streamId, long max) {
        frames.add("MAX_STREAM_DATA " + streamId + " max=" + max);
    }

    @Override
    public void onDataBlocked(long limit) {
        frames.add("DATA_BLOCKED " + limit);
    }

    @Override
    public void onStreamDataBlocked(long streamId, long limit) {
        frames.add("STREAM_DATA_BLOCKED " + streamId + " limit=" + limit);
    }

    @Override
    public void onConnectionClose(long errorCode, String reason) {
        frames.add("CONNECTION_CLOSE " + errorCode + " reason=" + reason);
    }

    @Override
    public void onOpen(long streamId, int port) {
        if (port < 0 || port > 65535) {
            throw new AssertionError("port " + port);
        }
        frames.add("OPEN " + streamId + " port=" + port);
    }

    @Override
    public void onOpenOk(long streamId) {
        frames.add("OPEN_OK " + streamId);
    }

    @Override
    public void onPmtuProbe() {
        frames.add("PMTU_PROBE");
    }
}
