package dev.overlay.recovery;

/**
 * Token-bucket pacer for RFC 9002 (7.7): "A sender SHOULD pace sending of all in-flight packets
 * based on input from the congestion controller". Tokens are bytes; they accrue at the pacing rate
 * given with each call (usually {@link CongestionController#pacingRateBytesPerSecond}) up to the
 * bucket's capacity.
 *
 * <p>Capacity, a documented choice: {@code max(initial window, rate * }{@value
 * #BURST_INTERVAL_NANOS}{@code  ns)}. RFC 9002 (7.7) says senders "SHOULD limit bursts to the
 * initial congestion window", which is the floor. The rate term is there because the event loop
 * sleeps in {@code Selector.select(millis)}: it wakes at best every millisecond, often later, and a
 * bucket holding less than one wake-up's worth of tokens would cap throughput below the rate.
 * Two milliseconds cover a one-millisecond timer plus its usual lateness.
 *
 * <p>The bucket starts full, so the first initial window goes out at once. Sending without waiting
 * (probes, which RFC 9002 6.2.4 says must not be blocked) may drive the bucket negative: that debt
 * is paid back before the next paced packet, keeping the long-run rate. Callers sleep until {@link
 * #nextSendTime}; nothing here busy-waits. Not thread-safe: owned by the event loop.
 */
public final class Pacer {
    /** Tuning: the bucket holds at least this much time at the pacing rate (see class comment). */
    public static final long BURST_INTERVAL_NANOS = 2_000_000L;
    private static final double NANOS_PER_SECOND = 1e9;
    /**
     * Floating-point slack, in bytes: after waiting exactly the time {@link #nextSendTime} asked
     * for, rounding must not leave the bucket a hair short and cost another wake-up.
     */
    private static final double TOKEN_SLACK = 1e-3;

    private int maxDatagramSize;
    private double tokens;
    private boolean started;
    private long lastRefill;

    public Pacer(int maxDatagramSize) {
        setMaxDatagramSize(maxDatagramSize);
        tokens = RecoveryConstants.initialWindow(maxDatagramSize);
    }

    /**
     * The earliest time a packet of {@code bytes} may be sent: {@code now} if it may go now, a later
     * time otherwise; never earlier than {@code now}. A packet larger than the bucket waits for a
     * full bucket.
     */
    public long nextSendTime(long now, int bytes, long rateBytesPerSecond) {
        requirePositive(bytes, rateBytesPerSecond);
        refill(now, rateBytesPerSecond);
        double needed = Math.min(bytes, capacity(rateBytesPerSecond));
        if (tokens + TOKEN_SLACK >= needed) {
            return now;
        }
        double waitNanos = Math.ceil((needed - tokens) * NANOS_PER_SECOND / rateBytesPerSecond);
        // waitNanos >= 1 here; the cast saturates for absurdly low rates
        long wait = (long) waitNanos;
        long at = now + wait;
        return at - now < 0 ? Long.MAX_VALUE : at;
    }

    /** A packet of {@code bytes} was sent at {@code now}: its tokens are spent. */
    public void onPacketSent(long now, int bytes, long rateBytesPerSecond) {
        requirePositive(bytes, rateBytesPerSecond);
        refill(now, rateBytesPerSecond);
        tokens -= bytes;
    }

    /** Bucket capacity in bytes at {@code rateBytesPerSecond}; see the class comment. */
    public long capacity(long rateBytesPerSecond) {
        double byRate = rateBytesPerSecond * (BURST_INTERVAL_NANOS / NANOS_PER_SECOND);
        return (long) Math.max(RecoveryConstants.initialWindow(maxDatagramSize), byRate);
    }

    /** Tokens in bytes as of the last call; negative while paying back an unpaced burst. */
    public long tokens() {
        return (long) Math.floor(tokens);
    }

    public int maxDatagramSize() {
        return maxDatagramSize;
    }

    /** The path MTU changed: the bucket's floor (the initial window) follows the new size. */
    public void setMaxDatagramSize(int maxDatagramSize) {
        this.maxDatagramSize = RecoveryConstants.checkDatagramSize(maxDatagramSize);
    }

    private void refill(long now, long rateBytesPerSecond) {
        if (!started) {
            started = true;
            lastRefill = now;
            return;
        }
        long elapsed = now - lastRefill;
        if (elapsed <= 0) {
            return;
        }
        lastRefill = now;
        double full = capacity(rateBytesPerSecond);
        tokens = Math.min(full, tokens + elapsed * (rateBytesPerSecond / NANOS_PER_SECOND));
    }

    private static void requirePositive(int bytes, long rateBytesPerSecond) {
        if (bytes <= 0) {
            throw new IllegalArgumentException("packet size must be positive: " + bytes);
        }
        if (rateBytesPerSecond <= 0) {
            throw new IllegalArgumentException("pacing rate must be positive: " + rateBytesPerSecond);
        }
    }
}
