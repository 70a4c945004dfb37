package dev.overlay.session;

import static dev.overlay.session.DeviceHandshakeTest.bytes;
import static dev.overlay.session.DeviceHandshakeTest.identity;
import static dev.overlay.session.DeviceHandshakeTest.pair;
import static org.assertj.core.api.Assertions.assertThat;

import dev.overlay.testing.FaultInjector;
import dev.overlay.testing.SimNetwork;
import dev.overlay.testing.SimNetwork.Host;
import java.net.InetSocketAddress;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Rekeying, keepalives, idle timeout, restarts and roaming, all on simulated time. */
class DeviceTimersTest {
    private static final Duration MINUTE = Duration.ofMinutes(1);

    /** Given an established pair, A sends one payload every {@code period} for {@code total}. */
    private static int steadyTraffic(SimNetwork net, Host a, Host b, Duration period, Duration total) {
        int sent = 0;
        for (long t = 0; t < total.toNanos(); t += period.toNanos()) {
            a.send(b.device.self(), bytes("tick " + sent++));
            net.advance(period);
        }
        return sent;
    }

    @Test
    void theInitiatorRekeysAfterRekeyAfterAndNoPayloadIsLostAcrossIt() {
        SimNetwork net = new SimNetwork(new FaultInjector(11).delay(1_000_000, 0));
        Host[] ab = pair(net, DeviceConfig.DEFAULTS);

        int sent = steadyTraffic(net, ab[0], ab[1], Duration.ofSeconds(1), Duration.ofSeconds(400));
        net.advance(Duration.ofSeconds(1));

        assertThat(ab[1].delivered).hasSize(sent);
        for (int i = 0; i < sent; i++) {
            assertThat(new String(ab[1].delivered.get(i))).isEqualTo("tick " + i);
        }
        // 400 s of traffic at rekey-after 120 s: handshakes at 0, ~120, ~240, ~360.
        assertThat(ab[0].eventCount(SessionEvent.Kind.ESTABLISHED_AS_INITIATOR)).isEqualTo(4);
        assertThat(ab[1].eventCount(SessionEvent.Kind.ESTABLISHED_AS_INITIATOR)).isZero();
    }

    @Test
    void aReceiverThatStaysSilentSendsAKeepaliveAfterTheKeepaliveTimeout() {
        SimNetwork net = new SimNetwork(new FaultInjector(12));
        Host[] ab = pair(net, DeviceConfig.DEFAULTS);
        ab[0].send(ab[1].device.self(), bytes("data"));
        net.runUntil(() -> ab[1].delivered.size() == 1, MINUTE);
        long before = ab[1].device.counters().keepalivesSent();

        net.advance(Duration.ofSeconds(9));
        assertThat(ab[1].device.counters().keepalivesSent()).isEqualTo(before);
        net.advance(Duration.ofSeconds(2));
        assertThat(ab[1].device.counters().keepalivesSent()).isEqualTo(before + 1);
    }

    @Test
    void persistentKeepaliveSendsOnAnIdleSessionToHoldNatMappings() {
        SessionTimers t = SessionTimers.DEFAULTS.with("persistent-keepalive", Duration.ofSeconds(25));
        SimNetwork net = new SimNetwork(new FaultInjector(13));
        Host[] ab = pair(net, DeviceConfig.DEFAULTS.withTimers(t));
        ab[0].send(ab[1].device.self(), bytes("data"));
        net.runUntil(() -> ab[1].delivered.size() == 1, MINUTE);
        long before = ab[0].device.counters().keepalivesSent();

        net.advance(Duration.ofSeconds(100));

        assertThat(ab[0].device.counters().keepalivesSent() - before).isBetween(3L, 4L);
        assertThat(ab[0].eventCount(SessionEvent.Kind.IDLE_CLOSED)).isZero();
    }

