package dev.overlay.recovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** RFC 9002 section 5 with exact numbers: every expected value is the RFC formula worked by hand. */
class RttEstimatorTest {
    private static final long MS = 1_000_000L;
    private static final long US = 1_000L;
    private static final long MAX_ACK_DELAY = 25 * MS;

    private final RttEstimator rtt = new RttEstimator();

    @Test
    void beforeAnySampleTheInitialRttIs333Milliseconds() {
        // RFC 9002 (6.2.2, A.3): smoothed_rtt = kInitialRtt, rttvar = kInitialRtt / 2
        assertThat(rtt.hasSample()).isFalse();
        assertThat(rtt.smoothedRtt()).isEqualTo(333 * MS);
        assertThat(rtt.rttVar()).isEqualTo(166_500 * US);
        assertThat(rtt.pto(MAX_ACK_DELAY)).isEqualTo(333 * MS + 666 * MS + 25 * MS);
    }

    @Test
    void theFirstSampleSetsSmoothedToLatestAndRttVarToHalfOfIt() {
        // When the first sample arrives, with an ack delay that must be ignored
        rtt.update(100 * MS, 10 * MS, MAX_ACK_DELAY);

        // Then
        assertThat(rtt.hasSample()).isTrue();
        assertThat(rtt.latestRtt()).isEqualTo(100 * MS);
        assertThat(rtt.minRtt()).isEqualTo(100 * MS);
        assertThat(rtt.smoothedRtt()).isEqualTo(100 * MS);
        assertThat(rtt.rttVar()).isEqualTo(50 * MS);
    }

    @Test
    void laterSamplesAreSmoothedWithTheRfcWeightsAfterSubtractingTheAckDelay() {
        // Given
        rtt.update(100 * MS, 0, MAX_ACK_DELAY);

        // When: latest 120 ms, ack delay 10 ms -> adjusted 110 ms
        rtt.update(120 * MS, 10 * MS, MAX_ACK_DELAY);

        // Then: rttvar = 3/4 * 50 + 1/4 * |100 - 110| = 40; smoothed = 7/8 * 100 + 1/8 * 110 = 101.25
        assertThat(rtt.rttVar()).isEqualTo(40 * MS);
        assertThat(rtt.smoothedRtt()).isEqualTo(101_250 * US);
        assertThat(rtt.latestRtt()).isEqualTo(120 * MS);
        assertThat(rtt.minRtt()).isEqualTo(100 * MS);
    }

    @Test
    void theAckDelayIsNotSubtractedWhenThatWouldGoBelowMinRtt() {
        // Given min_rtt = 100 ms
        rtt.update(100 * MS, 0, MAX_ACK_DELAY);

        // When: latest 105 ms, ack delay 10 ms; 105 - 10 < 100, so adjusted = 105
        rtt.update(105 * MS, 10 * MS, MAX_ACK_DELAY);

        // Then: rttvar = 37.5 + 5/4 = 38.75; smoothed = 87.5 + 105/8 = 100.625
        assertThat(rtt.rttVar()).isEqualTo(38_750 * US);
        assertThat(rtt.smoothedRtt()).isEqualTo(100_625 * US);
    }

    @Test
    void theAckDelayIsCappedAtMaxAckDelay() {
        // Given
        rtt.update(100 * MS, 0, MAX_ACK_DELAY);

        // When: latest 150 ms and a claimed ack delay of 50 ms, capped to 25 ms -> adjusted 125
        rtt.update(150 * MS, 50 * MS, MAX_ACK_DELAY);

        // Then: rttvar = 37.5 + 25/4 = 43.75; smoothed = 87.5 + 125/8 = 103.125
        assertThat(rtt.rttVar()).isEqualTo(43_750 * US);
        assertThat(rtt.smoothedRtt()).isEqualTo(103_125 * US);
    }

    @Test
    void minRttIgnoresTheAckDelay() {
        rtt.update(100 * MS, 0, MAX_ACK_DELAY);

        rtt.update(90 * MS, 20 * MS, MAX_ACK_DELAY);

        assertThat(rtt.minRtt()).isEqualTo(90 * MS);
    }

    @Test
    void ptoIsSmoothedRttPlusFourRttVarPlusMaxAckDelay() {
        rtt.update(100 * MS, 0, MAX_ACK_DELAY);

        // 100 + 4 * 50 + 25
        assertThat(rtt.pto(MAX_ACK_DELAY)).isEqualTo(325 * MS);
    }

    @Test
    void ptoUsesTheGranularityWhenFourRttVarIsSmaller() {
        // Given rttvar = 50 us, so 4 * rttvar = 200 us < kGranularity = 1 ms
        rtt.update(100 * US, 0, MAX_ACK_DELAY);

        assertThat(rtt.pto(MAX_ACK_DELAY)).isEqualTo(100 * US + 1 * MS + 25 * MS);
    }

    @Test
    void persistentCongestionRestartsMinRttFromTheLatestSample() {
        rtt.update(100 * MS, 0, MAX_ACK_DELAY);
        rtt.update(180 * MS, 0, MAX_ACK_DELAY);

        rtt.onPersistentCongestion();

        assertThat(rtt.minRtt()).isEqualTo(180 * MS);
    }

    @Test
    void negativeInputsAreRejectedAsBugs() {
        assertThatThrownBy(() -> rtt.update(-1, 0, MAX_ACK_DELAY))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("latest RTT");
        assertThatThrownBy(() -> rtt.update(1, -1, MAX_ACK_DELAY))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ack delay");
        assertThat(rtt.hasSample()).isFalse();
    }
}
