package dev.overlay.stream;

import java.nio.ByteBuffer;

/**
 * The sending half of a stream: bytes the application wrote and the peer has not acknowledged.
 *
 * <pre>
 *   ackedBelow        sentHigh           writeOffset
 *   |  in flight, acked or lost  |  not yet sent  |  free (up to the buffer limit)
 * </pre>
 *
 * Lost ranges are retransmitted as new frames (data, not packets, is retransmitted; RFC 9000
 * 13.3). Guarded by the owning stream's lock.
 */
final class SendBuffer {
    /** First allocation; most request/response streams never need more. */
    static final int INITIAL_CAPACITY = 16 * 1024;

    private final ByteRing ring = new ByteRing();
    private final int maxBuffered;
    private final RangeSet acked = new RangeSet();
    private final RangeSet lost = new RangeSet();
    private long ackedBelow;
    private long sentHigh;
    private long writeOffset;
    private long finOffset = -1;
    private boolean finSent;
    private boolean finPending;
    private boolean finAcked;

    SendBuffer(int maxBuffered) {
        this.maxBuffered = maxBuffered;
    }

    /** Bytes the application may still write before it must wait for acknowledgements. */
    int space() {
        return (int) Math.max(0, maxBuffered - (writeOffset - ackedBelow));
    }

    /** Takes as much of {@code src} as fits; returns the count. */
    int write(ByteBuffer src) {
        if (finOffset >= 0) {
            throw new IllegalStateException("write after shutdownOutput");
        }
        int n = Math.min(src.remaining(), space());
        if (n == 0) {
            return 0;
        }
        ring.ensureCapacity((int) Math.max(INITIAL_CAPACITY, writeOffset + n - ackedBelow), ackedBelow);
        ring.put(writeOffset, src, src.position(), n);
        src.position(src.position() + n);
        writeOffset += n;
        return n;
    }

    /** The application closed its output: the stream ends at the current write offset. */
    void finish() {
        if (finOffset < 0) {
            finOffset = writeOffset;
            finPending = true;
        }
    }

    long writeOffset() {
        return writeOffset;
    }

    long sentHigh() {
        return sentHigh;
    }

    boolean hasLostData() {
        return !lost.isEmpty();
    }

    /** The first lost range, as {@code [offset, offset + length)}; call only if {@link #hasLostData}. */
    long lostOffset() {
        return lost.first();
    }

    int lostLength(int max) {
        return (int) Math.min(max, lost.high(0) - lost.low(0) + 1);
    }

    /** New bytes ready to send, given the flow-control limit (an absolute offset). */
    long newDataAvailable(long flowLimit) {
        return Math.max(0, Math.min(writeOffset, flowLimit) - sentHigh);
    }

    /** True when a FIN must be (re)sent: after all data up to it was sent at least once. */
    boolean finToSend() {
        return finPending && sentHigh == finOffset;
    }

    long finOffset() {
        return finOffset;
    }

    /** Copies {@code len} bytes at {@code offset} into {@code dst} for a frame. */
    void copy(long offset, int len, ByteBuffer dst) {
        ring.get(offset, dst, len);
    }

    /** Records that {@code [offset, offset+len)} went out in a frame (with FIN if {@code fin}). */
    void onSent(long offset, int len, boolean fin) {
        if (len > 0) {
            lost.remove(offset, offset + len - 1);
            sentHigh = Math.max(sentHigh, offset + len);
        }
        if (fin) {
            finSent = true;
            finPending = false;
        }
    }

    /** Returns the number of bytes freed at the front of the buffer. */
    long onAcked(long offset, int len, boolean fin) {
        if (fin) {
            finAcked = true;
        }
        if (len == 0 || offset + len <= ackedBelow) {
            return 0;
        }
        acked.add(Math.max(offset, ackedBelow), offset + len - 1);
        lost.remove(offset, offset + len - 1);
        long before = ackedBelow;
        ackedBelow = acked.contiguousEnd(ackedBelow);
        acked.removeBelow(ackedBelow);
        return ackedBelow - before;
    }

    void onLost(long offset, int len, boolean fin) {
        if (fin && !finAcked) {
            finPending = true;
        }
        long end = offset + len;
        long from = Math.max(offset, ackedBelow);
        if (from >= end) {
            return;
        }
        lost.add(from, end - 1);
        for (int i = 0; i < acked.rangeCount() && acked.low(i) < end; i++) {
            lost.remove(acked.low(i), acked.high(i));
        }
    }

    /** Everything written (and the FIN, if any) has been acknowledged. */
    boolean allAcked() {
        return ackedBelow == writeOffset && (finOffset < 0 || finAcked);
    }

    boolean finAcked() {
        return finAcked;
    }

    boolean finSent() {
        return finSent;
    }

    long unacked() {
        return writeOffset - ackedBelow;
    }

    void release() {
        ring.release();
        acked.clear();
        lost.clear();
    }
}