    @Test
    void anIdleSessionIsClosedAndItsKeysErasedAfterTheIdleTimeout() {
        SimNetwork net = new SimNetwork(new FaultInjector(14));
        Host[] ab = pair(net, DeviceConfig.DEFAULTS);
        ab[0].send(ab[1].device.self(), bytes("once"));
        net.runUntil(() -> ab[1].delivered.size() == 1, MINUTE);

        net.advance(Duration.ofSeconds(200));

        assertThat(ab[0].eventCount(SessionEvent.Kind.IDLE_CLOSED)).isEqualTo(1);
        assertThat(ab[1].eventCount(SessionEvent.Kind.IDLE_CLOSED)).isEqualTo(1);
        assertThat(ab[0].device.peerStatus(ab[1].device.self()).established()).isFalse();
        assertThat(ab[1].device.peers()).as("a learned peer is forgotten when idle").isEmpty();
        assertThat(ab[0].device.nextDeadline()).isEqualTo(Long.MAX_VALUE);

        ab[0].send(ab[1].device.self(), bytes("again"));
        assertThat(net.runUntil(() -> ab[1].delivered.size() == 2, MINUTE)).isTrue();
    }

    @Test
    void whenTheResponderRestartsTheInitiatorReHandshakesOnItsOwn() {
        SimNetwork net = new SimNetwork(new FaultInjector(15).delay(1_000_000, 0));
        Host[] ab = pair(net, DeviceConfig.DEFAULTS);
        ab[0].send(ab[1].device.self(), bytes("before"));
        net.runUntil(() -> ab[1].delivered.size() == 1, MINUTE);

        // Given B restarts: same key and address, no memory of the session.
        net.remove(ab[1]);
        Host b2 = net.host(2, identity(202), DeviceConfig.DEFAULTS, 99);
        int sent = steadyTraffic(net, ab[0], b2, Duration.ofSeconds(1), Duration.ofSeconds(30));

        assertThat(b2.device.counters().drops(Drop.UNKNOWN_INDEX)).isPositive();
        assertThat(ab[0].eventCount(SessionEvent.Kind.ESTABLISHED_AS_INITIATOR)).isEqualTo(2);
        // Data sent before the re-handshake is lost (as with WireGuard); data after it arrives.
        assertThat(b2.delivered).isNotEmpty();
        assertThat(new String(b2.delivered.get(b2.delivered.size() - 1))).isEqualTo("tick " + (sent - 1));
    }

    @Test
    void whenTheInitiatorRestartsItsNewerInitiationIsAccepted() {
        SimNetwork net = new SimNetwork(new FaultInjector(16));
        Host[] ab = pair(net, DeviceConfig.DEFAULTS);
        ab[0].send(ab[1].device.self(), bytes("first life"));
        net.runUntil(() -> ab[1].delivered.size() == 1, MINUTE);
        net.advance(Duration.ofSeconds(1));

        net.remove(ab[0]);
        Host a2 = net.host(1, identity(101), DeviceConfig.DEFAULTS, 77);
        a2.device.addPeer(ab[1].device.self(), ab[1].address);
        a2.send(ab[1].device.self(), bytes("second life"));

        assertThat(net.runUntil(() -> ab[1].delivered.size() == 2, MINUTE)).isTrue();
        assertThat(new String(ab[1].delivered.get(1))).isEqualTo("second life");
    }

    @Test
    void aPeerThatMovesIsFollowedAfterItsFirstAuthenticatedPacket() {
        SimNetwork net = new SimNetwork(new FaultInjector(17));
        Host[] ab = pair(net, DeviceConfig.DEFAULTS);
        ab[0].send(ab[1].device.self(), bytes("from home"));
        net.runUntil(() -> ab[1].delivered.size() == 1, MINUTE);

        InetSocketAddress moved = new InetSocketAddress("198.51.100.7", 40000);
        net.move(ab[0], moved);
        ab[0].send(ab[1].device.self(), bytes("from the train"));
        net.runUntil(() -> ab[1].delivered.size() == 2, MINUTE);
        ab[1].send(ab[0].device.self(), bytes("reply"));

        assertThat(net.runUntil(() -> ab[0].delivered.size() == 1, MINUTE)).isTrue();
        assertThat(ab[1].device.peerStatus(ab[0].device.self()).endpoint()).isEqualTo(moved);
        assertThat(ab[1].eventCount(SessionEvent.Kind.ENDPOINT_CHANGED)).isEqualTo(1);
        assertThat(ab[0].eventCount(SessionEvent.Kind.ESTABLISHED_AS_INITIATOR)).isEqualTo(1);
    }
}
