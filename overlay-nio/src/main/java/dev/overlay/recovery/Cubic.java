package dev.overlay.recovery;

/**
 * CUBIC, RFC 9438, on the QUIC recovery machinery of RFC 9002 (recovery periods, persistent
 * congestion, application-limited senders).
 *
 * <p>Units: the state ({@code cwnd}, W_max, W_est, cwnd_prior, cwnd_epoch, ssthresh) is kept in
 * bytes as {@code double}, so that a change of the maximum datagram size keeps the windows as RFC
 * 9002 keeps them (in bytes). The cubic function itself works in segments of the current maximum
 * datagram size and in seconds, because RFC 9438 defines C in segments per second cubed:
 * {@code W_cubic(t) = C * (t - K)^3 + W_max} with t and K in seconds, W in segments.
 *
 * <p>Slow start is RFC 9002's (the window grows by the bytes acknowledged) until the first
 * congestion event; HyStart++ is not implemented. A congestion avoidance stage (an epoch) starts
 * with the first acknowledgment that may grow the window after slow start or a recovery period.
 * While nothing was in flight the epoch is shifted forward by the idle time, as Linux does, so
 * that an idle sender does not come back to a window the cubic function grew in its absence.
 */
public final class Cubic extends WindowedController {
    /** RFC 9438 (5.1): C = 0.4 (segments / s^3). */
    static final double C = 0.4;
    /** RFC 9438 (4.6): beta_cubic = 0.7. */
    static final double BETA = 0.7;
    /** RFC 9438 (4.3): alpha_cubic = 3 * (1 - beta_cubic) / (1 + beta_cubic). */
    static final double ALPHA = 3 * (1 - BETA) / (1 + BETA);
    /** RFC 9438 (4.2): the target is at most 1.5 * cwnd. */
    private static final double MAX_TARGET_GROWTH = 1.5;
    private static final double NANOS_PER_SECOND = 1e9;

    private double minimumWindow;
    private double cwnd;
    private double ssthresh = Double.POSITIVE_INFINITY;
    private double wMax;
    private double cwndPrior;

    private boolean inEpoch;
    private long epochStart;
    private double cwndEpoch;
    private double wEst;
    private double kSeconds;
    /** RFC 9438 (4.8): after a timeout the next epoch takes K = 0 and W_max = cwnd_epoch. */
    private boolean restartAfterTimeout;

    private boolean sentBefore;
    private long lastSentTime;

    public Cubic(int maxDatagramSize) {
        super(maxDatagramSize);
        setMaxDatagramSize(maxDatagramSize);
    }

    @Override
    public long congestionWindow() {
        return Math.round(cwnd);
    }

    /** The slow start threshold in bytes; {@link Long#MAX_VALUE} until the first congestion event. */
    public long slowStartThreshold() {
        return ssthresh == Double.POSITIVE_INFINITY ? Long.MAX_VALUE : Math.round(ssthresh);
    }

    @Override
    public void onPacketSent(long now, long bytesInFlightBefore, int bytes) {
        if (bytesInFlightBefore == 0 && inEpoch && sentBefore) {
            long idle = now - lastSentTime;
            if (idle > 0) {
                long shifted = epochStart + idle;
                epochStart = shifted - now > 0 ? now : shifted;
            }
        }
        sentBefore = true;
        lastSentTime = now;
    }

    @Override
    public void onPacketAcked(long now, SentPacket p, RttEstimator rtt) {
        if (!mayGrow(p)) {
            return;
        }
        if (cwnd < ssthresh) {
            // RFC 9438 (4.10) with RFC 9002 (7.3.1): slow start adds the bytes acknowledged
            cwnd += p.size;
            return;
        }
        congestionAvoidance(now, p.size, rtt.smoothedRtt());
    }

