package dev.overlay.session;

import static dev.overlay.session.DeviceHandshakeTest.bytes;
import static dev.overlay.session.DeviceHandshakeTest.identity;
import static dev.overlay.session.DeviceHandshakeTest.pair;
import static org.assertj.core.api.Assertions.assertThat;

import dev.overlay.testing.FaultInjector;
import dev.overlay.testing.SimNetwork;
import dev.overlay.testing.SimNetwork.Host;
import dev.overlay.wire.Mac1;
import dev.overlay.wire.Response;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Attacks and awkward interleavings found in review: each must cost no more than a lost packet. */
class DeviceAdversarialTest {
    private static final Duration MINUTE = Duration.ofMinutes(1);
    private static final InetSocketAddress ATTACKER = new InetSocketAddress("203.0.113.66", 6666);

    @Test
    void initiationsFromThrowawayKeysCannotLockOutARealPeer() {
        SimNetwork net = new SimNetwork(new FaultInjector(8));
        Host b = net.host(2, identity(2), new DeviceConfig(SessionTimers.DEFAULTS, 2, k -> true), 2);
        // Given as many never-confirming initiators as B admits peers
        for (int i = 0; i < 2; i++) {
            Host evil = net.host(50 + i, identity(500 + i), DeviceConfig.DEFAULTS, 50 + i);
            evil.device.addPeer(b.device.self(), b.address);
            evil.send(b.device.self(), bytes("x"));
            net.remove(evil); // it never answers, as with a spoofed source
        }
        net.advance(Duration.ofSeconds(1));

        // When a real peer connects
        Host legit = net.host(3, identity(3), DeviceConfig.DEFAULTS, 3);
        legit.device.addPeer(b.device.self(), b.address);
        legit.send(b.device.self(), bytes("hi"));
        net.advance(Duration.ofSeconds(1));

        // Then it gets in, and the unconfirmed ones are forgotten within three rekey-timeouts
        assertThat(b.delivered).hasSize(1);
        assertThat(b.device.counters().drops(Drop.PEER_LIMIT)).isZero();
        net.advance(Duration.ofSeconds(20));
        assertThat(b.device.peers()).extracting(PeerStatus::id).containsExactly(legit.device.self());
    }

    @Test
    void theUnconfirmedPoolEvictsItsOldestEntryInsteadOfGrowing() {
        SimNetwork net = new SimNetwork(new FaultInjector(9));
        Host b = net.host(2, identity(2), DeviceConfig.DEFAULTS, 2);
        int n = Device.MAX_UNCONFIRMED_PEERS + 10;
        for (int i = 0; i < n; i++) {
            Host evil = net.host(100, identity(10_000 + i), DeviceConfig.DEFAULTS, i);
            evil.device.addPeer(b.device.self(), b.address);
            evil.send(b.device.self(), bytes("x"));
            net.remove(evil);
            net.advance(Duration.ofMillis(1));
        }
        assertThat(b.device.peers()).hasSize(Device.MAX_UNCONFIRMED_PEERS);
        assertThat(b.device.counters().unconfirmedEvicted()).isEqualTo(10);
        assertThat(b.device.indexedSessions()).isEqualTo(Device.MAX_UNCONFIRMED_PEERS);
    }

    @Test
    void aCapturedInitiationStaysAReplayAfterItsPeerWasForgotten() {
        SimNetwork net = new SimNetwork(new FaultInjector(14));
        Host[] ab = pair(net, DeviceConfig.DEFAULTS);
        ab[0].send(ab[1].device.self(), bytes("once"));
        net.runUntil(() -> ab[1].delivered.size() == 1, MINUTE);
        byte[] initiation = ab[0].sent.get(0);
        net.advance(Duration.ofSeconds(200));
        assertThat(ab[1].device.peers()).as("idle learned peer forgotten").isEmpty();
        int sentBefore = ab[1].sent.size();

        net.inject(ATTACKER, ab[1].address, initiation);
        net.advance(Duration.ofMillis(1));

        assertThat(ab[1].device.counters().drops(Drop.REPLAYED_INITIATION)).isEqualTo(1);
        assertThat(ab[1].sent).hasSize(sentBefore);
        assertThat(ab[1].device.peers()).isEmpty();
    }

