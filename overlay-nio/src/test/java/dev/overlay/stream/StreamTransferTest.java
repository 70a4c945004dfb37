package dev.overlay.stream;

import static org.assertj.core.api.Assertions.assertThat;

import dev.overlay.identity.Identity;
import dev.overlay.session.DeviceConfig;
import dev.overlay.session.SessionTimers;
import dev.overlay.testing.DeterministicRandom;
import dev.overlay.testing.FaultInjector;
import dev.overlay.testing.SimNetwork;
import dev.overlay.testing.SimNetwork.Host;
import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * Bulk transfers on the simulated faulty network (seeded, so every run is the same): one 64 MiB
 * stream and 100 streams of 1 MiB, at 0, 2 and 10 % loss with reordering, duplication and
 * corruption; and through a periodic blackhole. Every byte must arrive: SHA-256 equality per stream.
 */
class StreamTransferTest {
    private static final int MIB = 1 << 20;

    private static SimTransfers setUp(FaultInjector faults, DeviceConfig device) {
        SimNetwork net = new SimNetwork(faults);
        Host a = net.host(1, Identity.generate(new DeterministicRandom(11)), device, 1);
        Host b = net.host(2, Identity.generate(new DeterministicRandom(22)), device, 2);
        a.device.addPeer(b.device.self(), b.address);
        a.recordSent = false;
        b.recordSent = false;
        return new SimTransfers(net, a, b);
    }

    /** A path like the internet's: 1500-byte MTU, 10 ms each way with up to 5 ms jitter (reordering). */
    private static FaultInjector path(long seed, double loss) {
        return new FaultInjector(seed).mtu(1472).loss(loss, 1).duplicate(0.01).corrupt(0.01)
                .delay(10_000_000, 5_000_000);
    }

    private static void assertAllArrivedIntact(SimTransfers t) {
        System.out.println("finished at simulated t=" + t.net.now() / 1_000_000 + " ms");
        for (SimTransfers.Transfer x : t.transfers) {
            assertThat(x.finished).as("stream %d finished", x.client.id).isTrue();
            assertThat(x.read).isEqualTo(x.size);
            assertThat(x.receivedHash).as("SHA-256 of stream %d", x.client.id).isEqualTo(x.sentHash);
        }
    }

    @ParameterizedTest(name = "{0} loss")
    @ValueSource(doubles = {0.0, 0.02, 0.10})
    void sixtyFourMebibytesOnOneStreamArriveIntact(double loss) {
        SimTransfers t = setUp(path(64, loss), DeviceConfig.DEFAULTS);
        t.start(1, 64L * MIB);
        boolean done = t.run(Duration.ofMinutes(30), now -> { });
        assertThat(done).as(t.net.describe()).isTrue();
        assertAllArrivedIntact(t);
    }

    @ParameterizedTest(name = "{0} loss")
    @ValueSource(doubles = {0.0, 0.02, 0.10})
    void aHundredStreamsOfOneMebibyteArriveIntact(double loss) {
        SimTransfers t = setUp(path(100, loss), DeviceConfig.DEFAULTS);
        t.start(100, MIB);
        boolean done = t.run(Duration.ofMinutes(30), now -> { });
        assertThat(done).as(t.net.describe()).isTrue();
        assertAllArrivedIntact(t);
    }

    @Test
    void aTransferSurvivesABlackholeOfFiveSecondsInEverySeven() {
        FaultInjector faults = path(7, 0.02);
        SimTransfers t = setUp(faults, DeviceConfig.DEFAULTS);
        t.start(4, 4L * MIB);
        // From t = 1 s: 5 s blackhole, 2 s open, repeated for 10 minutes.
        for (long start = 1; start < 600; start += 7) {
            long dark = Duration.ofSeconds(start).toNanos();
            t.net.at(dark, () -> faults.blackhole(true));
            t.net.at(dark + Duration.ofSeconds(5).toNanos(), () -> faults.blackhole(false));
        }
        boolean done = t.run(Duration.ofMinutes(20), now -> { });
        assertThat(done).as(t.net.describe()).isTrue();
        assertAllArrivedIntact(t);
    }

    @Test
    void aTransferContinuesAcrossSessionRekeys() {
        SessionTimers fast = SessionTimers.DEFAULTS.with("rekey-after", Duration.ofSeconds(2))
                .with("reject-after", Duration.ofSeconds(4));
        SimTransfers t = setUp(path(3, 0.02), DeviceConfig.DEFAULTS.withTimers(fast));
        t.start(1, 16L * MIB);
        assertThat(t.run(Duration.ofMinutes(10), now -> { })).isTrue();
        assertAllArrivedIntact(t);
        assertThat(t.sender.device.counters().handshakesCompleted()).as("rekeyed during the transfer").isGreaterThan(2);
    }
}
