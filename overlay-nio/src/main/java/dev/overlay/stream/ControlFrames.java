package dev.overlay.stream;

import dev.overlay.wire.frame.FrameWriter;
import java.nio.ByteBuffer;

/** Writes queued control frames into a packet. */
final class ControlFrames {
    private ControlFrames() {}

    /** Writes {@code f} if it fits; false (nothing written) otherwise. */
    static boolean write(SentFrame f, ByteBuffer out) {
        int room = out.remaining();
        if (f instanceof SentFrame.Open o) {
            if (FrameWriter.openLength(o.stream().id, o.port()) > room) {
                return false;
            }
            FrameWriter.writeOpen(out, o.stream().id, o.port());
        } else if (f instanceof SentFrame.OpenOk o) {
            if (FrameWriter.openOkLength(o.streamId()) > room) {
                return false;
            }
            FrameWriter.writeOpenOk(out, o.streamId());
        } else if (f instanceof SentFrame.ResetStream r) {
            if (FrameWriter.resetStreamLength(r.streamId(), r.code(), r.finalSize()) > room) {
                return false;
            }
            FrameWriter.writeResetStream(out, r.streamId(), r.code(), r.finalSize());
        } else if (f instanceof SentFrame.StopSending s) {
            if (FrameWriter.stopSendingLength(s.streamId(), s.code()) > room) {
                return false;
            }
            FrameWriter.writeStopSending(out, s.streamId(), s.code());
        } else if (f instanceof SentFrame.Ping) {
            if (FrameWriter.pingLength() > room) {
                return false;
            }
            FrameWriter.writePing(out);
        } else {
            throw new IllegalStateException("not a queued control frame: " + f);
        }
        return true;
    }
}
