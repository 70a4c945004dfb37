package dev.overlay.stream;

import java.nio.ByteBuffer;

/**
 * The receiving half of a stream: reassembles out-of-order frames and hands the application the
 * contiguous prefix. Its size never exceeds the flow-control window this side advertised (the
 * connection refuses data beyond it), so a slow reader bounds memory. Guarded by the stream lock.
 */
final class RecvBuffer {
    private final ByteRing ring = new ByteRing();
    private final RangeSet received = new RangeSet();
    private long readOffset;
    private long finalSize = -1;

    /** Makes room for a window of {@code window} bytes beyond the read offset. */
    void ensureWindow(int window) {
        ring.ensureCapacity(window, readOffset);
    }

    /**
     * Stores {@code len} bytes at stream offset {@code offset} from {@code src[srcIndex..]}; the
     * caller has checked flow control. Bytes already read or received are ignored.
     */
    void write(long offset, ByteBuffer src, int srcIndex, int len) {
        long end = offset + len;
        if (end <= readOffset || len == 0) {
            return;
        }
        long from = Math.max(offset, readOffset);
        // Storage grows with what actually arrived (an idle stream holds none); the connection has
        // checked that end stays within the advertised window.
        ring.ensureCapacity((int) (end - readOffset), readOffset);
        ring.put(from, src, srcIndex + (int) (from - offset), (int) (end - from));
        received.add(from, end - 1);
    }

    /** Holes between received ranges (each costs the range set an entry). */
    int gaps() {
        return received.rangeCount();
    }

    void setFinalSize(long size) {
        finalSize = size;
    }

    long finalSize() {
        return finalSize;
    }

    /** Highest offset received so far + 1 (what flow control counts). */
    long highestReceived() {
        return received.isEmpty() ? readOffset : Math.max(readOffset, received.last() + 1);
    }

    long readOffset() {
        return readOffset;
    }

    int readable() {
        return (int) (received.contiguousEnd(readOffset) - readOffset);
    }

    /** True once every byte up to the FIN has been read by the application. */
    boolean atEnd() {
        return finalSize >= 0 && readOffset == finalSize;
    }

    /** True once every byte up to the FIN has arrived (possibly not yet read). */
    boolean complete() {
        return finalSize >= 0 && received.contiguousEnd(readOffset) == finalSize;
    }

    int read(ByteBuffer dst) {
        int n = Math.min(dst.remaining(), readable());
        ring.get(readOffset, dst, n);
        consume(n);
        return n;
    }

    int read(byte[] dst, int off, int len) {
        int n = Math.min(len, readable());
        ring.get(readOffset, dst, off, n);
        consume(n);
        return n;
    }

    private void consume(int n) {
        readOffset += n;
        received.removeBelow(readOffset);
    }

    void release() {
        ring.release();
        received.clear();
    }
}
