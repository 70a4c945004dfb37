package dev.overlay.stream;

import static org.assertj.core.api.Assertions.assertThat;

import dev.overlay.identity.Identity;
import dev.overlay.session.DeviceConfig;
import dev.overlay.testing.DeterministicRandom;
import dev.overlay.testing.FaultInjector;
import dev.overlay.testing.SimNetwork;
import dev.overlay.testing.SimNetwork.Host;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** DPLPMTUD (RFC 8899) on simulated paths with a known MTU. */
class PathMtuTest {
    private static SimTransfers transfer(FaultInjector faults) {
        SimNetwork net = new SimNetwork(faults);
        Host a = net.host(1, Identity.generate(new DeterministicRandom(31)), DeviceConfig.DEFAULTS, 1);
        Host b = net.host(2, Identity.generate(new DeterministicRandom(32)), DeviceConfig.DEFAULTS, 2);
        a.device.addPeer(b.device.self(), b.address);
        a.recordSent = false;
        b.recordSent = false;
        return new SimTransfers(net, a, b);
    }

    private static int pmtu(SimTransfers t) {
        return t.sender.streams.pathMtu(t.receiver.device.self());
    }

    @Test
    void theSearchClimbsToTheLargestSizeTheEthernetPathCarries() {
        SimTransfers t = transfer(new FaultInjector(1).mtu(1472).delay(5_000_000, 0));
        t.start(1, 1 << 20);
        assertThat(t.run(Duration.ofMinutes(1), now -> { })).isTrue();
        assertThat(pmtu(t)).isEqualTo(1472);
        assertThat(t.net.faults().tooBig()).as("larger probes were tried and lost").isPositive();
    }

    @Test
    void aPathThatCarriesJumboDatagramsIsUsedAtTheLargestSize() {
        SimTransfers t = transfer(new FaultInjector(2).delay(5_000_000, 0));
        t.start(1, 4 << 20);
        assertThat(t.run(Duration.ofMinutes(1), now -> { })).isTrue();
        assertThat(pmtu(t)).isEqualTo(65507);
    }

    @Test
    void whenThePathShrinksTheConnectionFallsBackAndNoByteIsLost() {
        FaultInjector faults = new FaultInjector(3).delay(5_000_000, 0);
        SimTransfers t = transfer(faults);
        t.start(1, 32 << 20);
        // Given the search has reached the largest size, the path shrinks to 1472 bytes
        t.net.runUntil(() -> pmtu(t) == 65507, Duration.ofSeconds(10));
        assertThat(pmtu(t)).isEqualTo(65507);
        faults.mtu(1472);

        boolean done = t.run(Duration.ofMinutes(5), now -> { });
        assertThat(done).as(t.net.describe()).isTrue();

        assertThat(pmtu(t)).isLessThanOrEqualTo(1472);
        for (SimTransfers.Transfer x : t.transfers) {
            assertThat(x.receivedHash).isEqualTo(x.sentHash);
        }
    }
    @Test
    void aPathChangeRestartsTheSearchFromTheBaseSizeAndTheNewPathIsSearched() {
        FaultInjector faults = new FaultInjector(4).delay(5_000_000, 0);
        SimTransfers t = transfer(faults);
        t.start(1, 32 << 20);
        t.net.runUntil(() -> pmtu(t) == 65507, Duration.ofSeconds(10));
        assertThat(pmtu(t)).isEqualTo(65507);

        // When the session layer moves the peer to a path that carries 1472 bytes (as on a move
        // from loopback to a relay or an Ethernet path)
        faults.mtu(1472);
        t.sender.streams.pathChanged(t.net.now(), t.receiver.device.self());

        // Then the search starts again at the base size at once, not after losses, and climbs to
        // the new path's size; answers to probes sent on the old path do not raise it
        assertThat(pmtu(t)).isEqualTo(StreamConfig.DEFAULTS.initialDatagramSize());
        assertThat(t.run(Duration.ofMinutes(5), now -> { })).as(t.net.describe()).isTrue();
        assertThat(pmtu(t)).isEqualTo(1472);
        for (SimTransfers.Transfer x : t.transfers) {
            assertThat(x.receivedHash).isEqualTo(x.sentHash);
        }
    }
}
