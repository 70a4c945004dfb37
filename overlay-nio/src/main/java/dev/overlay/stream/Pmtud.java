package dev.overlay.stream;

/**
 * Datagram packetization-layer path MTU discovery (RFC 8899) for one connection: start at a size
 * every path carries, probe larger sizes with padded, ack-eliciting PMTU_PROBE packets, adopt a
 * size once a probe of it is acknowledged, and fall back when the path turns into a black hole.
 * Data is never lost to a failed probe: probes carry no data, and data is retransmitted in new
 * packets sized to the current PMTU.
 */
final class Pmtud {
    /** RFC 8899 (5.1.2): MAX_PROBES, the probes of one size sent before concluding it does not fit. */
    static final int MAX_PROBES = 3;
    /** RFC 8899 (5.1.1): PMTU_RAISE_TIMER, how long a completed search stands before trying again. */
    static final long RAISE_TIMER_NANOS = 600_000_000_000L;

    /**
     * Sizes tried in order: common path MTUs first (IPv6 minimum 1280, typical tunnels 1400, IPv4
     * over Ethernet 1500 - 28 = 1472, jumbo frames 9000 - 28), then powers of two for loopback and
     * virtual networks, up to the IPv4 UDP limit.
     */
    private static final int[] CANDIDATES = {1280, 1400, 1472, 8972, 16384, 32768, 65507};

    private final int base;
    private final int max;
    private int current;
    private int ceiling;
    private int probing;
    private int failures;
    private long nextProbeAt = Long.MIN_VALUE;
    /**
     * Counts restarts: a probe carries the search it belongs to, so the answer to a probe sent over
     * a previous path cannot raise the size on the new one.
     */
    private int search;

    Pmtud(int base, int max) {
        this.base = base;
        this.max = max;
        this.current = base;
        this.ceiling = max;
    }

    /** The size every path carries, where the search starts and falls back to. */
    int base() {
        return base;
    }

    /** The datagram size packets use now. */
    int current() {
        return current;
    }

    /** True when a probe should go out now. */
    boolean probeDue(long now) {
        return probing == 0 && next() > 0 && now >= nextProbeAt;
    }

    /** When the next probe is due; Long.MAX_VALUE while one is in flight or the search is done. */
    long nextProbeAt() {
        return probing != 0 || next() == 0 ? Long.MAX_VALUE : nextProbeAt;
    }

    /** The size of the probe to send now (call after {@link #probeDue}). */
    int nextProbeSize(long now) {
        probing = next();
        return probing;
    }

    /** The search a probe sent now belongs to; pass it back to the ack and loss callbacks. */
    int search() {
        return search;
    }

    private int next() {
        for (int c : CANDIDATES) {
            if (c > current && c <= ceiling && c <= max) {
                return c;
            }
        }
        return 0;
    }

    void onProbeAcked(int size, int search) {
        if (search != this.search) {
            return;
        }
        if (size > current) {
            current = size;
        }
        if (size == probing) {
            probing = 0;
            failures = 0;
        }
    }

    /** A probe was lost: after {@link #MAX_PROBES} losses of one size, it is above the path's limit. */
    void onProbeLost(int size, int search, long now) {
        if (size != probing || search != this.search) {
            return;
        }
        probing = 0;
        if (++failures >= MAX_PROBES) {
            ceiling = size - 1;
            failures = 0;
            nextProbeAt = now + RAISE_TIMER_NANOS;
        }
    }

    /**
     * RFC 8899 (4.3): repeated loss of packets at the current size while the path is otherwise
     * alive means it shrank: fall back to the base size and search again.
     */
    void onBlackHole(long now) {
        if (current > base) {
            ceiling = current - 1;
            current = base;
            probing = 0;
            failures = 0;
            nextProbeAt = now;
        }
    }

    /**
     * The packets now take another path (relay to direct, one address to another): what the old
     * path carried says nothing about the new one, so search again from the base size, which every
     * path carries.
     */
    void restart(long now) {
        search++;
        current = base;
        ceiling = max;
        probing = 0;
        failures = 0;
        nextProbeAt = now;
    }

    /** After the raise timer, a completed search may try larger sizes again. */
    void maybeRaise(long now) {
        if (next() == 0 && ceiling < max && now >= nextProbeAt) {
            ceiling = max;
        }
    }
}
