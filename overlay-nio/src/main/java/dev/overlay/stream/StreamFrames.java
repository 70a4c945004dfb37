package dev.overlay.stream;

import dev.overlay.wire.frame.FrameWriter;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * Fills a packet with one stream's frames: its window update, then lost ranges (retransmitted as
 * new frames), then new bytes within both flow-control limits, and the FIN.
 */
final class StreamFrames {
    /** Room below which a STREAM frame is not worth starting (header and a few bytes). */
    private static final int MIN_FRAME_ROOM = 24;

    private StreamFrames() {}

    /**
     * Writes what fits of {@code s} into {@code out}.
     *
     * @return true when the stream still has something to send
     */
    static boolean write(Connection c, OverlayStream s, long now, ByteBuffer out, List<SentFrame> sent) {
        s.lock.lock();
        try {
            c.streamWindowUpdateLocked(now, s, out, sent);
            if (!s.opened || !s.sending()) {
                return s.windowUpdateWanted;
            }
            while (out.remaining() >= MIN_FRAME_ROOM && writeOne(c, s, out, sent)) {
                // keep filling the packet from this stream
            }
            return s.windowUpdateWanted || s.send.hasLostData() || newBytes(c, s) > 0 || s.send.finToSend();
        } finally {
            s.lock.unlock();
        }
    }

    private static long flowLimit(Connection c, OverlayStream s) {
        return Math.min(s.sendLimit, s.send.sentHigh() + Math.max(0, c.connectionCredit()));
    }

    private static long newBytes(Connection c, OverlayStream s) {
        return s.send.newDataAvailable(flowLimit(c, s));
    }

    private static boolean writeOne(Connection c, OverlayStream s, ByteBuffer out, List<SentFrame> sent) {
        SendBuffer b = s.send;
        int room = out.remaining();
        if (b.hasLostData()) {
            long offset = b.lostOffset();
            int len = fit(s.id, offset, b.lostLength(room), room);
            boolean fin = offset + len == b.finOffset() && !b.finAcked();
            emit(s, offset, len, fin, out, sent);
            c.totals.bytesRetransmitted += len;
            return true;
        }
        long offset = b.sentHigh();
        int len = fit(s.id, offset, (int) Math.min(newBytes(c, s), room), room);
        boolean fin = b.finOffset() >= 0 && offset + len == b.finOffset() && (len > 0 || b.finToSend());
        if (len == 0 && !fin) {
            return false;
        }
        emit(s, offset, len, fin, out, sent);
        c.onNewDataSent(len);
        return len > 0;
    }

    /** The largest length up to {@code want} whose frame fits in {@code room}. */
    private static int fit(long id, long offset, int want, int room) {
        int len = Math.max(0, Math.min(want, room - FrameWriter.streamOverhead(id, offset, room, true)));
        return len;
    }

    private static void emit(OverlayStream s, long offset, int len, boolean fin, ByteBuffer out, List<SentFrame> sent) {
        FrameWriter.writeStreamHeader(out, s.id, offset, fin, len);
        s.send.copy(offset, len, out);
        s.send.onSent(offset, len, fin);
        sent.add(new SentFrame.Stream(s, offset, len, fin));
    }
}