    private void congestionAvoidance(long now, int ackedBytes, long smoothedRttNanos) {
        if (!inEpoch) {
            startEpoch(now);
        }
        double t = (now - epochStart) / NANOS_PER_SECOND;
        // RFC 9438 (4.3): W_est += alpha * segments_acked / cwnd (segments); ackedBytes / cwnd is
        // the same ratio in bytes, and W_est is kept in bytes
        wEst += renoAlpha() * ackedBytes / cwnd * maxDatagramSize;
        double cubic = wCubicSegments(t) * maxDatagramSize;
        if (cubic < wEst) {
            // RFC 9438 (4.3): Reno-friendly region, cwnd = W_est (never lowered here)
            cwnd = Math.max(cwnd, wEst);
            return;
        }
        // RFC 9438 (4.2): target = W_cubic(t + RTT) clamped to [cwnd, 1.5 cwnd]; each acknowledged
        // segment adds (target - cwnd) / cwnd
        double rttSeconds = smoothedRttNanos / NANOS_PER_SECOND;
        double target = wCubicSegments(t + rttSeconds) * maxDatagramSize;
        target = Math.min(Math.max(target, cwnd), MAX_TARGET_GROWTH * cwnd);
        cwnd += (target - cwnd) / cwnd * ackedBytes;
    }

    private void startEpoch(long now) {
        inEpoch = true;
        epochStart = now;
        cwndEpoch = cwnd;
        // RFC 9438 (4.3): W_est = cwnd_epoch at the start of a congestion avoidance stage
        wEst = cwnd;
        if (restartAfterTimeout) {
            // RFC 9438 (4.8): first stage after a timeout: K = 0, W_max = cwnd at its beginning
            restartAfterTimeout = false;
            wMax = cwnd;
        }
        // RFC 9438 (4.2): K = cubic_root((W_max - cwnd_epoch) / C), in segments. If the minimum
        // window kept cwnd_epoch above W_max, K is negative: the curve still starts at cwnd_epoch
        // and simply begins in its convex part
        kSeconds = Math.cbrt((wMax - cwndEpoch) / maxDatagramSize / C);
    }

    /** RFC 9438 (4.3): alpha_cubic until W_est reaches cwnd_prior, then 1 (Reno's AIMD(1, 0.5)). */
    private double renoAlpha() {
        return wEst >= cwndPrior ? 1.0 : ALPHA;
    }

    /** RFC 9438 (4.2) Figure 1: W_cubic(t) = C * (t - K)^3 + W_max, in segments. */
    double wCubicSegments(double tSeconds) {
        double d = tSeconds - kSeconds;
        return C * d * d * d + wMax / maxDatagramSize;
    }

    @Override
    public void onCongestionEvent(long now, long sentTimeOfLostPacket) {
        // RFC 9002 (7.3.2): one reduction per recovery period
        if (recovery.contains(sentTimeOfLostPacket)) {
            return;
        }
        recovery.start(now);
        initialWindow = false;
        // RFC 9438 (4.7): fast convergence, W_max = cwnd * (1 + beta) / 2 if cwnd < W_max
        wMax = cwnd < wMax ? cwnd * (1 + BETA) / 2 : cwnd;
        // RFC 9438 (4.6): cwnd_prior = cwnd; ssthresh = cwnd * beta; cwnd = max(ssthresh, 2 segments).
        // cwnd stands in for flight_size, which RFC 9438 allows when growth is stopped while
        // application-limited (setAppLimited)
        cwndPrior = cwnd;
        ssthresh = Math.max(cwnd * BETA, minimumWindow);
        cwnd = ssthresh;
        inEpoch = false;
    }

    @Override
    public void onPersistentCongestion(long now) {
        // RFC 9002 (7.6.2): the window collapses to kMinimumWindow, recovery ends
        cwnd = minimumWindow;
        recovery.reset();
        initialWindow = false;
        // RFC 9438 (4.8): a new epoch after slow start, with K = 0 and W_max = cwnd_epoch
        inEpoch = false;
        restartAfterTimeout = true;
    }

    @Override
    void datagramSizeChanged(long minimumWindow, long initialWindowBytes) {
        this.minimumWindow = minimumWindow;
        cwnd = initialWindow ? initialWindowBytes : Math.max(cwnd, minimumWindow);
        if (inEpoch) {
            // K is in segments of the datagram size: recompute it for the new size
            kSeconds = Math.cbrt((wMax - cwndEpoch) / maxDatagramSize / C);
        }
    }

    // ---- for tests in this package ----

    double wMaxBytes() {
        return wMax;
    }

    double kSeconds() {
        return kSeconds;
    }

    double renoEstimateBytes() {
        return wEst;
    }

    double cwndBytes() {
        return cwnd;
    }
}
