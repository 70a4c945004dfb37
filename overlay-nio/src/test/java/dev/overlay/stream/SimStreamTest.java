package dev.overlay.stream;

import static org.assertj.core.api.Assertions.assertThat;

import dev.overlay.identity.Identity;
import dev.overlay.session.DeviceConfig;
import dev.overlay.testing.DeterministicRandom;
import dev.overlay.testing.FaultInjector;
import dev.overlay.testing.SimNetwork;
import dev.overlay.testing.SimNetwork.Host;
import java.nio.ByteBuffer;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Streams on the deterministic simulated network. */
class SimStreamTest {
    static Host[] pair(SimNetwork net) {
        Host a = net.host(1, Identity.generate(new DeterministicRandom(101)), DeviceConfig.DEFAULTS, 1);
        Host b = net.host(2, Identity.generate(new DeterministicRandom(202)), DeviceConfig.DEFAULTS, 2);
        a.device.addPeer(b.device.self(), b.address);
        a.recordSent = false;
        b.recordSent = false;
        return new Host[] {a, b};
    }

    @Test
    void aSmallMessageCrossesAndIsEchoedBack() throws Exception {
        SimNetwork net = new SimNetwork(new FaultInjector(1).delay(5_000_000, 0));
        Host[] ab = pair(net);
        StreamListener l = ab[1].streams.listen(7, k -> true);
        OverlayStream c = ab[0].streams.open(net.now(), ab[1].device.self(), 7);
        net.runUntil(() -> c.isOpenedForTest(), Duration.ofSeconds(5));
        assertThat(c.isOpenedForTest()).isTrue();
        OverlayStream s = l.poll();
        assertThat(s).isNotNull();
        c.write(ByteBuffer.wrap("hello".getBytes()));
        c.shutdownOutput();
        ByteBuffer got = ByteBuffer.allocate(100);
        net.runUntil(() -> {
            try {
                return s.read(got) < 0;
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        }, Duration.ofSeconds(5));
        got.flip();
        assertThat(new String(got.array(), 0, got.limit())).isEqualTo("hello");
    }

    @Test
    void aRefusedKeyIsToldNotAllowed() {
        SimNetwork net = new SimNetwork(new FaultInjector(2).delay(5_000_000, 0));
        Host[] ab = pair(net);
        ab[1].streams.listen(7, k -> false);
        OverlayStream c = ab[0].streams.open(net.now(), ab[1].device.self(), 7);
        net.advance(Duration.ofSeconds(1));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> c.read(ByteBuffer.allocate(1)))
                .isInstanceOf(StreamRefusedException.class).hasMessageContaining("not allowed");
    }

    @Test
    void oneMebibyteArrivesIntact() throws Exception {
        SimNetwork net = new SimNetwork(new FaultInjector(3).delay(5_000_000, 0));
        Host[] ab = pair(net);
        StreamListener l = ab[1].streams.listen(7, k -> true);
        OverlayStream c = ab[0].streams.open(net.now(), ab[1].device.self(), 7);
        byte[] data = new byte[1 << 20];
        new java.util.Random(3).nextBytes(data);
        ByteBuffer src = ByteBuffer.wrap(data);
        java.io.ByteArrayOutputStream got = new java.io.ByteArrayOutputStream();
        OverlayStream[] server = new OverlayStream[1];
        ByteBuffer buf = ByteBuffer.allocate(65536);
        boolean done = net.runUntil(() -> {
            try {
                if (c.isOpenedForTest() && src.hasRemaining()) {
                    c.write(src);
                    if (!src.hasRemaining()) {
                        c.shutdownOutput();
                    }
                }
                if (server[0] == null) {
                    server[0] = l.poll();
                }
                if (server[0] != null) {
                    int n;
                    while ((n = server[0].read(buf.clear())) > 0) {
                        got.write(buf.array(), 0, n);
                    }
                    return n < 0;
                }
                return false;
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        }, Duration.ofSeconds(60));
        System.out.println("1 MiB sim: done=" + done + " at " + net.now() / 1_000_000 + " ms, got " + got.size());
        assertThat(done).isTrue();
        assertThat(got.toByteArray()).isEqualTo(data);
    }
}
