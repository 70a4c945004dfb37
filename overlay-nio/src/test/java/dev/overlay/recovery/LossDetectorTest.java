package dev.overlay.recovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** RFC 9002 section 6, 7.6 and Appendix A for one packet number space, on fake time. */
class LossDetectorTest {
    private static final long MS = 1_000_000L;
    private static final long US = 1_000L;
    private static final int MDS = 1200;
    private static final long MAX_ACK_DELAY = 25 * MS;
    private static final long T0 = -1_000_000 * MS; // any long is a valid monotonic time

    private final RttEstimator rtt = new RttEstimator();
    private final RecordingController cc = new RecordingController();
    private final RecordingListener l = new RecordingListener();
    private LossDetector d = new LossDetector(rtt, cc, MAX_ACK_DELAY);

    // ---- packet and time thresholds ----

    @Test
    void packetsThreeBelowTheLargestAcknowledgedAreLost() throws AckException {
        // Given packets 1..5 sent together
        sendRange(1, 5, T0);

        // When only 5 is acknowledged
        ack(T0 + 100 * MS, 5, 5);

        // Then 1 and 2 are lost (kPacketThreshold = 3), 3 and 4 not yet
        assertThat(l.acked).containsExactly(5L);
        assertThat(l.lost).containsExactly(1L, 2L);
        assertThat(d.trackedPackets()).isEqualTo(2);
        assertThat(d.bytesInFlight()).isEqualTo(2 * MDS);
        assertThat(d.largestAcked()).isEqualTo(5);
    }

