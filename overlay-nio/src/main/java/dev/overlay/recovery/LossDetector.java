package dev.overlay.recovery;

import static dev.overlay.recovery.RecoveryConstants.GRANULARITY_NANOS;
import static dev.overlay.recovery.RecoveryConstants.MAX_PTO_BACKOFF_NANOS;
import static dev.overlay.recovery.RecoveryConstants.MAX_PTO_BACKOFF_SHIFT;
import static dev.overlay.recovery.RecoveryConstants.PACKET_THRESHOLD;
import static dev.overlay.recovery.RecoveryConstants.PERSISTENT_CONGESTION_THRESHOLD;
import static dev.overlay.recovery.RecoveryConstants.PTO_PROBE_PACKETS;
import static dev.overlay.recovery.RecoveryConstants.TIME_THRESHOLD_DENOMINATOR;
import static dev.overlay.recovery.RecoveryConstants.TIME_THRESHOLD_NUMERATOR;

/**
 * Loss detection for one packet number space, RFC 9002 section 6 and Appendix A. The handshake
 * happened in a lower layer, so the handshake counts as confirmed from the start: ack delays are
 * honoured, the PTO includes max_ack_delay, and no anti-amplification or handshake timer exists.
 *
 * <p>Every packet the sender numbers goes through {@link #onPacketSent}, ack-eliciting or not: an
 * acknowledgment of a number that is not held (above the largest sent, or a skipped number) is an
 * {@link AckException}. Numbers below the oldest packet still held are forgotten, so their
 * acknowledgments are ignored as duplicates. Packets leave once acknowledged or declared lost;
 * see {@link SentPacketQueue} for the memory bound. A packet declared lost and acknowledged later
 * stays lost (no undo). RFC 9000 (13.2.4): a sender of only non-ack-eliciting packets should send
 * an ack-eliciting one now and then, or those packets are never acknowledged nor declared lost.
 *
 * <p>The {@link Listener} is passed with each call that can settle packets; callbacks run after
 * the detector's state is consistent, first to the congestion controller (congestion event, then
 * acknowledgments, in the order of RFC 9002 A.7), then {@code onAcked} for each acknowledged packet
 * in increasing packet-number order within a range, then {@code onLost} in packet-number order.
 * A listener may send packets ({@link #onPacketSent}) but must not re-enter {@link
 * #onAckReceived} or {@link #onLossDetectionTimeout}. Not thread-safe: owned by the event loop.
 */
public final class LossDetector {

    /** Told the fate of each packet exactly once. */
    public interface Listener {
        void onAcked(SentPacket p);

        void onLost(SentPacket p);
    }

    private final RttEstimator rtt;
    private final CongestionController cc;
    private final long maxAckDelayNanos;
    private final SentPacketQueue sent = new SentPacketQueue();

    private long largestSent = -1;
    private long largestAcked = -1;
    private long bytesInFlight;
    private int ackElicitingInFlight;
    private long timeOfLastAckEliciting;
    private int ptoCount;
    private boolean lossTimeArmed;
    private long lossTime;
    // RFC 9002 (7.6.2): only packets sent after the first RTT sample count for persistent congestion
    private boolean rttSampled;
    private boolean sampledBeforeAnyPacket;
    private long firstRttSampleTime;

    private final PacketList acked = new PacketList();
    private final PacketList lost = new PacketList();
    private boolean dispatching;

    /** The result of one loss scan, kept in fields so the scan allocates nothing. */
    private boolean congestion;
    private long latestLostSentTime;
    private boolean persistentCongestion;

    /**
     * @param rtt the path's RTT estimator; if it already has a sample (from the handshake), every
     *     packet counts as sent after the first sample
     * @param cc the congestion controller told about sends, acknowledgments and losses
     * @param maxAckDelayNanos the peer's max_ack_delay (RFC 9000 18.2)
     */
    public LossDetector(RttEstimator rtt, CongestionController cc, long maxAckDelayNanos) {
        if (rtt == null || cc == null) {
            throw new IllegalArgumentException("RTT estimator and congestion controller are required");
        }
        if (maxAckDelayNanos < 0) {
            throw new IllegalArgumentException("max ack delay must not be negative: " + maxAckDelayNanos);
        }
        this.rtt = rtt;
        this.cc = cc;
        this.maxAckDelayNanos = maxAckDelayNanos;
        this.rttSampled = rtt.hasSample();
        this.sampledBeforeAnyPacket = rtt.hasSample();
    }

