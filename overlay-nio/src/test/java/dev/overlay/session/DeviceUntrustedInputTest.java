package dev.overlay.session;

import static dev.overlay.session.DeviceHandshakeTest.bytes;
import static dev.overlay.session.DeviceHandshakeTest.identity;
import static dev.overlay.session.DeviceHandshakeTest.pair;
import static org.assertj.core.api.Assertions.assertThat;

import dev.overlay.testing.FaultInjector;
import dev.overlay.testing.SimNetwork;
import dev.overlay.testing.SimNetwork.Host;
import dev.overlay.wire.MessageType;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Garbage, replays and tampering are dropped and counted; nothing throws, nothing is delivered. */
class DeviceUntrustedInputTest {
    private static final Duration MINUTE = Duration.ofMinutes(1);
    private static final InetSocketAddress ATTACKER = new InetSocketAddress("203.0.113.66", 6666);

    private static Host[] established(SimNetwork net) {
        Host[] ab = pair(net, DeviceConfig.DEFAULTS);
        ab[0].send(ab[1].device.self(), bytes("hello"));
        net.runUntil(() -> ab[1].delivered.size() == 1, MINUTE);
        return ab;
    }

    @Test
    void randomDatagramsOfEveryLengthAreDroppedAndCountedWithoutThrowing() {
        SimNetwork net = new SimNetwork(new FaultInjector(21));
        Host[] ab = established(net);
        Random random = new Random(21);
        int n = 0;
        for (int len = 0; len < 300; len++) {
            for (int type = 0; type <= 5; type++) {
                byte[] d = new byte[len];
                random.nextBytes(d);
                if (len >= 4) {
                    d[0] = (byte) type;
                    d[1] = d[2] = d[3] = 0;
                }
                net.inject(ATTACKER, ab[1].address, d);
                n++;
            }
        }
        long dropsBefore = ab[1].device.counters().totalDrops();

        net.advance(Duration.ofMillis(1));

        assertThat(ab[1].device.counters().totalDrops() - dropsBefore).isEqualTo(n);
        assertThat(ab[1].delivered).hasSize(1);
        assertThat(ab[1].device.peers()).hasSize(1);
        assertThat(ab[1].sent).as("garbage is never answered").hasSize(1);
    }

    @Test
    void aReplayedTransportPacketIsDropped() {
        SimNetwork net = new SimNetwork(new FaultInjector(22));
        Host[] ab = established(net);
        byte[] data = ab[0].sent.get(ab[0].sent.size() - 1);
        assertThat(MessageType.of(java.nio.ByteBuffer.wrap(data), data.length)).isEqualTo(MessageType.TRANSPORT);

        net.inject(ATTACKER, ab[1].address, data);
        net.advance(Duration.ofMillis(1));

        assertThat(ab[1].device.counters().drops(Drop.REPLAY)).isEqualTo(1);
        assertThat(ab[1].delivered).hasSize(1);
    }

    @Test
    void aReplayedInitiationIsDroppedWithoutAResponse() {
        SimNetwork net = new SimNetwork(new FaultInjector(23));
        Host[] ab = established(net);
        byte[] initiation = ab[0].sent.get(0);
        int sentBefore = ab[1].sent.size();

        net.inject(ATTACKER, ab[1].address, initiation);
        net.advance(Duration.ofMillis(1));

        assertThat(ab[1].device.counters().drops(Drop.REPLAYED_INITIATION)).isEqualTo(1);
        assertThat(ab[1].sent).hasSize(sentBefore);
        assertThat(ab[1].device.peerStatus(ab[0].device.self()).endpoint())
                .as("a replay does not move the peer").isEqualTo(ab[0].address);
    }

    @Test
    void anInitiationForAnotherNodeFailsMac1BeforeAnyKeyAgreement() {
        SimNetwork net = new SimNetwork(new FaultInjector(24));
        Host[] ab = established(net);
        Host c = net.host(3, identity(303), DeviceConfig.DEFAULTS, 3);

        net.inject(ATTACKER, c.address, ab[0].sent.get(0));
        net.advance(Duration.ofMillis(1));

        assertThat(c.device.counters().drops(Drop.BAD_MAC1)).isEqualTo(1);
        assertThat(c.device.counters().drops(Drop.HANDSHAKE_FAILED)).isZero();
    }

    @Test
    void everySingleBitFlipOfATransportPacketIsRejected() {
        SimNetwork net = new SimNetwork(new FaultInjector(25));
        Host[] ab = established(net);
        ab[0].send(ab[1].device.self(), bytes("integrity matters"));
        byte[] packet = ab[0].sent.get(ab[0].sent.size() - 1).clone();
        long dropsBefore = ab[1].device.counters().totalDrops();

        for (int bit = 0; bit < packet.length * 8; bit++) {
            byte[] t = packet.clone();
            t[bit / 8] ^= (byte) (1 << (bit % 8));
            net.inject(ATTACKER, ab[1].address, t);
        }
        net.advance(Duration.ofMillis(1));

        assertThat(ab[1].device.counters().totalDrops() - dropsBefore).isEqualTo(packet.length * 8L);
        assertThat(ab[1].delivered).as("only the untampered original").hasSize(2);
        assertThat(new String(ab[1].delivered.get(1))).isEqualTo("integrity matters");
    }

    @Test
    void underRandomCorruptionEveryDeliveredPayloadIsExactlyOneThatWasSent() {
        SimNetwork net = new SimNetwork(new FaultInjector(26).corrupt(0.3).duplicate(0.1)
                .delay(2_000_000, 5_000_000));
        Host[] ab = pair(net, DeviceConfig.DEFAULTS);
        for (int i = 0; i < 500; i++) {
            ab[0].send(ab[1].device.self(), bytes("payload number " + i));
            net.advance(Duration.ofMillis(10));
        }
        net.advance(Duration.ofSeconds(1));

        assertThat(net.faults().corrupted()).isPositive();
        assertThat(ab[1].delivered).isNotEmpty();
        boolean[] seen = new boolean[500];
        for (byte[] p : ab[1].delivered) {
            String s = new String(p);
            assertThat(s).startsWith("payload number ");
            int i = Integer.parseInt(s.substring("payload number ".length()));
            assertThat(seen[i]).as("payload %d delivered twice", i).isFalse();
            seen[i] = true;
        }
        assertThat(ab[1].device.counters().drops(Drop.BAD_TAG)
                + ab[1].device.counters().drops(Drop.UNKNOWN_INDEX)
                + ab[1].device.counters().drops(Drop.REPLAY)).isPositive();
    }
}
