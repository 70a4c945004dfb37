package dev.overlay.recovery;

import static dev.overlay.recovery.RecoveryConstants.PACING_GAIN;

/**
 * A congestion controller in the shape of RFC 9002 section 7 and Appendix B. Windows are in bytes;
 * times are monotonic nanoseconds compared only by difference. {@link LossDetector} drives it:
 * {@link #onPacketSent} for every in-flight packet, {@link #onCongestionEvent} once per batch of
 * losses, {@link #onPacketAcked} per newly acknowledged in-flight packet, {@link
 * #onPersistentCongestion} when RFC 9002 (7.6) says so. The sender sets {@link #setAppLimited}
 * itself, since only it knows whether it had data to fill the window.
 */
public interface CongestionController {

    /** Bytes that may be in flight. */
    long congestionWindow();

    /**
     * RFC 9002 (7.7): rate = N * congestion_window / smoothed_rtt with N = {@value
     * RecoveryConstants#PACING_GAIN}. Before an RTT sample the smoothed RTT is kInitialRtt. A
     * smoothed RTT of 0 (possible with fake time) counts as 1 ns; the result saturates at
     * {@link Long#MAX_VALUE}.
     */
    default long pacingRateBytesPerSecond(RttEstimator rtt) {
        long srtt = Math.max(1L, rtt.smoothedRtt());
        return (long) (PACING_GAIN * congestionWindow() * 1e9 / srtt);
    }

    /** RFC 9002 (B.4): an in-flight packet of {@code bytes} was sent. */
    default void onPacketSent(long now, long bytesInFlightBefore, int bytes) {}

    /** RFC 9002 (B.5): one newly acknowledged in-flight packet. */
    void onPacketAcked(long now, SentPacket p, RttEstimator rtt);

    /**
     * RFC 9002 (7.3.2, B.6): packets were declared lost; the latest of them was sent at
     * {@code sentTimeOfLostPacket}. Starts a recovery period unless that packet was sent before the
     * current one began.
     */
    void onCongestionEvent(long now, long sentTimeOfLostPacket);

    /** RFC 9002 (7.6.2): persistent congestion; the window collapses to the minimum. */
    default void onPersistentCongestion(long now) {}

    /**
     * RFC 9002 (7.8): while the sender is not limited by the congestion window (it had nothing to
     * send, or flow control stopped it), the window must not grow. The sender sets this before
     * handing over acknowledgments.
     */
    void setAppLimited(boolean appLimited);

    /** Whether the last {@link #setAppLimited} call said the sender was application-limited. */
    boolean isAppLimited();

    /** The maximum datagram size the windows are computed from. */
    int maxDatagramSize();

    /**
     * The path's maximum datagram size changed (PMTU discovery). RFC 9002 (7.2): the initial window
     * is recomputed with the new size; the minimum window too.
     */
    void setMaxDatagramSize(int maxDatagramSize);
}
