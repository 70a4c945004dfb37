package dev.overlay.recovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** RFC 9002 section 7 and Appendix B. */
class NewRenoTest {
    private static final long MS = 1_000_000L;
    private static final int MDS = 1200;
    private static final long RTT = 100 * MS;
    private static final long T0 = -7_000 * MS; // any long is a valid monotonic time

    private final NewReno reno = new NewReno(MDS);
    private final RttEstimator rtt = new RttEstimator();
    private long pn;

    @Test
    void theInitialWindowFollowsRfc9002() {
        // RFC 9002 (7.2): min(10 * mds, max(14720, 2 * mds))
        assertThat(new NewReno(1200).congestionWindow()).isEqualTo(12_000);
        assertThat(new NewReno(1500).congestionWindow()).isEqualTo(14_720);
        assertThat(new NewReno(9000).congestionWindow()).isEqualTo(18_000);
        assertThat(reno.slowStartThreshold()).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void slowStartDoublesTheWindowEveryRoundTrip() {
        long now = T0;
        for (int round = 0; round < 4; round++) {
            long window = reno.congestionWindow();
            // When a full window sent at `now` is acknowledged one RTT later
            now += RTT;
            ackBytes(window, now - RTT, now);
            // Then the window has doubled
            assertThat(reno.congestionWindow()).isEqualTo(2 * window);
        }
        assertThat(reno.congestionWindow()).isEqualTo(16 * 12_000);
    }

    @Test
    void cwndHalvesOnLossInCongestionAvoidance() {
        // Given congestion avoidance at 48000 bytes (slow start to 96000, then a loss)
        long now = T0;
        ackBytes(84_000, now, now + RTT);
        now += RTT;
        reno.onCongestionEvent(now, now - 1);
        assertThat(reno.congestionWindow()).isEqualTo(48_000);

        // When a packet sent after the recovery began is lost
        now += RTT;
        reno.onCongestionEvent(now + RTT, now);

        // Then the window and ssthresh halve
        assertThat(reno.congestionWindow()).isEqualTo(24_000);
        assertThat(reno.slowStartThreshold()).isEqualTo(24_000);
    }

    @Test
    void congestionAvoidanceAddsAboutOneDatagramPerWindowEvenWithTinyPackets() {
        // Given congestion avoidance at 24000 bytes
        long now = T0;
        ackBytes(36_000, now, now + RTT);
        now += RTT;
        reno.onCongestionEvent(now, now - 1);
        long window = reno.congestionWindow();
        assertThat(window).isEqualTo(24_000);

        // When one window is acknowledged in 10-byte packets (each adds 1200 * 10 / 24000 = 0.5 byte)
        double expected = window;
        for (int i = 0; i < 2_400; i++) {
            reno.onPacketAcked(now + RTT, new SentPacket(pn++, now + 1, 10, true, true, null), rtt);
            expected += (double) MDS * 10 / Math.floor(expected);
        }

        // Then the window follows cwnd += mds * acked / cwnd without losing the fractions
        assertThat((double) reno.congestionWindow()).isCloseTo(expected, org.assertj.core.data.Offset.offset(1.0));
        assertThat(reno.congestionWindow() - window).isBetween(1_100L, (long) MDS);
    }

    @Test
    void aLossOfAPacketSentBeforeTheRecoveryStartedDoesNotReduceAgain() {
        // Given a recovery period that began at `now`
        long now = T0 + RTT;
        reno.onCongestionEvent(now, now - RTT);
        long reduced = reno.congestionWindow();

        // When a packet sent before `now` is declared lost later
        reno.onCongestionEvent(now + 10 * MS, now - 1);
        reno.onCongestionEvent(now + 20 * MS, now);

        // Then the window is reduced only once
        assertThat(reno.congestionWindow()).isEqualTo(reduced).isEqualTo(6_000);
    }

    @Test
    void packetsSentBeforeTheRecoveryStartedDoNotGrowTheWindow() {
        long now = T0 + RTT;
        reno.onCongestionEvent(now, now - RTT);
        long reduced = reno.congestionWindow();

        ackBytes(6_000, now - 1, now + RTT);

        assertThat(reno.congestionWindow()).isEqualTo(reduced);
    }

    @Test
    void persistentCongestionCollapsesToTheMinimumWindow() {
        long now = T0;
        ackBytes(60_000, now, now + RTT);
        now += RTT;
        reno.onCongestionEvent(now, now - 1);

        reno.onPersistentCongestion(now);

        // RFC 9002 (7.2): kMinimumWindow = 2 * max_datagram_size
        assertThat(reno.congestionWindow()).isEqualTo(2 * MDS);
    }

    @Test
    void afterPersistentCongestionTheRecoveryPeriodIsOverAndSlowStartResumes() {
        long now = T0 + RTT;
        reno.onCongestionEvent(now, now - 1);
        reno.onPersistentCongestion(now);

        // A packet sent before the (now reset) recovery start counts again, in slow start
        ackBytes(MDS, now - 1, now + RTT);

        assertThat(reno.congestionWindow()).isEqualTo(3 * MDS);
    }

    @Test
    void theWindowNeverDropsBelowTheMinimum() {
        long now = T0;
        for (int i = 0; i < 10; i++) {
            now += RTT;
            reno.onCongestionEvent(now, now - 1);
        }
        assertThat(reno.congestionWindow()).isEqualTo(2 * MDS);
    }

    @Test
    void anApplicationLimitedSenderDoesNotGrowTheWindow() {
        reno.setAppLimited(true);

        ackBytes(12_000, T0, T0 + RTT);

        assertThat(reno.isAppLimited()).isTrue();
        assertThat(reno.congestionWindow()).isEqualTo(12_000);
    }

    @Test
    void aNewDatagramSizeRecomputesTheUntouchedInitialWindow() {
        reno.setMaxDatagramSize(1500);

        assertThat(reno.maxDatagramSize()).isEqualTo(1500);
        assertThat(reno.congestionWindow()).isEqualTo(14_720);
    }

    @Test
    void aNewDatagramSizeKeepsAGrownWindowInBytesButRaisesItToTheNewMinimum() {
        ackBytes(12_000, T0, T0 + RTT);
        reno.setMaxDatagramSize(1400);
        assertThat(reno.congestionWindow()).isEqualTo(24_000);

        reno.onPersistentCongestion(T0 + RTT);
        reno.setMaxDatagramSize(1500);
        assertThat(reno.congestionWindow()).isEqualTo(3_000);
    }

    @Test
    void theDefaultPacingRateIsOnePointTwoFiveWindowsPerSmoothedRtt() {
        // Before a sample: kInitialRtt = 333 ms; 1.25 * 12000 / 0.333 s = 45045.04 bytes/s
        assertThat(reno.pacingRateBytesPerSecond(rtt)).isEqualTo(45_045);

        rtt.update(RTT, 0, 0);
        assertThat(reno.pacingRateBytesPerSecond(rtt)).isEqualTo(150_000);
    }

    @Test
    void anInvalidDatagramSizeIsABug() {
        assertThatThrownBy(() -> new NewReno(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("max datagram size");
    }

    /** Acknowledges {@code bytes} in full-size packets sent at {@code sent}, at {@code now}. */
    private void ackBytes(long bytes, long sent, long now) {
        for (long done = 0; done < bytes; done += MDS) {
            int size = (int) Math.min(MDS, bytes - done);
            reno.onPacketAcked(now, new SentPacket(pn++, sent, size, true, true, null), rtt);
        }
    }
}
