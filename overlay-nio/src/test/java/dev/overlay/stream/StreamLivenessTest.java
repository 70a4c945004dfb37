package dev.overlay.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.overlay.identity.Identity;
import dev.overlay.session.DeviceConfig;
import dev.overlay.testing.DeterministicRandom;
import dev.overlay.testing.FaultInjector;
import dev.overlay.testing.SimNetwork;
import dev.overlay.testing.SimNetwork.Host;
import java.io.IOException;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** A peer that vanishes or restarts never leaves a stream hanging. */
class StreamLivenessTest {
    private static final Identity A = Identity.generate(new DeterministicRandom(41));
    private static final Identity B = Identity.generate(new DeterministicRandom(42));

    private static OverlayStream[] openPair(SimNetwork net, Host a, Host b) {
        StreamListener l = b.streams.listen(80, k -> true);
        OverlayStream c = a.streams.open(net.now(), b.device.self(), 80);
        net.runUntil(c::isOpenedForTest, Duration.ofSeconds(5));
        return new OverlayStream[] {c, l.poll()};
    }

    private static boolean fails(OverlayStream s) {
        try {
            s.read(ByteBuffer.allocate(16));
            return false;
        } catch (IOException e) {
            return true;
        }
    }

    @Test
    void whenThePeerVanishesTheStreamFailsWithinTheIdleTimeout() {
        SimNetwork net = new SimNetwork(new FaultInjector(1).delay(5_000_000, 0));
        Host a = net.host(1, A, DeviceConfig.DEFAULTS, 1);
        Host b = net.host(2, B, DeviceConfig.DEFAULTS, 2);
        a.device.addPeer(b.device.self(), b.address);
        OverlayStream[] cs = openPair(net, a, b);
        long vanished = net.now();

        net.remove(b); // no goodbye: a crash, a cable pulled
        net.runUntil(() -> fails(cs[0]), Duration.ofSeconds(60));

        long tookNanos = net.now() - vanished;
        assertThat(tookNanos).isBetween(Duration.ofSeconds(30).toNanos(), Duration.ofSeconds(31).toNanos());
        assertThatThrownBy(() -> cs[0].read(ByteBuffer.allocate(1)))
                .isInstanceOf(SocketException.class).hasMessageContaining("connection timed out");
        assertThatThrownBy(() -> cs[0].write(ByteBuffer.wrap(new byte[1])))
                .isInstanceOf(SocketException.class).hasMessageContaining("connection timed out");

        // And the dead connection leaves no timer behind (the simulator fails on a stuck deadline)
        net.advance(Duration.ofMinutes(5));
        assertThat(a.streams.nextDeadline(net.now())).isEqualTo(Long.MAX_VALUE);
        assertThat(a.streams.pathMtu(b.device.self())).as("connection forgotten").isZero();
    }

    @Test
    void whenThePeerRestartsItsOldStreamsAreResetAtOnceAndNewOnesWork() {
        SimNetwork net = new SimNetwork(new FaultInjector(2).delay(5_000_000, 0));
        Host a = net.host(1, A, DeviceConfig.DEFAULTS, 1);
        Host b = net.host(2, B, DeviceConfig.DEFAULTS, 2);
        a.device.addPeer(b.device.self(), b.address);
        b.device.addPeer(a.device.self(), a.address);
        OverlayStream[] cs = openPair(net, a, b);
        net.advance(Duration.ofSeconds(1));

        // When A restarts (same key and address, a new process) and talks to B again
        net.remove(a);
        Host a2 = net.host(1, A, DeviceConfig.DEFAULTS, 99);
        a2.device.addPeer(b.device.self(), b.address);
        StreamListener l2 = b.streams.listen(81, k -> true);
        OverlayStream fresh = a2.streams.open(net.now(), b.device.self(), 81);
        long restarted = net.now();
        net.runUntil(() -> fails(cs[1]) && fresh.isOpenedForTest(), Duration.ofSeconds(10));

        // Then B's stream from the old A fails with a reset, well before any idle timeout
        assertThat(net.now() - restarted).isLessThan(Duration.ofSeconds(1).toNanos());
        assertThatThrownBy(() -> cs[1].read(ByteBuffer.allocate(1)))
                .isInstanceOf(SocketException.class).hasMessageContaining("restarted");
        assertThat(fresh.isOpenedForTest()).isTrue();
        assertThat(l2.poll()).isNotNull();
    }

    @Test
    void aConnectionWhosePeerVanishedAfterItsStreamsClosedIsForgottenNotProbedForever() {
        SimNetwork net = new SimNetwork(new FaultInjector(3).delay(5_000_000, 0));
        Host a = net.host(1, A, DeviceConfig.DEFAULTS, 1);
        Host b = net.host(2, B, DeviceConfig.DEFAULTS, 2);
        a.device.addPeer(b.device.self(), b.address);
        OverlayStream[] cs = openPair(net, a, b);
        cs[0].reset(StreamError.APPLICATION_MIN);
        net.remove(b); // the reset and everything after it go nowhere

        net.advance(Duration.ofMinutes(2));

        assertThat(a.streams.pathMtu(b.device.self())).as("connection forgotten").isZero();
        assertThat(a.streams.nextDeadline(net.now())).isEqualTo(Long.MAX_VALUE);
    }
}
