package dev.overlay.recovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

import org.junit.jupiter.api.Test;

/**
 * RFC 9438. The expected curve values are computed here from the RFC's formulas,
 * W_cubic(t) = C * (t - K)^3 + W_max with K = cbrt(W_max * (1 - beta) / C), in segments and seconds.
 */
class CubicTest {
    private static final long MS = 1_000_000L;
    private static final long S = 1_000 * MS;
    private static final int MDS = 1200;
    private static final double C = 0.4;
    private static final double BETA = 0.7;
    private static final long T0 = -3_600 * S; // any long is a valid monotonic time

    private final RttEstimator rtt = new RttEstimator();
    private Cubic cubic = new Cubic(MDS);
    private long pn;
    private long now = T0;
    /** The path's round-trip time in the ack clock, set by {@link #lossAt}. */
    private long rttPath;

    @Test
    void slowStartGrowsLikeRenoUntilTheFirstLoss() {
        ackOneWindowSentAt(now, now + 100 * MS);

        assertThat(cubic.congestionWindow()).isEqualTo(24_000);
        assertThat(cubic.slowStartThreshold()).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void theWindowAfterALossIsSeventyPercentOfTheWindowBefore() {
        growTo(100);

        cubic.onCongestionEvent(now, now - 1);

        assertThat(cubic.congestionWindow()).isEqualTo(84_000); // 0.7 * 120000
        assertThat(cubic.slowStartThreshold()).isEqualTo(84_000);
        assertThat(cubic.wMaxBytes()).isEqualTo(120_000.0);
    }

    @Test
    void aSecondLossInTheSameRecoveryPeriodDoesNotReduceAgain() {
        growTo(100);
        cubic.onCongestionEvent(now, now - 1);

        cubic.onCongestionEvent(now + 50 * MS, now - 1);

        assertThat(cubic.congestionWindow()).isEqualTo(84_000);
    }

    @Test
    void kIsTheTimeTheCurveTakesToGetBackToWmax() {
        // Given a loss at W_max = 200 segments and the first acknowledgment after recovery
        long epochStart = lossAt(200, 100 * MS);
        ackAt(epochStart);

        // Then K = cbrt(W_max * (1 - beta) / C) seconds
        assertThat(cubic.kSeconds()).isCloseTo(Math.cbrt(200 * (1 - BETA) / C), offset(1e-9));
    }

    @Test
    void theWindowFollowsTheCubicCurveAfterALoss() {
        // Given a loss at W_max = 200 segments with a 100 ms RTT (the Reno estimate stays below)
        long epochStart = lossAt(200, 100 * MS);
        double k = Math.cbrt(200 * (1 - BETA) / C);

        for (double t : new double[] {1, 2, 3, 4, 5, 6, 7}) {
            // When acknowledgments arrive for t seconds of the epoch
            runAckClockUntil(epochStart + (long) (t * S));

            // Then cwnd is within a tenth of a segment of W_cubic(t)
            double expected = C * Math.pow(t - k, 3) + 200;
            assertThat(cubic.cwndBytes() / MDS).as("cwnd at t = %s s", t).isCloseTo(expected, offset(0.1));
        }
    }

    @Test
    void theCurveIsConcaveBeforeKAndConvexAfterIt() {
        long epochStart = lossAt(200, 100 * MS);
        double k = Math.cbrt(200 * (1 - BETA) / C); // 5.31 s
        double[] window = new double[10];
        for (int second = 0; second < window.length; second++) {
            runAckClockUntil(epochStart + second * S);
            window[second] = cubic.cwndBytes() / MDS;
        }

        // Growth per second shrinks while approaching W_max (concave) and speeds up after (convex)
        for (int second = 2; second <= 5; second++) {
            assertThat(window[second] - window[second - 1]).isLessThan(window[second - 1] - window[second - 2]);
            assertThat(window[second]).isLessThan(200);
        }
        for (int second = 7; second < window.length; second++) {
            assertThat(window[second] - window[second - 1]).isGreaterThan(window[second - 1] - window[second - 2]);
        }
        assertThat(k).isBetween(5.0, 6.0);
        assertThat(window[7]).isGreaterThan(200);
    }

    @Test
    void theRenoFriendlyEstimateDominatesAtSmallRttAndWindow() {
        // Given a loss at a small W_max (20 segments) on a 1 ms path
        long epochStart = lossAt(20, 1 * MS);
        double k = Math.cbrt(20 * (1 - BETA) / C);

        // When 100 ms of acknowledgments pass (100 round trips)
        runAckClockUntil(epochStart + 100 * MS);

        // Then the cubic curve is still far below and cwnd follows W_est instead
        double cubicCurve = C * Math.pow(0.1 - k, 3) + 20;
        assertThat(cubicCurve).isLessThan(20);
        assertThat(cubic.cwndBytes()).isEqualTo(cubic.renoEstimateBytes());
        assertThat(cubic.cwndBytes() / MDS).isGreaterThan(2 * cubicCurve);
    }

    @Test
    void theRenoEstimateGrowsByAlphaCubicPerRoundTripThenByOneAfterReachingThePriorWindow() {
        long epochStart = lossAt(20, 1 * MS);
        double alpha = 3 * (1 - BETA) / (1 + BETA);

        // Ten round trips: W_est = 14 + about 10 * alpha segments, below cwnd_prior = 20
        runAckClockUntil(epochStart + 10 * MS);
        double tenRounds = cubic.renoEstimateBytes() / MDS;
        assertThat(tenRounds).isCloseTo(14 + 10 * alpha, offset(0.5));

        // Far past cwnd_prior, ten more round trips add about ten segments (alpha = 1)
        runAckClockUntil(epochStart + 50 * MS);
        double before = cubic.renoEstimateBytes() / MDS;
        runAckClockUntil(epochStart + 60 * MS);
        assertThat(cubic.renoEstimateBytes() / MDS - before).isCloseTo(10, offset(0.5));
    }

    @Test
    void fastConvergenceLowersWmaxWhenALossComesBelowThePreviousWmax() {
        // Given a first loss at 200 segments: W_max = 200, cwnd = 140
        growTo(200);
        cubic.onCongestionEvent(now, now - 1);

        // When a packet sent after that recovery began is lost, with cwnd = 140 < W_max
        cubic.onCongestionEvent(now + 100 * MS, now + 1);

        // Then W_max = cwnd * (1 + beta) / 2 = 119 segments and cwnd = 0.7 * 140 = 98 segments
        assertThat(cubic.wMaxBytes() / MDS).isCloseTo(140 * (1 + BETA) / 2, offset(1e-9));
        assertThat(cubic.congestionWindow()).isEqualTo(98 * MDS);
    }

    @Test
    void persistentCongestionCollapsesToTheMinimumWindowAndRestartsTheCurveFromThere() {
        // Given a loss at 100 segments, then persistent congestion
        growTo(100);
        cubic.onCongestionEvent(now, now - 1);
        cubic.onPersistentCongestion(now);
        assertThat(cubic.congestionWindow()).isEqualTo(2 * MDS);

        // When slow start reaches ssthresh (70 segments) and congestion avoidance begins
        long sent = now;
        while (cubic.congestionWindow() < cubic.slowStartThreshold()) {
            ackAt(now + 100 * MS, sent);
        }
        now += 100 * MS;
        double epochWindow = cubic.cwndBytes();
        ackAt(now + 1, now);

        // Then RFC 9438 (4.8): K = 0 and W_max = the window at the start of the stage
        assertThat(cubic.kSeconds()).isEqualTo(0.0);
        assertThat(cubic.wMaxBytes()).isEqualTo(epochWindow);
    }

    @Test
    void anApplicationLimitedSenderDoesNotGrowTheWindow() {
        long epochStart = lossAt(100, 100 * MS);
        cubic.setAppLimited(true);

        runAckClockUntil(epochStart + 2 * S);

        assertThat(cubic.isAppLimited()).isTrue();
        assertThat(cubic.congestionWindow()).isEqualTo(70 * MDS);
    }

    @Test
    void anIdlePeriodDoesNotCountAsTimeOnTheCurve() {
        // Given an epoch running for one second
        long epochStart = lossAt(100, 100 * MS);
        runAckClockUntil(epochStart + 1 * S);
        cubic.onPacketSent(now, 10 * MDS, MDS);
        double beforeIdle = cubic.cwndBytes();

        // When the sender is idle (nothing in flight) for 10 s, then sends again for one round trip
        now += 10 * S;
        cubic.onPacketSent(now, 0, MDS);
        runAckClockUntil(now + 100 * MS);

        // Then the window grows as it would have one second into the epoch (about 1.5 segments per
        // round trip), not by the 1.5x jump that W_cubic(11 s) would ask for
        assertThat((cubic.cwndBytes() - beforeIdle) / MDS).isLessThan(3.0);
    }

    @Test
    void aNewDatagramSizeRecomputesTheUntouchedInitialWindow() {
        cubic.setMaxDatagramSize(1500);

        assertThat(cubic.congestionWindow()).isEqualTo(14_720);
        assertThat(cubic.maxDatagramSize()).isEqualTo(1500);
    }

    // ---- helpers ----

    /** Slow start up to exactly {@code segments} full-size segments. */
    private void growTo(int segments) {
        long sent = now;
        while (cubic.congestionWindow() < (long) segments * MDS) {
            ackAt(now + 100 * MS, sent);
        }
        now += 100 * MS;
        assertThat(cubic.congestionWindow()).isEqualTo((long) segments * MDS);
    }

    /**
     * A loss at {@code wMaxSegments} on a path with the given RTT; returns the epoch start, the
     * time of the first acknowledgment of a packet sent after the recovery began.
     */
    private long lossAt(int wMaxSegments, long rttNanos) {
        rtt.update(rttNanos, 0, 0);
        growTo(wMaxSegments);
        cubic.onCongestionEvent(now, now - 1);
        rttPath = rttNanos;
        now += rttNanos + 1;
        return now;
    }

    /** Acknowledges one full-size packet per cwnd/RTT interval, each sent one RTT before its ACK. */
    private void runAckClockUntil(long until) {
        while (now - until < 0) {
            ackAt(now, now - rttPath);
            now += Math.max(1, (long) (rttPath * MDS / cubic.cwndBytes()));
        }
    }

    private void ackOneWindowSentAt(long sent, long at) {
        long window = cubic.congestionWindow();
        for (long b = 0; b < window; b += MDS) {
            ackAt(at, sent);
        }
    }

    private void ackAt(long at) {
        ackAt(at, at - rttPath);
    }

    private void ackAt(long at, long sent) {
        cubic.onPacketAcked(at, new SentPacket(pn++, sent, MDS, true, true, null), rtt);
    }
}
