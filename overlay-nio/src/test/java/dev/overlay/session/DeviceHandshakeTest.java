package dev.overlay.session;

import static org.assertj.core.api.Assertions.assertThat;

import dev.overlay.identity.Identity;
import dev.overlay.testing.DeterministicRandom;
import dev.overlay.testing.FaultInjector;
import dev.overlay.testing.SimNetwork;
import dev.overlay.testing.SimNetwork.Host;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Handshakes and transport between two devices on the simulated network. */
class DeviceHandshakeTest {
    private static final Duration MINUTE = Duration.ofMinutes(1);

    static Identity identity(long seed) {
        return Identity.generate(new DeterministicRandom(seed));
    }

    static Host[] pair(SimNetwork net, DeviceConfig config) {
        Host a = net.host(1, identity(101), config, 1);
        Host b = net.host(2, identity(202), config, 2);
        a.device.addPeer(b.device.self(), b.address);
        return new Host[] {a, b};
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void firstSendStartsAHandshakeAndThePayloadArrivesIntact() {
        SimNetwork net = new SimNetwork(new FaultInjector(1));
        Host[] ab = pair(net, DeviceConfig.DEFAULTS);

        assertThat(ab[0].send(ab[1].device.self(), bytes("hello"))).isEqualTo(Device.SendResult.STAGED);
        assertThat(net.runUntil(() -> ab[1].delivered.size() == 1, MINUTE)).isTrue();

        assertThat(new String(ab[1].delivered.get(0), StandardCharsets.UTF_8)).isEqualTo("hello");
        assertThat(ab[1].deliveredFrom.get(0)).isEqualTo(ab[0].device.self());
        assertThat(ab[0].eventCount(SessionEvent.Kind.ESTABLISHED_AS_INITIATOR)).isEqualTo(1);
        assertThat(ab[1].eventCount(SessionEvent.Kind.ESTABLISHED_AS_RESPONDER)).isEqualTo(1);
    }

    @Test
    void theResponderLearnsTheInitiatorAndCanReplyWithoutAnotherHandshake() {
        SimNetwork net = new SimNetwork(new FaultInjector(2));
        Host[] ab = pair(net, DeviceConfig.DEFAULTS);
        ab[0].send(ab[1].device.self(), bytes("ping"));
        net.runUntil(() -> ab[1].delivered.size() == 1, MINUTE);

        assertThat(ab[1].send(ab[0].device.self(), bytes("pong"))).isEqualTo(Device.SendResult.SENT);
        assertThat(net.runUntil(() -> ab[0].delivered.size() == 1, MINUTE)).isTrue();

        assertThat(new String(ab[0].delivered.get(0), StandardCharsets.UTF_8)).isEqualTo("pong");
        assertThat(ab[0].device.counters().handshakesCompleted()).isEqualTo(1);
        assertThat(ab[1].device.counters().handshakesCompleted()).isEqualTo(1);
    }

    @Test
    void sendingToAPeerWithoutEndpointSaysSo() {
        SimNetwork net = new SimNetwork(new FaultInjector(3));
        Host a = net.host(1, identity(1), DeviceConfig.DEFAULTS, 1);
        assertThat(a.send(identity(2).id(), bytes("x"))).isEqualTo(Device.SendResult.NO_ENDPOINT);
    }

    /** The bar: 30 % loss in bursts of 3, plus reordering, duplication and corruption. */
    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20,
        21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
        41, 42, 43, 44, 45, 46, 47, 48, 49, 50})
    void handshakeCompletesUnderThirtyPercentBurstLoss(long seed) {
        FaultInjector faults = new FaultInjector(seed)
                .loss(0.30, 3).duplicate(0.05).corrupt(0.05)
                .delay(Duration.ofMillis(20).toNanos(), Duration.ofMillis(30).toNanos());
        SimNetwork net = new SimNetwork(faults);
        Host[] ab = pair(net, DeviceConfig.DEFAULTS);

        ab[0].send(ab[1].device.self(), bytes("through the storm"));
        boolean established = net.runUntil(
                () -> ab[0].eventCount(SessionEvent.Kind.ESTABLISHED_AS_INITIATOR) > 0, Duration.ofSeconds(90));
        assertThat(established).as("handshake completed within rekey-attempt-time").isTrue();

        // The session layer does not retransmit data (streams do); resend like an application would,
        // and the keys both sides derived must open it.
        for (int i = 0; i < 30 && ab[1].delivered.isEmpty(); i++) {
            ab[0].send(ab[1].device.self(), bytes("through the storm"));
            net.runUntil(() -> !ab[1].delivered.isEmpty(), Duration.ofSeconds(1));
        }
        assertThat(ab[1].delivered).isNotEmpty().allSatisfy(p ->
                assertThat(new String(p, StandardCharsets.UTF_8)).isEqualTo("through the storm"));
        assertThat(ab[0].device.counters().handshakesCompleted()).isEqualTo(1);
    }

    @Test
    void aLostInitiationIsRetransmittedAfterRekeyTimeoutWithJitter() {
        FaultInjector faults = new FaultInjector(4).blackhole(true);
        SimNetwork net = new SimNetwork(faults);
        Host[] ab = pair(net, DeviceConfig.DEFAULTS);
        ab[0].send(ab[1].device.self(), bytes("x"));
        assertThat(initiations(ab[0])).isEqualTo(1);

        net.advance(Duration.ofMillis(4999));
        assertThat(initiations(ab[0])).as("no retransmit before rekey-timeout").isEqualTo(1);
        faults.blackhole(false);
        net.advance(Duration.ofMillis(334));
        assertThat(initiations(ab[0])).as("one retransmit by rekey-timeout + jitter").isEqualTo(2);
        assertThat(net.runUntil(() -> ab[1].delivered.size() == 1, MINUTE)).isTrue();
    }

    static long initiations(Host h) {
        return h.sent.stream().filter(d -> d[0] == dev.overlay.wire.MessageType.INITIATION).count();
    }

    @Test
    void anUnreachablePeerIsReportedAfterRekeyAttemptTimeAndItsStagedPacketsDropped() {
        SimNetwork net = new SimNetwork(new FaultInjector(5).blackhole(true));
        Host[] ab = pair(net, DeviceConfig.DEFAULTS);
        for (int i = 0; i < 3; i++) {
            ab[0].send(ab[1].device.self(), bytes("lost " + i));
        }

        net.runUntil(() -> ab[0].eventCount(SessionEvent.Kind.UNREACHABLE) == 1, Duration.ofSeconds(120));

        assertThat(ab[0].eventCount(SessionEvent.Kind.UNREACHABLE)).isEqualTo(1);
        assertThat(net.now()).isBetween(Duration.ofSeconds(90).toNanos(), Duration.ofSeconds(96).toNanos());
        assertThat(ab[0].device.counters().drops(Drop.UNREACHABLE)).isEqualTo(3);
        assertThat(ab[0].sent.size()).as("about one initiation per rekey-timeout").isBetween(17, 19);
        assertThat(ab[0].device.nextDeadline()).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void stagedPacketsAreBoundedAndTheOldestDropped() {
        SimNetwork net = new SimNetwork(new FaultInjector(6).blackhole(true));
        Host[] ab = pair(net, DeviceConfig.DEFAULTS);
        for (int i = 0; i < Constants.MAX_STAGED_PACKETS + 72; i++) {
            ab[0].send(ab[1].device.self(), bytes("n" + i));
        }
        assertThat(ab[0].device.counters().drops(Drop.STAGED_OVERFLOW)).isEqualTo(72);
        assertThat(ab[0].device.peerStatus(ab[1].device.self()).staged()).isEqualTo(Constants.MAX_STAGED_PACKETS);

        net.faults().blackhole(false);
        net.runUntil(() -> ab[1].delivered.size() == Constants.MAX_STAGED_PACKETS, MINUTE);
        assertThat(new String(ab[1].delivered.get(0), StandardCharsets.UTF_8)).isEqualTo("n72");
    }

    @Test
    void aRefusedKeyGetsNoResponseAndNoState() {
        SimNetwork net = new SimNetwork(new FaultInjector(7));
        Host a = net.host(1, identity(1), DeviceConfig.DEFAULTS, 1);
        Host b = net.host(2, identity(2), new DeviceConfig(SessionTimers.DEFAULTS, 10, k -> false), 2);
        a.device.addPeer(b.device.self(), b.address);
        a.send(b.device.self(), bytes("let me in"));

        net.advance(Duration.ofSeconds(1));

        assertThat(b.device.counters().drops(Drop.REFUSED_PEER)).isEqualTo(1);
        assertThat(b.sent).isEmpty();
        assertThat(b.device.peers()).isEmpty();
    }

    @Test
    void newPeersBeyondTheLimitAreDroppedAndCounted() {
        SimNetwork net = new SimNetwork(new FaultInjector(8));
        Host b = net.host(2, identity(2), new DeviceConfig(SessionTimers.DEFAULTS, 1, k -> true), 2);
        Host a1 = net.host(3, identity(3), DeviceConfig.DEFAULTS, 3);
        Host a2 = net.host(4, identity(4), DeviceConfig.DEFAULTS, 4);
        a1.device.addPeer(b.device.self(), b.address);
        a2.device.addPeer(b.device.self(), b.address);
        a1.send(b.device.self(), bytes("first"));
        a2.send(b.device.self(), bytes("second"));

        net.advance(Duration.ofSeconds(1));

        assertThat(b.device.peers()).hasSize(1);
        assertThat(b.device.counters().drops(Drop.PEER_LIMIT)).isEqualTo(1);
        assertThat(b.delivered).hasSize(1);
    }

    @Test
    void aConfiguredLowOrderKeyIsReportedUnreachableAtOnceWithoutThrowing() {
        SimNetwork net = new SimNetwork(new FaultInjector(9));
        Host a = net.host(1, identity(1), DeviceConfig.DEFAULTS, 1);
        // u = 0 is a point of small order: no DH with it can be trusted.
        dev.overlay.identity.NodeId lowOrder = dev.overlay.identity.NodeId.of(new byte[32]);
        a.device.addPeer(lowOrder, new java.net.InetSocketAddress("192.0.2.9", 51820));

        assertThat(a.send(lowOrder, bytes("x"))).isEqualTo(Device.SendResult.STAGED);

        assertThat(a.eventCount(SessionEvent.Kind.UNREACHABLE)).isEqualTo(1);
        assertThat(a.sent).isEmpty();
        assertThat(a.device.counters().drops(Drop.UNREACHABLE)).isEqualTo(1);
    }

    @Test
    void sessionTimersRejectNonsenseValuesNamingTheTimer() {
        org.assertj.core.api.Assertions.assertThatThrownBy(
                () -> SessionTimers.DEFAULTS.with("keepalive", Duration.ZERO))
                .hasMessageContaining("keepalive").hasMessageContaining("positive");
        org.assertj.core.api.Assertions.assertThatThrownBy(
                () -> SessionTimers.DEFAULTS.with("reject-after", Duration.ofSeconds(60)))
                .hasMessageContaining("reject-after").hasMessageContaining("rekey-after");
        org.assertj.core.api.Assertions.assertThatThrownBy(
                () -> SessionTimers.DEFAULTS.with("soon", Duration.ofSeconds(1)))
                .hasMessageContaining("unknown timer 'soon'");
    }
}
