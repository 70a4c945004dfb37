package dev.overlay.recovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** The token bucket of RFC 9002 (7.7), driven the way the event loop drives it: sleep until told. */
class PacerTest {
    private static final long MS = 1_000_000L;
    private static final long S = 1_000 * MS;
    private static final int MDS = 1200;
    private static final long T0 = -42 * S; // any long is a valid monotonic time

    private final Pacer pacer = new Pacer(MDS);

    @Test
    void theFirstInitialWindowMayGoOutAtOnce() {
        long rate = 1_000_000;
        for (int i = 0; i < 10; i++) {
            assertThat(pacer.nextSendTime(T0, MDS, rate)).isEqualTo(T0);
            pacer.onPacketSent(T0, MDS, rate);
        }

        // The eleventh packet waits for 1200 bytes at 1 MB/s = 1.2 ms
        assertThat(pacer.nextSendTime(T0, MDS, rate)).isEqualTo(T0 + 1_200_000);
    }

    @Test
    void sendsAtTheConfiguredRateOverALongRun() {
        for (long rate : new long[] {100_000, 1_000_000, 12_500_000, 125_000_000}) {
            Pacer p = new Pacer(MDS);
            long sent = sendForOneSecond(p, rate);

            // Within 1 % of the rate, plus the initial burst
            long burst = p.capacity(rate);
            assertThat(sent).as("bytes in 1 s at %d B/s", rate)
                    .isBetween((long) (rate * 0.99), (long) (rate * 1.01) + burst);
        }
    }

    @Test
    void waitingUntilTheNextSendTimeIsAlwaysEnough() {
        long rate = 3_333_333;
        long now = T0;
        for (int i = 0; i < 10_000; i++) {
            now = pacer.nextSendTime(now, MDS, rate);
            assertThat(pacer.nextSendTime(now, MDS, rate)).isEqualTo(now);
            pacer.onPacketSent(now, MDS, rate);
        }
    }

    @Test
    void neverSchedulesInThePast() {
        Random random = new Random(7);
        long now = T0;
        for (int i = 0; i < 10_000; i++) {
            now += random.nextInt(3 * (int) MS);
            long rate = 10_000 + random.nextInt(50_000_000);
            int bytes = 1 + random.nextInt(2 * MDS);
            long at = pacer.nextSendTime(now, bytes, rate);
            assertThat(at - now).isGreaterThanOrEqualTo(0);
            if (random.nextBoolean()) {
                pacer.onPacketSent(now, bytes, rate);
            }
        }
    }

    @Test
    void anIdleBucketFillsOnlyUpToItsCapacity() {
        long rate = 1_000_000;
        pacer.nextSendTime(T0, MDS, rate);

        pacer.nextSendTime(T0 + 10 * S, MDS, rate);

        assertThat(pacer.tokens()).isEqualTo(pacer.capacity(rate)).isEqualTo(12_000);
    }

    @Test
    void theBucketHoldsTwoMillisecondsAtHighRatesSoAMillisecondTimerDoesNotCapThroughput() {
        // 125 MB/s (1 Gbit/s): 2 ms = 250 kB, more than the 12 kB initial window
        assertThat(pacer.capacity(125_000_000)).isEqualTo(250_000);
        assertThat(pacer.capacity(1_000_000)).isEqualTo(12_000);

        // Waking only every millisecond still achieves the rate
        long rate = 125_000_000;
        long now = T0;
        long sent = 0;
        for (long wake = T0; wake - (T0 + S) < 0; wake += MS) {
            now = wake;
            while (pacer.nextSendTime(now, MDS, rate) == now) {
                pacer.onPacketSent(now, MDS, rate);
                sent += MDS;
            }
        }
        assertThat(sent).isGreaterThanOrEqualTo((long) (rate * 0.99));
    }

    @Test
    void unpacedSendsArePaidBackBeforeTheNextPacedOne() {
        long rate = 1_000_000;
        pacer.nextSendTime(T0, MDS, rate);

        // 20 packets go out unpaced: 24000 bytes against a 12000-byte bucket
        for (int i = 0; i < 20; i++) {
            pacer.onPacketSent(T0, MDS, rate);
        }

        // The next one waits for the 12000-byte debt plus its own 1200 bytes: 13.2 ms
        assertThat(pacer.tokens()).isEqualTo(-12_000);
        assertThat(pacer.nextSendTime(T0, MDS, rate)).isEqualTo(T0 + 13_200_000);
    }

    @Test
    void aPacketLargerThanTheBucketWaitsForAFullBucket() {
        long rate = 1_000_000;
        pacer.onPacketSent(T0, 12_000, rate);

        assertThat(pacer.nextSendTime(T0, 20_000, rate)).isEqualTo(T0 + 12 * MS);
    }

    @Test
    void nonPositiveRatesAndSizesAreBugs() {
        assertThatThrownBy(() -> pacer.nextSendTime(T0, MDS, 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("pacing rate");
        assertThatThrownBy(() -> pacer.onPacketSent(T0, 0, 1000))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("packet size");
    }

    /** Sends full-size packets whenever allowed for one second of fake time; returns bytes sent. */
    private static long sendForOneSecond(Pacer p, long rate) {
        long now = T0;
        long sent = 0;
        while (true) {
            now = p.nextSendTime(now, MDS, rate);
            if (now - (T0 + S) >= 0) {
                return sent;
            }
            p.onPacketSent(now, MDS, rate);
            sent += MDS;
        }
    }
}