    /**
     * RFC 9002 (A.5): records a sent packet and stamps {@link SentPacket#timeSent} with {@code now}.
     *
     * @throws IllegalArgumentException if the packet number is not above every number sent before
     */
    public void onPacketSent(SentPacket p, long now) {
        if (p == null) {
            throw new IllegalArgumentException("sent packet is null");
        }
        if (p.packetNumber <= largestSent) {
            throw new IllegalArgumentException("packet numbers must strictly increase: "
                    + p.packetNumber + " sent after " + largestSent);
        }
        p.timeSent = now;
        sent.add(p);
        largestSent = p.packetNumber;
        if (!p.inFlight) {
            return;
        }
        long before = bytesInFlight;
        bytesInFlight += p.size;
        if (p.ackEliciting) {
            ackElicitingInFlight++;
            timeOfLastAckEliciting = now;
        }
        cc.onPacketSent(now, before, p.size);
    }

    /**
     * RFC 9002 (A.7): processes an ACK frame.
     *
     * @param ranges {@code rangeCount} pairs (highest, lowest), inclusive, in descending order
     *     without overlap; {@code ranges[0]} is the largest acknowledged
     * @param ackDelayNanos the decoded ack delay, not negative (saturate huge values when decoding)
     * @throws AckException if a range is malformed or acknowledges a packet number never sent; the
     *     detector is then unchanged
     */
    public void onAckReceived(long[] ranges, int rangeCount, long ackDelayNanos, long now, Listener l)
            throws AckException {
        checkCall(l);
        if (ranges == null || rangeCount < 1 || rangeCount > ranges.length / 2) {
            throw new IllegalArgumentException("need 1.." + (ranges == null ? 0 : ranges.length / 2)
                    + " ranges, got " + rangeCount);
        }
        if (ackDelayNanos < 0) {
            throw new IllegalArgumentException("ack delay must not be negative: " + ackDelayNanos);
        }
        AckRanges.validate(ranges, rangeCount, sent, largestSent);
        largestAcked = Math.max(largestAcked, ranges[0]);
        SentPacket largestNewlyAcked = settleAcked(ranges, rangeCount);
        // RFC 9002 (A.7): nothing newly acknowledged, nothing else to do
        if (acked.size() == 0) {
            return;
        }
        // RFC 9002 (5.1): a sample only if the largest acknowledged is newly acknowledged and at
        // least one newly acknowledged packet is ack-eliciting
        if (largestNewlyAcked != null && anyAckEliciting(acked)) {
            takeRttSample(now - largestNewlyAcked.timeSent, ackDelayNanos, now);
        }
        detectLostPackets(now);
        // RFC 9002 (A.7): pto_count = 0 (the peer has completed address validation)
        ptoCount = 0;
        sent.trimSettled();
        dispatch(now, l);
    }

    /**
     * RFC 9002 (A.8): when {@link #onLossDetectionTimeout} wants to run: the loss time if one is
     * armed (it takes precedence, as in SetLossDetectionTimer), else the PTO while ack-eliciting
     * packets are in flight, else {@link Long#MAX_VALUE}.
     */
    public long lossDetectionDeadline() {
        if (lossTimeArmed) {
            return lossTime;
        }
        if (ackElicitingInFlight == 0) {
            return Long.MAX_VALUE;
        }
        return saturatedAdd(timeOfLastAckEliciting, ptoPeriod());
    }

    /**
     * RFC 9002 (A.9): the loss detection timer fired. Calls before {@link #lossDetectionDeadline()}
     * do nothing and return 0.
     *
     * @return 0 if the loss timer fired (lost packets went to the listener), else the number of
     *     ack-eliciting probe packets the caller must send now, ignoring the congestion window
     *     (RFC 9002 6.2.4)
     */
    public int onLossDetectionTimeout(long now, Listener l) {
        checkCall(l);
        long deadline = lossDetectionDeadline();
        if (deadline == Long.MAX_VALUE || now - deadline < 0) {
            return 0;
        }
        if (lossTimeArmed) {
            detectLostPackets(now);
            sent.trimSettled();
            dispatch(now, l);
            return 0;
        }
        // RFC 9002 (6.2.1): the PTO doubles each time it expires
        if (ptoCount < Integer.MAX_VALUE) {
            ptoCount++;
        }
        return PTO_PROBE_PACKETS;
    }

