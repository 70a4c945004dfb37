package dev.overlay.wire.frame;

import java.nio.ByteBuffer;

/**
 * A bounds-checked cursor over {@code buf[position, limit)} at the time of {@link #reset}. It
 * reads with absolute gets and never moves the buffer's own position or limit, so a visitor that
 * touches them cannot disturb the parse. Every read that could run past the end checks first and
 * throws {@link FrameException}; nothing here can throw anything else on any input.
 */
final class PacketReader {
    private ByteBuffer buf;
    private int pos;
    private int end;

    void reset(ByteBuffer b) {
        buf = b;
        pos = b.position();
        end = b.limit();
    }

    /** Drops the reference to the last packet so the parser does not keep it alive. */
    void clear() {
        buf = null;
        pos = 0;
        end = 0;
    }

    boolean hasRemaining() {
        return pos < end;
    }

    int remaining() {
        return end - pos;
    }

    int position() {
        return pos;
    }

    /** The next byte, unsigned, without consuming it; the caller checked {@link #hasRemaining}. */
    int peek() {
        return buf.get(pos) & 0xff;
    }

    int readByte(String frame, String field) throws FrameException {
        if (pos >= end) {
            throw FrameException.truncated(frame, field);
        }
        return buf.get(pos++) & 0xff;
    }

    /** A fixed 8-byte big-endian value. */
    long fixed64(String frame, String field) throws FrameException {
        if (end - pos < 8) {
            throw FrameException.truncated(frame, field);
        }
        long v = buf.getLong(pos);
        pos += 8;
        return v;
    }

    long varint(String frame, String field) throws FrameException {
        if (pos >= end) {
            throw FrameException.truncated(frame, field);
        }
        int len = Varint.encodedLength(buf.get(pos));
        if (end - pos < len) {
            throw FrameException.truncated(frame, field);
        }
        long v = Varint.get(buf, pos, len);
        pos += len;
        return v;
    }

    /** Consumes {@code n} bytes; the caller checked {@code 0 <= n <= remaining()}. */
    void skip(int n) {
        pos += n;
    }

    /** Copies the next {@code n} bytes; the caller checked {@code 0 <= n <= remaining()}. */
    byte[] copy(int n) {
        byte[] out = new byte[n];
        buf.get(pos, out);
        pos += n;
        return out;
    }
}
