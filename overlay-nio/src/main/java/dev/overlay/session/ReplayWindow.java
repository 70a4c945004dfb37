package dev.overlay.session;

/**
 * Sliding anti-replay window over 64-bit packet counters, after RFC 6479.
 *
 * <p>RFC 6479 section 2: the bitmap is a ring of blocks; moving the window forward clears whole
 * blocks instead of shifting bits, so {@link #accept} is O(1) amortised. With 64 blocks of 64
 * bits and one block kept as slack, any of the last {@value #WINDOW} counters below the highest
 * seen can still arrive out of order (WireGuard keeps 1984; we keep more because the stream layer
 * above may burst thousands of packets across a reordering path).
 *
 * <p>Checking is split in two so that the AEAD work is only spent on packets that could be
 * accepted: {@link #mayAccept} before decryption (no state change), {@link #accept} after the tag
 * verified. Not thread-safe: owned by the event loop.
 */
public final class ReplayWindow {
    private static final int BLOCK_BITS = 64;
    private static final int BLOCK_SHIFT = 6;
    private static final int RING_BLOCKS = 64;
    private static final int RING_MASK = RING_BLOCKS - 1;
    /** Counters this far below the highest one seen are rejected as too old. */
    public static final int WINDOW = (RING_BLOCKS - 1) * BLOCK_BITS;

    private final long[] ring = new long[RING_BLOCKS];
    private long highest;

    /** True when {@code counter} is new and inside the window; changes nothing. */
    public boolean mayAccept(long counter) {
        if (counter < 0) {
            return false;
        }
        if (counter > highest) {
            return true;
        }
        if (highest - counter >= WINDOW) {
            return false;
        }
        return (ring[block(counter)] & bit(counter)) == 0;
    }

    /**
     * Records {@code counter} if it is new and inside the window.
     *
     * @return false for a replayed, too-old or negative counter (the packet must be dropped)
     */
    public boolean accept(long counter) {
        if (counter < 0) {
            return false;
        }
        if (counter > highest) {
            advanceTo(counter);
        } else if (highest - counter >= WINDOW) {
            return false;
        }
        int b = block(counter);
        long mask = bit(counter);
        if ((ring[b] & mask) != 0) {
            return false;
        }
        ring[b] |= mask;
        return true;
    }

    /** The highest counter accepted so far (0 before any). */
    public long highest() {
        return highest;
    }

    // RFC 6479 section 2.2: clear the blocks between the old and new top, at most the whole ring.
    private void advanceTo(long counter) {
        long current = highest >>> BLOCK_SHIFT;
        long target = counter >>> BLOCK_SHIFT;
        long blocks = Math.min(target - current, RING_BLOCKS);
        for (long i = 1; i <= blocks; i++) {
            ring[(int) ((current + i) & RING_MASK)] = 0;
        }
        highest = counter;
    }

    private static int block(long counter) {
        return (int) ((counter >>> BLOCK_SHIFT) & RING_MASK);
    }

    private static long bit(long counter) {
        return 1L << (counter & (BLOCK_BITS - 1));
    }
}
