package dev.overlay.stream;

import static org.assertj.core.api.Assertions.assertThat;

import dev.overlay.identity.Identity;
import dev.overlay.session.DeviceConfig;
import dev.overlay.testing.DeterministicRandom;
import dev.overlay.testing.FaultInjector;
import dev.overlay.testing.SimNetwork;
import dev.overlay.testing.SimNetwork.Host;
import java.io.IOException;
import java.lang.reflect.Field;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StreamLifecycleTest {
    private static final Identity A = Identity.generate(new DeterministicRandom(41));
    private static final Identity B = Identity.generate(new DeterministicRandom(42));

    static Connection conn(Host h, Host peer) throws Exception {
        Field f = StreamLayer.class.getDeclaredField("connections");
        f.setAccessible(true);
        return ((Map<?, Connection>) f.get(h.streams)).get(peer.device.self());
    }

    static Object field(Object o, String name) throws Exception {
        Field f = o.getClass().getDeclaredField(name);
        f.setAccessible(true);
        return f.get(o);
    }

    static int drain(OverlayStream s) {
        try {
            int total = 0;
            int n;
            ByteBuffer buf = ByteBuffer.allocate(65536);
            while ((n = s.read(buf.clear())) > 0) {
                total += n;
            }
            return n < 0 && total == 0 ? -1 : total;
        } catch (IOException e) {
            return -2;
        }
    }

    /** STOP_SENDING is answered with RESET_STREAM only if the application touches the stream again. */
    @Test
    void stopSendingToAWriterThatAlreadyClosedRetiresTheStreamOnBothSides() throws Exception {
        SimNetwork net = new SimNetwork(new FaultInjector(1).delay(5_000_000, 0));
        Host a = net.host(1, A, DeviceConfig.DEFAULTS, 1);
        Host b = net.host(2, B, DeviceConfig.DEFAULTS, 2);
        a.device.addPeer(b.device.self(), b.address);
        StreamListener l = b.streams.listen(80, k -> true);
        OverlayStream c = a.streams.open(net.now(), b.device.self(), 80);
        net.runUntil(c::isOpenedForTest, Duration.ofSeconds(5));
        OverlayStream s = l.poll();
        c.write(ByteBuffer.wrap(new byte[3_000_000]));
        c.close(); // a sender's usual "write everything, close, forget"
        net.advance(Duration.ofMillis(20));
        drain(s);
        s.close(); // the server has read enough: STOP_SENDING
        net.advance(Duration.ofMinutes(2)); // keepalives keep the connection up
        assertThat(a.streams.streamCount(b.device.self())).as("A retired its stream").isZero();
        assertThat(b.streams.streamCount(a.device.self())).as("B retired its stream").isZero();
    }

    /** serviceQueued looks the connection up by peer: an old stream's close() acts on a new stream with the same id. */
    @Test
    void closingAStreamOfADeadConnectionLeavesTheNewStreamWithTheSameIdAlone() throws Exception {
        SimNetwork net = new SimNetwork(new FaultInjector(2).delay(5_000_000, 0));
        Host a = net.host(1, A, DeviceConfig.DEFAULTS, 1);
        Host b = net.host(2, B, DeviceConfig.DEFAULTS, 2);
        a.device.addPeer(b.device.self(), b.address);
        b.device.addPeer(a.device.self(), a.address);
        StreamListener l = b.streams.listen(80, k -> true);
        OverlayStream old = a.streams.open(net.now(), b.device.self(), 80);
        net.runUntil(old::isOpenedForTest, Duration.ofSeconds(5));
        OverlayStream oldServer = l.poll();
        net.advance(Duration.ofSeconds(1));

        net.remove(a); // A restarts
        Host a2 = net.host(1, A, DeviceConfig.DEFAULTS, 99);
        a2.device.addPeer(b.device.self(), b.address);
        OverlayStream fresh = a2.streams.open(net.now(), b.device.self(), 80);
        net.runUntil(fresh::isOpenedForTest, Duration.ofSeconds(5));
        OverlayStream freshServer = l.poll();
        assertThat(freshServer.id).isEqualTo(oldServer.id); // ids restart: a collision is the norm

        oldServer.close(); // B's application cleans up the stream that failed with "restarted"
        net.advance(Duration.ofSeconds(1));
        // throws "connection reset by peer: it stopped reading": B sent STOP_SENDING for the fresh stream
        org.assertj.core.api.Assertions.assertThatCode(() -> fresh.write(ByteBuffer.wrap("request".getBytes())))
                .doesNotThrowAnyException();
        net.advance(Duration.ofSeconds(1));
        // the fresh stream must be untouched: A can still write, B can still read
        assertThat(drain(freshServer)).isEqualTo(7);
        assertThat(fresh.writable()).isPositive();
    }

    /** Peer stream ids step by 2, so peerStreamIds never merges: one range per stream ever opened. */
    @Test
    void peerStreamIdsStayOneRangeAfterManyStreams() throws Exception {
        SimNetwork net = new SimNetwork(new FaultInjector(3).delay(1_000_000, 0));
        Host a = net.host(1, A, DeviceConfig.DEFAULTS, 1);
        Host b = net.host(2, B, DeviceConfig.DEFAULTS, 2);
        a.device.addPeer(b.device.self(), b.address);
        StreamListener l = b.streams.listen(80, k -> true);
        for (int i = 0; i < 300; i++) {
            OverlayStream c = a.streams.open(net.now(), b.device.self(), 80);
            c.write(ByteBuffer.wrap(new byte[] {1}));
            c.close();
            OverlayStream[] s = new OverlayStream[1];
            net.runUntil(() -> (s[0] = s[0] != null ? s[0] : l.poll()) != null && drain(s[0]) == -1, Duration.ofSeconds(5));
            s[0].close();
            net.runUntil(() -> b.streams.streamCount(a.device.self()) == 0, Duration.ofSeconds(5));
        }
        int ranges = ((RangeSet) field(conn(b, a), "peerStreamIds")).rangeCount();
        assertThat(b.streams.streamCount(a.device.self())).isZero();
        assertThat(ranges).as("ranges kept for 300 closed streams").isLessThan(10);
    }

    /** RESET_STREAM's final size is never charged to connection flow control: lost bytes leak credit. */
    @Test
    void resetsWithLostDataDoNotLeakConnectionCredit() throws Exception {
        StreamConfig cfg = new StreamConfig(32 * 1024, 32 * 1024, 32 * 1024, 32 * 1024, 1 << 20,
                1024, Duration.ofSeconds(30), Duration.ofMillis(25), 1200, 1200, 128);
        FaultInjector faults = new FaultInjector(4).delay(5_000_000, 0);
        SimNetwork net = new SimNetwork(faults);
        Host a = net.host(1, A, DeviceConfig.DEFAULTS, cfg, 1);
        Host b = net.host(2, B, DeviceConfig.DEFAULTS, cfg, 2);
        a.device.addPeer(b.device.self(), b.address);
        StreamListener l = b.streams.listen(80, k -> true);
        long sentTotal = 0;
        for (int i = 0; i < 25; i++) {
            OverlayStream c = a.streams.open(net.now(), b.device.self(), 80);
            net.runUntil(c::isOpenedForTest, Duration.ofSeconds(5));
            OverlayStream srv = l.poll();
            srv.close();
            faults.blackhole(true);
            c.write(ByteBuffer.wrap(new byte[30_000]));
            net.at(net.now(), () -> { }); // the sim only steps on events: make the loop run now
            net.advance(Duration.ofMillis(1)); // the first window goes out and is lost
            sentTotal += c.send.sentHigh();
            c.reset(StreamError.APPLICATION_MIN);
            net.at(net.now(), () -> { });
            net.advance(Duration.ofMillis(1));
            faults.blackhole(false);
            net.runUntil(() -> a.streams.streamCount(b.device.self()) == 0
                    && b.streams.streamCount(a.device.self()) == 0, Duration.ofSeconds(10));
        }
        // A fresh stream with 10 kB: the connection has no credit left
        OverlayStream c = a.streams.open(net.now(), b.device.self(), 80);
        net.runUntil(c::isOpenedForTest, Duration.ofSeconds(5));
        OverlayStream s = l.poll();
        c.write(ByteBuffer.wrap(new byte[1_000]));
        int[] got = {0};
        net.runUntil(() -> (got[0] += Math.max(0, drain(s))) == 1_000, Duration.ofSeconds(60));
        assertThat(got[0]).isEqualTo(1_000);
    }

    /** Same root cause: shutting down input of the dead stream retires (removes) the new stream with its id. */
    @Test
    void shuttingDownInputOfADeadStreamLeavesTheNewStreamWithTheSameIdAlone() throws Exception {
        SimNetwork net = new SimNetwork(new FaultInjector(6).delay(5_000_000, 0));
        Host a = net.host(1, A, DeviceConfig.DEFAULTS, 1);
        Host b = net.host(2, B, DeviceConfig.DEFAULTS, 2);
        a.device.addPeer(b.device.self(), b.address);
        b.device.addPeer(a.device.self(), a.address);
        StreamListener l = b.streams.listen(80, k -> true);
        OverlayStream old = a.streams.open(net.now(), b.device.self(), 80);
        net.runUntil(old::isOpenedForTest, Duration.ofSeconds(5));
        OverlayStream oldServer = l.poll();
        old.write(ByteBuffer.wrap("x".getBytes()));
        old.shutdownOutput();
        net.advance(Duration.ofSeconds(1)); // B holds the FIN, unread

        net.remove(a);
        Host a2 = net.host(1, A, DeviceConfig.DEFAULTS, 99);
        a2.device.addPeer(b.device.self(), b.address);
        OverlayStream fresh = a2.streams.open(net.now(), b.device.self(), 80);
        net.runUntil(fresh::isOpenedForTest, Duration.ofSeconds(5));
        OverlayStream freshServer = l.poll();

        oldServer.getInputStream().close(); // cleanup of the failed stream
        net.advance(Duration.ofSeconds(1));
        fresh.write(ByteBuffer.wrap("request".getBytes()));
        int[] got = {0};
        net.runUntil(() -> (got[0] += Math.max(0, drain(freshServer))) == 7, Duration.ofSeconds(60));
        assertThat(b.streams.streamCount(a.device.self())).as("B still knows the fresh stream").isEqualTo(1);
        assertThat(got[0]).isEqualTo(7);
    }
}