    /** Bytes of in-flight packets neither acknowledged nor declared lost. */
    public long bytesInFlight() {
        return bytesInFlight;
    }

    /** PTOs expired since the last acknowledgment of a new packet. */
    public int ptoCount() {
        return ptoCount;
    }

    /** The largest packet number acknowledged so far, -1 if none. */
    public long largestAcked() {
        return largestAcked;
    }

    /** Packets sent and neither acknowledged nor declared lost. */
    public int trackedPackets() {
        return sent.outstanding();
    }

    /** Entries held, settled ones included: the memory bound, for tests. */
    int heldEntries() {
        return sent.size();
    }

    // ---- acknowledgment ----

    /** Settles the outstanding packets in the ranges; returns the largest acknowledged if new. */
    private SentPacket settleAcked(long[] ranges, int rangeCount) {
        SentPacket largestNewlyAcked = null;
        for (int r = 0; r < rangeCount; r++) {
            long hi = ranges[2 * r];
            for (int i = sent.lowerBound(ranges[2 * r + 1]); i < sent.size() && sent.number(i) <= hi; i++) {
                if (sent.state(i) != SentPacketQueue.OUTSTANDING) {
                    continue;
                }
                SentPacket p = sent.settle(i, SentPacketQueue.ACKED);
                removeFromFlight(p);
                acked.add(p);
                if (p.packetNumber == ranges[0]) {
                    largestNewlyAcked = p;
                }
            }
        }
        return largestNewlyAcked;
    }

    private static boolean anyAckEliciting(PacketList packets) {
        for (int i = 0; i < packets.size(); i++) {
            if (packets.get(i).ackEliciting) {
                return true;
            }
        }
        return false;
    }

    // ---- RTT and loss detection ----

    private void takeRttSample(long latestRtt, long ackDelayNanos, long now) {
        rtt.update(Math.max(0, latestRtt), ackDelayNanos, maxAckDelayNanos);
        if (!rttSampled) {
            rttSampled = true;
            firstRttSampleTime = now;
        }
    }

    /**
     * RFC 9002 (A.10) DetectAndRemoveLostPackets, plus the inputs of OnPacketsLost (B.8): the
     * latest send time of a lost in-flight packet and persistent congestion (7.6.2). Lost packets
     * form a prefix of the outstanding packets up to the largest acknowledged, because packet
     * number and send time grow together; so between two lost packets every other packet is lost
     * now, lost before, acknowledged, or a gap, and only an acknowledged one breaks the period.
     */
    private void detectLostPackets(long now) {
        lossTimeArmed = false;
        congestion = false;
        persistentCongestion = false;
        long lossDelay = lossDelay();
        long lostSendTime = now - lossDelay;
        long congestionPeriod = persistentCongestionDuration();
        boolean inPeriod = false;
        long periodStart = 0;
        for (int i = 0; i < sent.size() && sent.number(i) <= largestAcked; i++) {
            byte state = sent.state(i);
            if (state == SentPacketQueue.ACKED) {
                inPeriod = false;
                continue;
            }
            if (state == SentPacketQueue.LOST) {
                continue;
            }
            SentPacket p = sent.packet(i);
            // RFC 9002 (6.1): lost if kPacketThreshold later packets were acknowledged, or if it was
            // sent at least loss_delay ago
            if (largestAcked - p.packetNumber >= PACKET_THRESHOLD || p.timeSent - lostSendTime <= 0) {
                sent.settle(i, SentPacketQueue.LOST);
                removeFromFlight(p);
                lost.add(p);
                noteCongestion(p);
                if (countsForPersistentCongestion(p)) {
                    if (!inPeriod) {
                        inPeriod = true;
                        periodStart = p.timeSent;
                    } else if (p.timeSent - periodStart > congestionPeriod) {
                        persistentCongestion = true;
                    }
                }
            } else {
                armLossTime(p.timeSent + lossDelay);
            }
        }
    }

