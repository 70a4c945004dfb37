package dev.overlay.recovery;

import static dev.overlay.recovery.RecoveryConstants.LOSS_REDUCTION_FACTOR;

/**
 * NewReno as RFC 9002 section 7 and Appendix B specify it: slow start, congestion avoidance,
 * recovery periods and persistent congestion. Windows are in bytes.
 *
 * <p>Congestion avoidance adds max_datagram_size * acked / cwnd per acknowledged packet (B.5); the
 * division's remainder is carried to the next acknowledgment so that a full window of acknowledged
 * bytes adds exactly one datagram, however small each packet is.
 */
public final class NewReno extends WindowedController {
    private long minimumWindow;
    private long congestionWindow;
    // RFC 9002 (B.3): ssthresh starts at infinity
    private long ssthresh = Long.MAX_VALUE;
    /** max_datagram_size * acked bytes not yet turned into window growth (always < cwnd). */
    private long avoidanceCredit;

    public NewReno(int maxDatagramSize) {
        super(maxDatagramSize);
        setMaxDatagramSize(maxDatagramSize);
    }

    @Override
    public long congestionWindow() {
        return congestionWindow;
    }

    /** The slow start threshold in bytes; {@link Long#MAX_VALUE} until the first congestion event. */
    public long slowStartThreshold() {
        return ssthresh;
    }

    @Override
    public void onPacketAcked(long now, SentPacket p, RttEstimator rtt) {
        if (!mayGrow(p)) {
            return;
        }
        if (congestionWindow < ssthresh) {
            // RFC 9002 (7.3.1): in slow start the window grows by the bytes acknowledged
            congestionWindow += p.size;
            return;
        }
        // RFC 9002 (7.3.3, B.5): congestion_window += max_datagram_size * acked / congestion_window
        avoidanceCredit += (long) maxDatagramSize * p.size;
        long increase = avoidanceCredit / congestionWindow;
        avoidanceCredit -= increase * congestionWindow;
        congestionWindow += increase;
    }

    @Override
    public void onCongestionEvent(long now, long sentTimeOfLostPacket) {
        // RFC 9002 (7.3.2): no reduction for a packet sent before the current recovery began
        if (recovery.contains(sentTimeOfLostPacket)) {
            return;
        }
        recovery.start(now);
        initialWindow = false;
        // RFC 9002 (B.6): ssthresh = cwnd * kLossReductionFactor; cwnd = max(ssthresh, kMinimumWindow)
        ssthresh = (long) (congestionWindow * LOSS_REDUCTION_FACTOR);
        congestionWindow = Math.max(ssthresh, minimumWindow);
        avoidanceCredit = 0;
    }

    @Override
    public void onPersistentCongestion(long now) {
        // RFC 9002 (7.6.2, B.8): congestion_window = kMinimumWindow; congestion_recovery_start_time = 0
        congestionWindow = minimumWindow;
        recovery.reset();
        avoidanceCredit = 0;
        initialWindow = false;
    }

    @Override
    void datagramSizeChanged(long minimumWindow, long initialWindowBytes) {
        this.minimumWindow = minimumWindow;
        congestionWindow = initialWindow ? initialWindowBytes : Math.max(congestionWindow, minimumWindow);
    }
}