    @Test
    void aForgedResponseCarryingTheObservedIndexCostsNoMoreThanAGarbagePacket() {
        SimNetwork net = new SimNetwork(new FaultInjector(30).delay(10_000_000, 0));
        Host[] ab = pair(net, DeviceConfig.DEFAULTS);
        ab[0].send(ab[1].device.self(), bytes("x"));
        int senderIndex = ByteBuffer.wrap(ab[0].sent.get(0)).getInt(4);
        // mac1 is keyed with the initiator's public key (its address): anyone can compute it.
        ByteBuffer forged = ByteBuffer.allocate(Response.LENGTH);
        Response.writeHeader(forged, 12345, senderIndex);
        new Mac1(ab[0].device.self().key()).write(forged, Response.MAC1);

        net.inject(ATTACKER, ab[0].address, forged.array());
        net.runUntil(() -> ab[1].delivered.size() == 1, MINUTE);

        assertThat(ab[0].device.counters().drops(Drop.HANDSHAKE_FAILED)).isEqualTo(1);
        assertThat(net.now()).as("delivered after one round trip, not a retransmit").isLessThan(Duration.ofMillis(100).toNanos());
    }

    @Test
    void aResponderWhoseConfirmationWasLostHandshakesItselfAfterRekeyTimeout() {
        FaultInjector f = new FaultInjector(31).delay(10_000_000, 0);
        SimNetwork net = new SimNetwork(f);
        Host[] ab = pair(net, DeviceConfig.DEFAULTS);
        ab[0].send(ab[1].device.self(), bytes("a"));
        net.advance(Duration.ofMillis(15)); // B answered at 10 ms
        assertThat(ab[1].send(ab[0].device.self(), bytes("b"))).isEqualTo(Device.SendResult.STAGED);
        net.advance(Duration.ofMillis(4));
        f.blackhole(true); // A's first transport packet (at 20 ms) is lost
        net.advance(Duration.ofMillis(2));
        f.blackhole(false);

        net.runUntil(() -> ab[0].delivered.size() == 1, MINUTE);

        assertThat(net.now()).isLessThan(Duration.ofSeconds(6).toNanos());
    }

    @Test
    void crossingHandshakesLeaveNoPendingHandshakeBehind() {
        FaultInjector f = new FaultInjector(32).delay(10_000_000, 0);
        SimNetwork net = new SimNetwork(f);
        Host[] ab = pair(net, DeviceConfig.DEFAULTS);
        ab[1].device.addPeer(ab[0].device.self(), ab[0].address);
        f.blackhole(true);
        ab[1].send(ab[0].device.self(), bytes("b")); // B's initiation is lost
        f.blackhole(false);
        ab[0].send(ab[1].device.self(), bytes("a"));
        net.runUntil(() -> ab[0].delivered.size() == 1, MINUTE);

        net.advance(Duration.ofMinutes(10));

        assertThat(ab[1].device.peerStatus(ab[0].device.self()).handshaking()).isFalse();
        assertThat(ab[1].device.indexedSessions()).isZero();
        assertThat(ab[1].device.nextDeadline()).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void persistentKeepaliveKeepsTheSessionAliveFarPastRejectAfter() {
        SessionTimers t = SessionTimers.DEFAULTS.with("persistent-keepalive", Duration.ofSeconds(25));
        SimNetwork net = new SimNetwork(new FaultInjector(13));
        Host[] ab = pair(net, DeviceConfig.DEFAULTS.withTimers(t));
        ab[0].send(ab[1].device.self(), bytes("data"));
        net.runUntil(() -> ab[1].delivered.size() == 1, MINUTE);
        net.advance(Duration.ofSeconds(400));
        long before = ab[0].device.counters().keepalivesSent();

        net.advance(Duration.ofSeconds(100));

        assertThat(ab[0].device.counters().keepalivesSent() - before).isBetween(3L, 5L);
        assertThat(ab[0].eventCount(SessionEvent.Kind.IDLE_CLOSED)).isZero();
        assertThat(ab[0].eventCount(SessionEvent.Kind.ESTABLISHED_AS_INITIATOR)).as("rekeyed on schedule").isGreaterThanOrEqualTo(4);
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10})
    void indicesDrainToZeroAfterLossyCrossingTrafficEnds(long seed) {
        FaultInjector f = new FaultInjector(seed).loss(0.2, 2).duplicate(0.05).delay(5_000_000, 40_000_000);
        SimNetwork net = new SimNetwork(f);
        Host[] ab = pair(net, DeviceConfig.DEFAULTS);
        ab[1].device.addPeer(ab[0].device.self(), ab[0].address);
        for (int i = 0; i < 300; i++) {
            ab[0].send(ab[1].device.self(), bytes("a" + i));
            ab[1].send(ab[0].device.self(), bytes("b" + i));
            net.advance(Duration.ofMillis(700));
        }

        net.advance(Duration.ofSeconds(400));

        assertThat(ab[0].device.indexedSessions()).isZero();
        assertThat(ab[1].device.indexedSessions()).isZero();
        assertThat(ab[0].device.nextDeadline()).isEqualTo(Long.MAX_VALUE);
        assertThat(ab[1].device.nextDeadline()).isEqualTo(Long.MAX_VALUE);
        assertThat(ab[0].delivered.size()).as("most of B's payloads arrived").isGreaterThan(150);
    }
}