    /** RFC 9002 (6.1.2): max(kTimeThreshold * max(smoothed_rtt, latest_rtt), kGranularity). */
    private long lossDelay() {
        long m = Math.max(rtt.latestRtt(), rtt.smoothedRtt());
        long d = m / TIME_THRESHOLD_DENOMINATOR * TIME_THRESHOLD_NUMERATOR
                + m % TIME_THRESHOLD_DENOMINATOR * TIME_THRESHOLD_NUMERATOR / TIME_THRESHOLD_DENOMINATOR;
        return Math.max(d, GRANULARITY_NANOS);
    }

    /**
     * RFC 9002 (7.6.1): (smoothed_rtt + max(4 * rttvar, kGranularity) + max_ack_delay) *
     * kPersistentCongestionThreshold.
     */
    private long persistentCongestionDuration() {
        return rtt.pto(maxAckDelayNanos) * PERSISTENT_CONGESTION_THRESHOLD;
    }

    /**
     * RFC 9002 (7.6.2): both ends of the period are ack-eliciting and sent after the first RTT
     * sample. MTU probes are left out: their loss is no congestion signal (RFC 9000 14.4).
     */
    private boolean countsForPersistentCongestion(SentPacket p) {
        if (!p.ackEliciting || p.mtuProbe || !rttSampled) {
            return false;
        }
        return sampledBeforeAnyPacket || p.timeSent - firstRttSampleTime > 0;
    }

    /** RFC 9002 (B.8): the congestion event carries the latest send time of a lost in-flight packet. */
    private void noteCongestion(SentPacket p) {
        // RFC 9000 (14.4): the loss of a PMTU probe is not a congestion signal
        if (!p.inFlight || p.mtuProbe) {
            return;
        }
        if (!congestion || p.timeSent - latestLostSentTime > 0) {
            latestLostSentTime = p.timeSent;
        }
        congestion = true;
    }

    private void armLossTime(long t) {
        if (!lossTimeArmed || t - lossTime < 0) {
            lossTime = t;
        }
        lossTimeArmed = true;
    }

    /** RFC 9002 (A.8): (smoothed_rtt + max(4 rttvar, kGranularity) + max_ack_delay) * 2^pto_count. */
    private long ptoPeriod() {
        long base = rtt.pto(maxAckDelayNanos);
        int shift = Math.min(ptoCount, MAX_PTO_BACKOFF_SHIFT);
        if (base > (Long.MAX_VALUE >> shift)) {
            return Math.max(base, MAX_PTO_BACKOFF_NANOS);
        }
        // The backoff stops growing at MAX_PTO_BACKOFF_NANOS (never below one plain PTO).
        return Math.max(base, Math.min(base << shift, MAX_PTO_BACKOFF_NANOS));
    }

    // ---- bookkeeping and callbacks ----

    private void removeFromFlight(SentPacket p) {
        if (!p.inFlight) {
            return;
        }
        bytesInFlight -= p.size;
        if (p.ackEliciting) {
            ackElicitingInFlight--;
        }
    }

    /** RFC 9002 (A.7): OnPacketsLost (congestion, persistent congestion) before OnPacketsAcked. */
    private void dispatch(long now, Listener l) {
        dispatching = true;
        try {
            if (congestion) {
                cc.onCongestionEvent(now, latestLostSentTime);
            }
            if (persistentCongestion) {
                rtt.onPersistentCongestion();
                cc.onPersistentCongestion(now);
            }
            for (int i = 0; i < acked.size(); i++) {
                SentPacket p = acked.get(i);
                if (p.inFlight) {
                    cc.onPacketAcked(now, p, rtt);
                }
            }
            for (int i = 0; i < acked.size(); i++) {
                l.onAcked(acked.get(i));
            }
            for (int i = 0; i < lost.size(); i++) {
                l.onLost(lost.get(i));
            }
        } finally {
            acked.clear();
            lost.clear();
            congestion = false;
            persistentCongestion = false;
            dispatching = false;
        }
    }

    private void checkCall(Listener l) {
        if (l == null) {
            throw new IllegalArgumentException("listener is null");
        }
        if (dispatching) {
            throw new IllegalStateException("LossDetector re-entered from its listener");
        }
    }

    private static long saturatedAdd(long a, long b) {
        long r = a + b;
        return ((a ^ r) & (b ^ r)) < 0 ? Long.MAX_VALUE : r;
    }
}
