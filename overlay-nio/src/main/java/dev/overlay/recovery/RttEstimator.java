package dev.overlay.recovery;

import static dev.overlay.recovery.RecoveryConstants.GRANULARITY_NANOS;
import static dev.overlay.recovery.RecoveryConstants.INITIAL_RTT_NANOS;

/**
 * Round-trip time estimation, RFC 9002 section 5. All values are nanoseconds.
 *
 * <p>Before the first sample the smoothed RTT is kInitialRtt and rttvar half of it (RFC 9002 6.2.2,
 * A.3); {@link #latestRtt()} and {@link #minRtt()} are 0 until then. Ack delays are always honoured
 * (capped at max_ack_delay) because this layer starts with the handshake already confirmed.
 * Not thread-safe: owned by the event loop.
 */
public final class RttEstimator {
    private long latestRtt;
    private long smoothedRtt = INITIAL_RTT_NANOS;
    private long rttVar = INITIAL_RTT_NANOS / 2;
    private long minRtt;
    private boolean hasSample;

    /**
     * Takes one RTT sample (RFC 9002 5.3).
     *
     * @param latestRttNanos ack time minus send time of the largest newly acknowledged packet
     * @param ackDelayNanos the ack delay the peer reported (decoded, not negative)
     * @param maxAckDelayNanos the peer's max_ack_delay
     */
    public void update(long latestRttNanos, long ackDelayNanos, long maxAckDelayNanos) {
        requireNotNegative(latestRttNanos, "latest RTT");
        requireNotNegative(ackDelayNanos, "ack delay");
        requireNotNegative(maxAckDelayNanos, "max ack delay");
        latestRtt = latestRttNanos;
        if (!hasSample) {
            // RFC 9002 (5.3): on the first sample min_rtt = smoothed_rtt = latest_rtt, rttvar = latest_rtt / 2
            hasSample = true;
            minRtt = latestRttNanos;
            smoothedRtt = latestRttNanos;
            rttVar = latestRttNanos / 2;
            return;
        }
        // RFC 9002 (5.2): min_rtt is the minimum over samples without adjusting for ack delay
        minRtt = Math.min(minRtt, latestRttNanos);
        // RFC 9002 (5.3): after handshake confirmation, ack_delay = min(ack_delay, max_ack_delay)
        long ackDelay = Math.min(ackDelayNanos, maxAckDelayNanos);
        long adjusted = latestRttNanos;
        // RFC 9002 (5.3): subtract the ack delay only if the result is not below min_rtt
        if (latestRttNanos - minRtt >= ackDelay) {
            adjusted = latestRttNanos - ackDelay;
        }
        // RFC 9002 (5.3): rttvar = 3/4 rttvar + 1/4 |smoothed_rtt - adjusted_rtt|; then
        // smoothed_rtt = 7/8 smoothed_rtt + 1/8 adjusted_rtt (written to avoid overflow)
        long sample = Math.abs(smoothedRtt - adjusted);
        rttVar = rttVar - rttVar / 4 + sample / 4;
        smoothedRtt = smoothedRtt - smoothedRtt / 8 + adjusted / 8;
    }

    /** RFC 9002 (5.2): after persistent congestion, min_rtt restarts from the latest sample. */
    public void onPersistentCongestion() {
        if (hasSample) {
            minRtt = latestRtt;
        }
    }

    /**
     * The probe timeout period without backoff, RFC 9002 (6.2.1):
     * smoothed_rtt + max(4 * rttvar, kGranularity) + max_ack_delay.
     */
    public long pto(long maxAckDelayNanos) {
        requireNotNegative(maxAckDelayNanos, "max ack delay");
        return smoothedRtt + Math.max(4 * rttVar, GRANULARITY_NANOS) + maxAckDelayNanos;
    }

    /** The most recent sample, 0 before the first. */
    public long latestRtt() {
        return latestRtt;
    }

    /** The smoothed RTT; kInitialRtt before the first sample. */
    public long smoothedRtt() {
        return smoothedRtt;
    }

    /** The RTT variation; kInitialRtt / 2 before the first sample. */
    public long rttVar() {
        return rttVar;
    }

    /** The minimum RTT seen (not adjusted for ack delay), 0 before the first sample. */
    public long minRtt() {
        return minRtt;
    }

    /** True once {@link #update} has been called. */
    public boolean hasSample() {
        return hasSample;
    }

    private static void requireNotNegative(long value, String what) {
        if (value < 0) {
            throw new IllegalArgumentException(what + " must not be negative: " + value);
        }
    }
}
