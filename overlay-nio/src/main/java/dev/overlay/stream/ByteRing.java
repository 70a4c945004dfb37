package dev.overlay.stream;

import java.nio.ByteBuffer;

/**
 * Bytes addressed by their absolute stream offset: offset {@code o} lives at {@code o & mask}. The
 * owner guarantees that the live offsets never span more than the capacity, so nothing is
 * overwritten while still needed. Grows by copying the live window into a larger array.
 */
final class ByteRing {
    private static final byte[] EMPTY = new byte[0];
    private byte[] data = EMPTY;
    private int mask = -1;

    int capacity() {
        return data.length;
    }

    /**
     * Grows to at least {@code minCapacity} (a power of two), keeping the bytes of the live window
     * {@code [liveFrom, liveFrom + oldCapacity)}.
     */
    void ensureCapacity(int minCapacity, long liveFrom) {
        if (minCapacity <= data.length) {
            return;
        }
        int cap = Integer.highestOneBit(Math.max(minCapacity - 1, 1)) << 1;
        byte[] next = new byte[cap];
        int old = data.length;
        for (int done = 0; done < old; ) {
            long off = liveFrom + done;
            int from = (int) (off & mask);
            int to = (int) (off & (cap - 1));
            int n = Math.min(Math.min(old - done, old - from), cap - to);
            System.arraycopy(data, from, next, to, n);
            done += n;
        }
        data = next;
        mask = cap - 1;
    }

    /** Copies {@code len} bytes from {@code src[srcIndex..]} (absolute) to stream offset {@code off}. */
    void put(long off, ByteBuffer src, int srcIndex, int len) {
        checkCapacity(len);
        while (len > 0) {
            int at = (int) (off & mask);
            int n = Math.min(len, data.length - at);
            src.get(srcIndex, data, at, n);
            off += n;
            srcIndex += n;
            len -= n;
        }
    }

    /** Copies {@code len} bytes from {@code src[srcOff..]} to stream offset {@code off}. */
    void put(long off, byte[] src, int srcOff, int len) {
        checkCapacity(len);
        while (len > 0) {
            int at = (int) (off & mask);
            int n = Math.min(len, data.length - at);
            System.arraycopy(src, srcOff, data, at, n);
            off += n;
            srcOff += n;
            len -= n;
        }
    }

    /** Copies {@code len} bytes at stream offset {@code off} into {@code dst} (relative put). */
    void get(long off, ByteBuffer dst, int len) {
        while (len > 0) {
            int at = (int) (off & mask);
            int n = Math.min(len, data.length - at);
            dst.put(data, at, n);
            off += n;
            len -= n;
        }
    }

    /** Copies {@code len} bytes at stream offset {@code off} into {@code dst[dstOff..]}. */
    void get(long off, byte[] dst, int dstOff, int len) {
        while (len > 0) {
            int at = (int) (off & mask);
            int n = Math.min(len, data.length - at);
            System.arraycopy(data, at, dst, dstOff, n);
            off += n;
            dstOff += n;
            len -= n;
        }
    }

    private void checkCapacity(int len) {
        if (len > data.length) {
            throw new IllegalStateException(len + " bytes do not fit a ring of " + data.length);
        }
    }

    /** Drops the storage (a closed stream keeps no buffer). */
    void release() {
        data = EMPTY;
        mask = -1;
    }
}