    @Test
    void theLossTimerDeclaresAPacketLostNineEighthsOfAnRttAfterItWasSent() throws AckException {
        // Given 1 and 2 sent together and 2 acknowledged after 100 ms (the first RTT sample)
        send(1, T0);
        send(2, T0);
        ack(T0 + 100 * MS, 2, 2);
        assertThat(l.lost).isEmpty();

        // Then the loss timer is armed at 9/8 * 100 ms after 1 was sent
        long deadline = d.lossDetectionDeadline();
        assertThat(deadline).isEqualTo(T0 + 112_500 * US);

        // A wake-up just before it changes nothing; at the deadline 1 is lost and no probe is asked for
        assertThat(d.onLossDetectionTimeout(deadline - 1, l)).isZero();
        assertThat(l.lost).isEmpty();
        assertThat(d.onLossDetectionTimeout(deadline, l)).isZero();
        assertThat(l.lost).containsExactly(1L);
        assertThat(d.bytesInFlight()).isZero();
        assertThat(d.lossDetectionDeadline()).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void theTimeThresholdIsAtLeastTheOneMillisecondGranularity() throws AckException {
        send(1, T0);
        send(2, T0);

        ack(T0 + 100 * US, 2, 2);

        assertThat(d.lossDetectionDeadline()).isEqualTo(T0 + 1 * MS);
    }

    @Test
    void onlyOneCongestionEventIsSignalledPerAckWithTheLatestLostSendTime() throws AckException {
        send(1, T0);
        send(2, T0 + 1 * MS);
        send(3, T0 + 2 * MS);
        sendRange(4, 6, T0 + 3 * MS);

        ack(T0 + 103 * MS, 6, 6);

        assertThat(l.lost).containsExactly(1L, 2L, 3L);
        assertThat(cc.congestionEventSentTimes).containsExactly(T0 + 2 * MS);
    }

    // ---- probe timeout ----

    @Test
    void beforeAnyRttSampleThePtoUsesTheInitialRtt() {
        send(1, T0);

        // 333 ms + 4 * 166.5 ms + 25 ms
        assertThat(d.lossDetectionDeadline()).isEqualTo(T0 + 1_024 * MS);
    }

    @Test
    void thePtoDeadlineDoublesWithEachTimeoutAndAsksForTwoProbes() throws AckException {
        // Given smoothed_rtt = 100 ms, rttvar = 50 ms, so PTO = 100 + 200 + 25 = 325 ms
        send(1, T0);
        ack(T0 + 100 * MS, 1, 1);
        long sent = T0 + 200 * MS;
        send(2, sent);
        assertThat(d.lossDetectionDeadline()).isEqualTo(sent + 325 * MS);

        // When the PTO fires twice, no probe being sent
        assertThat(d.onLossDetectionTimeout(sent + 325 * MS, l)).isEqualTo(2);
        assertThat(d.ptoCount()).isEqualTo(1);
        assertThat(d.lossDetectionDeadline()).isEqualTo(sent + 650 * MS);
        assertThat(d.onLossDetectionTimeout(sent + 650 * MS, l)).isEqualTo(2);

        // Then the period doubled each time up to the 1 s cap, and nothing was declared lost
        assertThat(d.ptoCount()).isEqualTo(2);
        assertThat(d.lossDetectionDeadline()).isEqualTo(sent + 1_000 * MS);
        assertThat(l.lost).isEmpty();
    }

    @Test
    void theBackedOffPtoPeriodStopsGrowingAtOneSecond() throws AckException {
        send(1, T0);
        ack(T0 + 100 * MS, 1, 1);
        long sent = T0 + 200 * MS;
        send(2, sent);
        for (int i = 0; i < 10; i++) {
            d.onLossDetectionTimeout(d.lossDetectionDeadline(), l);
        }
        assertThat(d.ptoCount()).isEqualTo(10);
        assertThat(d.lossDetectionDeadline()).isEqualTo(sent + RecoveryConstants.MAX_PTO_BACKOFF_NANOS);
    }

    @Test
    void aTimeoutCallBeforeThePtoDeadlineDoesNothing() {
        send(1, T0);

        assertThat(d.onLossDetectionTimeout(T0 + 1_024 * MS - 1, l)).isZero();

        assertThat(d.ptoCount()).isZero();
    }

    @Test
    void aProbeRestartsThePtoFromItsSendTimeWithTheBackedOffPeriod() {
        send(1, T0);
        long fired = T0 + 1_024 * MS;
        d.onLossDetectionTimeout(fired, l);

        send(2, fired);

        // The initial PTO (333 + 4 * 166.5 + 25 ms) already exceeds the 1 s backoff cap: it stays.
        assertThat(d.lossDetectionDeadline()).isEqualTo(fired + 1_024 * MS);
    }

    @Test
    void anAcknowledgmentResetsThePtoCount() throws AckException {
        send(1, T0);
        send(2, T0);
        d.onLossDetectionTimeout(T0 + 1_024 * MS, l);
        assertThat(d.ptoCount()).isEqualTo(1);

        ack(T0 + 1_100 * MS, 1, 1);

        assertThat(d.ptoCount()).isZero();
    }

    @Test
    void noTimerIsArmedWithoutAckElicitingPacketsInFlight() throws AckException {
        assertThat(d.lossDetectionDeadline()).isEqualTo(Long.MAX_VALUE);

        sendAckOnly(1, T0);
        assertThat(d.lossDetectionDeadline()).isEqualTo(Long.MAX_VALUE);
        assertThat(d.onLossDetectionTimeout(T0 + 10_000 * MS, l)).isZero();

        send(2, T0);
        ack(T0 + 100 * MS, 2, 1);
        assertThat(d.lossDetectionDeadline()).isEqualTo(Long.MAX_VALUE);
    }

    // ---- bookkeeping ----

    @Test
    void bytesInFlightCountInFlightPacketsUntilTheyAreAcknowledgedOrLost() throws AckException {
        d.onPacketSent(new SentPacket(1, 0, 1000, true, true, null), T0);
        d.onPacketSent(new SentPacket(2, 0, 500, true, true, null), T0);
        d.onPacketSent(new SentPacket(3, 0, 300, false, true, null), T0); // padding only
        d.onPacketSent(new SentPacket(4, 0, 40, false, false, null), T0); // ACK only
        assertThat(d.bytesInFlight()).isEqualTo(1800);
        assertThat(cc.bytesInFlightBeforeSends).containsExactly(0L, 1000L, 1500L);

        ack(T0 + 100 * MS, 2, 2);
        assertThat(d.bytesInFlight()).isEqualTo(1300);

        ack(T0 + 100 * MS, 4, 4);
        assertThat(l.lost).containsExactly(1L);
        assertThat(d.bytesInFlight()).isEqualTo(300);
        assertThat(d.trackedPackets()).isEqualTo(1);
    }

    @Test
    void onlyInFlightPacketsReachTheCongestionControllerButTheListenerHearsOfAll() throws AckException {
        send(1, T0);
        sendAckOnly(2, T0);

        ack(T0 + 100 * MS, 2, 1);

        assertThat(cc.acked).extracting(p -> p.packetNumber).containsExactly(1L);
        assertThat(l.acked).containsExactly(1L, 2L);
    }

    @Test
    void theSendTimeIsStampedFromNow() {
        SentPacket p = new SentPacket(1, 12345, MDS, true, true, null);

        d.onPacketSent(p, T0);

        assertThat(p.timeSent).isEqualTo(T0);
    }

    @Test
    void packetNumbersMustStrictlyIncrease() {
        send(5, T0);

        assertThatThrownBy(() -> send(5, T0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("strictly increase");
        assertThatThrownBy(() -> send(4, T0)).isInstanceOf(IllegalArgumentException.class);
        assertThat(d.trackedPackets()).isEqualTo(1);
    }

    @Test
    void memoryStaysProportionalToThePacketsOutstanding() throws AckException {
        // Given 100000 packets, each acknowledged nine packets later except every hundredth
        for (long pn = 0; pn < 100_000; pn++) {
            long now = T0 + pn * US;
            send(pn, now);
            long acked = pn - 9;
            if (acked >= 0 && acked % 100 != 0) {
                ack(now, acked, acked);
            }
            // Then the detector never holds more than the outstanding packets and a few settled ones
            assertThat(d.heldEntries()).isLessThanOrEqualTo(16);
        }
        assertThat(l.lost).hasSize(1_000);
        assertThat(d.trackedPackets()).isEqualTo(9);
    }

    // ---- malformed and repeated ACKs ----

    @Test
    void anAckOfAPacketNeverSentIsAnAckExceptionAndChangesNothing() {
        assertThatThrownBy(() -> ack(T0, 0, 0)).isInstanceOf(AckException.class);
        sendRange(1, 3, T0);

        assertThatThrownBy(() -> ack(T0 + 100 * MS, 4, 4)).isInstanceOf(AckException.class)
                .hasMessageContaining("never sent");

        assertThat(d.largestAcked()).isEqualTo(-1);
        assertThat(d.trackedPackets()).isEqualTo(3);
        assertThat(d.bytesInFlight()).isEqualTo(3 * MDS);
        assertThat(l.acked).isEmpty();
        assertThat(rtt.hasSample()).isFalse();
    }

    @Test
    void anAckOfASkippedPacketNumberIsAnAckException() throws AckException {
        send(1, T0);
        send(2, T0);
        send(4, T0); // 3 is skipped, as a sender may do to detect optimistic ACKs

        assertThatThrownBy(() -> ack(T0 + 100 * MS, 4, 3)).isInstanceOf(AckException.class)
                .hasMessageContaining("never sent");
        assertThat(d.trackedPackets()).isEqualTo(3);

        ack(T0 + 100 * MS, 4, 4, 2, 1);
        assertThat(l.acked).containsExactlyInAnyOrder(1L, 2L, 4L);
    }

    @Test
    void malformedRangesAreAckExceptions() {
        sendRange(0, 9, T0);

        assertThatThrownBy(() -> ack(T0, 3, 5)).isInstanceOf(AckException.class).hasMessageContaining("malformed");
        assertThatThrownBy(() -> ack(T0, 5, -1)).isInstanceOf(AckException.class).hasMessageContaining("malformed");
        assertThatThrownBy(() -> ack(T0, 5, 5, 5, 4)).isInstanceOf(AckException.class).hasMessageContaining("overlapping");
        assertThatThrownBy(() -> ack(T0, 2, 2, 4, 4)).isInstanceOf(AckException.class).hasMessageContaining("descending");
        assertThatThrownBy(() -> d.onAckReceived(new long[] {1, 1}, 2, 0, T0, l))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(d.trackedPackets()).isEqualTo(10);
    }

    @Test
    void duplicateAndReorderedAcksAreHarmless() throws AckException {
        // Given 1..4 acknowledged by two ACKs
        sendRange(1, 4, T0);
        ack(T0 + 100 * MS, 2, 1);
        ack(T0 + 110 * MS, 4, 3, 2, 1);
        long smoothed = rtt.smoothedRtt();
        l.clear();

        // When the first ACK arrives again late, and the second one is duplicated
        ack(T0 + 120 * MS, 2, 1);
        ack(T0 + 130 * MS, 4, 3, 2, 1);

        // Then nothing happens
        assertThat(l.acked).isEmpty();
        assertThat(l.lost).isEmpty();
        assertThat(cc.acked).hasSize(4);
        assertThat(d.largestAcked()).isEqualTo(4);
        assertThat(rtt.smoothedRtt()).isEqualTo(smoothed);
        assertThat(d.heldEntries()).isZero();
    }

    // ---- RTT samples ----

    @Test
    void anRttSampleIsTakenOnlyWhenTheLargestIsNewlyAcknowledgedAndSomethingNewIsAckEliciting()
            throws AckException {
        // The largest (2, not ack-eliciting) is new and 1 is ack-eliciting: a sample from 2's send time
        send(1, T0);
        sendAckOnly(2, T0 + 10 * MS);
        ack(T0 + 100 * MS, 2, 1);
        assertThat(rtt.latestRtt()).isEqualTo(90 * MS);

        // Only a non-ack-eliciting packet is new: no sample
        sendAckOnly(3, T0 + 200 * MS);
        ack(T0 + 300 * MS, 3, 1);
        assertThat(rtt.latestRtt()).isEqualTo(90 * MS);

        // The largest is not new: no sample
        send(4, T0 + 400 * MS);
        send(5, T0 + 400 * MS);
        ack(T0 + 500 * MS, 5, 5);
        assertThat(rtt.latestRtt()).isEqualTo(100 * MS);
        ack(T0 + 700 * MS, 5, 4);
        assertThat(rtt.latestRtt()).isEqualTo(100 * MS);
    }

    @Test
    void theAckDelayReachesTheRttEstimatorCappedByTheMaxAckDelay() throws AckException {
        send(1, T0);
        ack(T0 + 100 * MS, 1, 1);
        send(2, T0 + 200 * MS);

        // latest 150 ms, ack delay 50 ms capped to 25 ms: adjusted 125 ms
        d.onAckReceived(new long[] {2, 2}, 1, 50 * MS, T0 + 350 * MS, l);

        assertThat(rtt.smoothedRtt()).isEqualTo(103_125 * US);
    }

    // ---- persistent congestion ----

    @Test
    void lossesSpanningMoreThanThePersistentCongestionDurationArePersistentCongestion() throws AckException {
        takeFirstSample();

        // 2..5 lost, sent 1100 ms apart; duration = (100 + 4 * 37.5 + 25) * 3 = 825 ms
        lossesSpanning(1_100 * MS);

        assertThat(l.lost).containsExactly(2L, 3L, 4L, 5L);
        assertThat(cc.persistentCongestions).isEqualTo(1);
        assertThat(cc.congestionEventSentTimes).hasSize(1);
        assertThat(rtt.minRtt()).isEqualTo(rtt.latestRtt());
    }

    @Test
    void lossesSpanningLessThanThePersistentCongestionDurationAreNot() throws AckException {
        takeFirstSample();

        lossesSpanning(800 * MS);

        assertThat(l.lost).containsExactly(2L, 3L, 4L, 5L);
        assertThat(cc.persistentCongestions).isZero();
        assertThat(cc.congestionEventSentTimes).hasSize(1);
    }

    @Test
    void anAcknowledgedPacketBetweenTheLossesPreventsPersistentCongestion() throws AckException {
        takeFirstSample();

        // 3 is acknowledged by the same ACK that declares 2, 4 and 5 lost
        lossesSpanning(1_100 * MS, 3, 3);

        assertThat(l.lost).containsExactly(2L, 4L, 5L);
        assertThat(cc.persistentCongestions).isZero();
    }

    @Test
    void packetsSentBeforeTheFirstRttSampleDoNotCountForPersistentCongestion() throws AckException {
        // No sample before the losses: the ACK that declares them takes the first one
        lossesSpanning(1_100 * MS);

        assertThat(l.lost).containsExactly(2L, 3L, 4L, 5L);
        assertThat(cc.persistentCongestions).isZero();
    }

    @Test
    void anRttSampleTakenBeforeTheDetectorExistedCountsForEveryPacket() throws AckException {
        rtt.update(100 * MS, 0, MAX_ACK_DELAY);
        d = new LossDetector(rtt, cc, MAX_ACK_DELAY);

        lossesSpanning(1_100 * MS);

        assertThat(cc.persistentCongestions).isEqualTo(1);
    }

    @Test
    void persistentCongestionCollapsesNewRenoToTheMinimumWindowBeforeTheAckIsCounted() throws AckException {
        NewReno reno = new NewReno(MDS);
        d = new LossDetector(rtt, reno, MAX_ACK_DELAY);
        takeFirstSample();

        lossesSpanning(1_100 * MS);

        // RFC 9002 (A.7, B.8): losses first (minimum window, recovery period over), then the
        // acknowledgment of 8 counts in slow start
        assertThat(reno.congestionWindow()).isEqualTo(2 * MDS + MDS);
        assertThat(reno.slowStartThreshold()).isEqualTo(13_200 / 2);
    }

    // ---- MTU probes ----

    @Test
    void theLossOfAnMtuProbeDoesNotReduceTheWindow() throws AckException {
        NewReno reno = new NewReno(MDS);
        d = new LossDetector(rtt, reno, MAX_ACK_DELAY);
        d.onPacketSent(new SentPacket(1, 0, 1500, true, true, true, "probe"), T0);
        sendRange(2, 5, T0);

        ack(T0 + 100 * MS, 5, 2);

        assertThat(l.lost).containsExactly(1L);
        assertThat(d.bytesInFlight()).isZero();
        assertThat(reno.slowStartThreshold()).isEqualTo(Long.MAX_VALUE);
        assertThat(reno.congestionWindow()).isEqualTo(12_000 + 4 * MDS);
    }

    @Test
    void theLossOfAnOrdinaryPacketDoesReduceTheWindow() throws AckException {
        NewReno reno = new NewReno(MDS);
        d = new LossDetector(rtt, reno, MAX_ACK_DELAY);
        sendRange(1, 5, T0);

        ack(T0 + 100 * MS, 5, 2);

        assertThat(l.lost).containsExactly(1L);
        assertThat(reno.slowStartThreshold()).isEqualTo(6_000);
    }

    // ---- the listener ----

    @Test
    void theListenerMaySendARetransmissionFromItsCallback() throws AckException {
        sendRange(1, 5, T0);
        LossDetector.Listener retransmitting = new LossDetector.Listener() {
            @Override
            public void onAcked(SentPacket p) {}

            @Override
            public void onLost(SentPacket p) {
                d.onPacketSent(new SentPacket(100 + p.packetNumber, 0, MDS, true, true, p.frames), T0 + 100 * MS);
            }
        };

        d.onAckReceived(new long[] {5, 5}, 1, 0, T0 + 100 * MS, retransmitting);

        assertThat(d.trackedPackets()).isEqualTo(4); // 3, 4, 101, 102
        assertThat(d.bytesInFlight()).isEqualTo(4 * MDS);
    }

    @Test
    void theListenerMayNotReenterAckProcessing() {
        sendRange(1, 2, T0);
        LossDetector.Listener reentering = new LossDetector.Listener() {
            @Override
            public void onAcked(SentPacket p) {
                d.onLossDetectionTimeout(T0, this);
            }

            @Override
            public void onLost(SentPacket p) {}
        };

        assertThatThrownBy(() -> d.onAckReceived(new long[] {2, 1}, 1, 0, T0 + 100 * MS, reentering))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("re-entered");
    }

    // ---- helpers ----

    private void takeFirstSample() throws AckException {
        send(1, T0);
        ack(T0 + 100 * MS, 1, 1);
    }

    /**
     * Sends 2 at T0 + 200 ms, 3 halfway, 4 and 5 at T0 + 200 ms + span, then 6..8 50 ms later, and
     * acknowledges 8 (plus {@code moreRanges}) 100 ms after that: 2..5 are lost by both thresholds.
     */
    private void lossesSpanning(long span, long... moreRanges) throws AckException {
        long first = T0 + 200 * MS;
        long last = first + span;
        send(2, first);
        send(3, first + span / 2);
        send(4, last);
        send(5, last);
        sendRange(6, 8, last + 50 * MS);
        long[] ranges = new long[2 + moreRanges.length];
        ranges[0] = 8;
        ranges[1] = 8;
        System.arraycopy(moreRanges, 0, ranges, 2, moreRanges.length);
        d.onAckReceived(ranges, ranges.length / 2, 0, last + 150 * MS, l);
    }

    private void send(long pn, long at) {
        d.onPacketSent(new SentPacket(pn, 0, MDS, true, true, null), at);
    }

    private void sendAckOnly(long pn, long at) {
        d.onPacketSent(new SentPacket(pn, 0, 40, false, false, null), at);
    }

    private void sendRange(long from, long to, long at) {
        for (long pn = from; pn <= to; pn++) {
            send(pn, at);
        }
    }

    private void ack(long at, long... ranges) throws AckException {
        d.onAckReceived(ranges, ranges.length / 2, 0, at, l);
    }
}
