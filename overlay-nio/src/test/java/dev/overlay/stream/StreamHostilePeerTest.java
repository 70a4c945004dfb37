package dev.overlay.stream;

import static org.assertj.core.api.Assertions.assertThat;

import dev.overlay.identity.Identity;
import dev.overlay.identity.NodeId;
import dev.overlay.testing.DeterministicRandom;
import dev.overlay.wire.frame.FrameWriter;
import java.lang.reflect.Field;
import java.nio.ByteBuffer;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** A malicious but authenticated peer driving one Connection directly. */
class StreamHostilePeerTest {
    static final long PEER_EPOCH = 42;
    final NodeId self = Identity.generate(new DeterministicRandom(1)).id();
    final NodeId peer = Identity.generate(new DeterministicRandom(2)).id();
    final StreamListener listener = new StreamListener(7, k -> true, 128, () -> { });
    int serviceRequests;
    final Connection c = new Connection(self, peer, StreamConfig.DEFAULTS, new Connection.Host() {
        @Override public StreamListener listener(int port) { return port == 7 ? listener : null; }
        @Override public OverlayStream.Service service() { return s -> serviceRequests++; }
    }, 1, 0);
    /** Parity of the ids the peer opens. */
    final long peerBase = self.compareTo(peer) < 0 ? 1 : 0;
    long pn;

    ByteBuffer pkt(Consumer<ByteBuffer> frames) {
        ByteBuffer b = ByteBuffer.allocate(65536);
        FrameWriter.writePacketHeader(b, PEER_EPOCH, pn++);
        frames.accept(b);
        b.flip();
        return b;
    }

    static Object field(Object o, String name) throws Exception {
        Field f = o.getClass().getDeclaredField(name);
        f.setAccessible(true);
        return f.get(o);
    }

    @Test
    void dataBeyondTheFinalSizeClosesTheConnectionAndIsNeverDelivered() throws Exception {
        long id = peerBase;
        byte[] hello = "hello".getBytes();
        byte[] longer = "hello, and more after the FIN".getBytes();
        c.onPacket(1, pkt(b -> {
            FrameWriter.writeOpen(b, id, 7);
            FrameWriter.writeStream(b, id, 0, true, ByteBuffer.wrap(hello), 0, hello.length, true);
        }));
        c.onPacket(2, pkt(b -> FrameWriter.writeStream(b, id, 0, false, ByteBuffer.wrap(longer), 0, longer.length, true)));
        OverlayStream s = listener.poll();
        assertThat(c.isClosed()).as("final size changed: should be FINAL_SIZE_ERROR").isTrue();
        ByteBuffer got = ByteBuffer.allocate(100);
        int n = s.read(got);
        assertThat(n).as("bytes delivered past the final size").isEqualTo(5);
    }

    @Test
    void framesForUnknownStreamsQueueNothingAndKeepTheIdSetSmall() throws Exception {
        ByteBuffer out = ByteBuffer.allocate(65536);
        for (int p = 0; p < 200; p++) {
            long first = peerBase + 2L * 150 * p + 1000;
            c.onPacket(p, pkt(b -> {
                for (int i = 0; i < 150; i++) {
                    FrameWriter.writeMaxStreamData(b, first + 2L * i, 1);
                }
            }));
            while (c.poll(p, out) > 0) { } // we answer, the peer never ACKs
        }
        int control = ((java.util.ArrayDeque<?>) field(c, "control")).size();
        int ids = ((RangeSet) field(c, "peerStreamIds")).rangeCount();
        assertThat(control).isLessThan(1000);
        assertThat(ids).isLessThan(1000);
    }

    @Test
    void aFrameForALocalStreamNeverOpenedIsAProtocolViolation() throws Exception {
        long localFuture = (1 - peerBase) + 2_000_000;
        for (int p = 0; p < 100; p++) {
            c.onPacket(p, pkt(b -> {
                for (int i = 0; i < 300; i++) {
                    FrameWriter.writeStopSending(b, localFuture, 0);
                }
            }));
        }
        int control = ((java.util.ArrayDeque<?>) field(c, "control")).size();
        assertThat(control).isLessThan(100);
    }

    @Test
    void aStreamWithMoreHolesThanTheBoundClosesTheConnection() throws Exception {
        long id = peerBase;
        c.onPacket(0, pkt(b -> FrameWriter.writeOpen(b, id, 7)));
        byte[] one = {1};
        long off = 256 * 1024 - 2;
        int packets = 0;
        while (off >= 0 && !c.isClosed()) {
            long[] o = {off};
            c.onPacket(1, pkt(b -> {
                while (o[0] >= 0 && b.remaining() > 20) {
                    FrameWriter.writeStream(b, id, o[0], false, ByteBuffer.wrap(one), 0, 1, true);
                    o[0] -= 2;
                }
            }));
            off = o[0];
            packets++;
        }
        // Then the peer is cut off at the bound instead of costing quadratic work without limit
        assertThat(c.isClosed()).isTrue();
        assertThat(c.closedWith()).hasMessageContaining("holes");
    }

    /** Honest peer: 16 streams x 64 KiB fill the 1 MiB connection window; the reader drains them all. */
    @Test
    void consumingHalfTheConnectionWindowAcrossStreamsWakesTheLoopForMaxData() throws Exception {
        byte[] chunk = new byte[60_000];
        long now = 1_000_000;
        int n = 16;
        for (int i = 0; i < n; i++) {
            long id = peerBase + 2L * i;
            c.onPacket(now, pkt(b -> FrameWriter.writeOpen(b, id, 7)));
            for (int off = 0; off < 65536; off += chunk.length) {
                int len = Math.min(chunk.length, 65536 - off);
                long o = off;
                c.onPacket(now, pkt(b -> FrameWriter.writeStream(b, id, o, false, ByteBuffer.wrap(chunk), 0, len, true)));
            }
        }
        ByteBuffer out = ByteBuffer.allocate(65536);
        while (c.poll(now, out) > 0) { } // ACKs; nothing consumed yet, so no MAX_DATA
        int before = serviceRequests;
        OverlayStream s;
        long read = 0;
        while ((s = listener.poll()) != null) {
            read += s.read(ByteBuffer.allocate(1 << 20));
        }
        // Then the readers asked the loop for service, which sends MAX_DATA on its next poll
        assertThat(serviceRequests - before).as("service requests while draining the window").isPositive();
    }

    @Test
    void aThrowingReadinessListenerDoesNotEscapeIntoTheEventLoop() {
        long id = peerBase;
        c.onPacket(1, pkt(b -> FrameWriter.writeOpen(b, id, 7)));
        listener.poll().setReadinessListener(() -> { throw new IllegalStateException("app bug"); });
        org.assertj.core.api.Assertions.assertThatCode(() -> {
            c.onPacket(2, pkt(b -> FrameWriter.writeStream(b, id, 0, false, ByteBuffer.wrap(new byte[] {1}), 0, 1, true)));
            c.signalStreams(); // where the loop runs readiness listeners
        }).doesNotThrowAnyException();
    }
}
