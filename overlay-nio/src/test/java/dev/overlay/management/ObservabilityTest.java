package dev.overlay.management;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.overlay.identity.Identity;
import dev.overlay.node.Endpoints;
import dev.overlay.node.Node;
import dev.overlay.node.NodeConfig;
import dev.overlay.node.NodeSnapshot;
import dev.overlay.node.PeerSnapshot;
import dev.overlay.node.PeerSpec;
import dev.overlay.session.DeviceConfig;
import dev.overlay.session.SessionTimers;
import dev.overlay.stream.OverlayStream;
import dev.overlay.stream.StreamListener;
import dev.overlay.stream.StreamRefusedException;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import javax.management.RuntimeMBeanException;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Statistics, MBeans and flight-recorder events of two real nodes over UDP on loopback: a
 * handshake and a stream, then what {@link Node#snapshot}, the platform MBean server and a JFR
 * recording say about them.
 */
class ObservabilityTest {
    private static final InetSocketAddress LOOPBACK = new InetSocketAddress("127.0.0.1", 0);
    private static final Duration TIMEOUT = Duration.ofSeconds(20);
    private static final MBeanServer MBEANS = ManagementFactory.getPlatformMBeanServer();
    private final List<AutoCloseable> toClose = new ArrayList<>();

    @TempDir
    Path dir;

    @AfterEach
    void closeAll() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close();
        }
    }

    private Node start(NodeConfig c) throws Exception {
        Node n = Node.start(c);
        toClose.add(n);
        return n;
    }

    private static Identity identity() {
        return Identity.generate(new SecureRandom());
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long end = System.nanoTime() + TIMEOUT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("not within " + TIMEOUT + ": " + what);
            }
            // Polls a condition another thread changes; a short bounded wait between looks.
            new CountDownLatch(1).await(20, TimeUnit.MILLISECONDS);
        }
    }

    /** Sends {@code bytes} from client to server over port 7 and back; both ends close cleanly. */
    private static void echo(Node server, Node client, int bytes) throws Exception {
        StreamListener l = server.listen(7);
        CompletableFuture<Void> served = CompletableFuture.runAsync(() -> {
            try (OverlayStream s = l.accept(TIMEOUT)) {
                s.setReadTimeout(TIMEOUT);
                s.getInputStream().transferTo(s.getOutputStream());
                s.shutdownOutput();
                s.awaitDelivered(TIMEOUT);
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        byte[] data = new byte[bytes];
        java.util.Arrays.fill(data, (byte) 'x');
        try (OverlayStream s = client.connect(server.id(), 7, TIMEOUT)) {
            s.setReadTimeout(TIMEOUT);
            s.getOutputStream().write(data);
            s.shutdownOutput();
            assertThat(s.getInputStream().readAllBytes()).hasSize(bytes);
            s.awaitDelivered(TIMEOUT);
        }
        served.get(30, TimeUnit.SECONDS);
        l.close();
    }

    private static PeerSnapshot peerOf(Node n, Node peer) {
        PeerSnapshot p = n.snapshot(TIMEOUT).peer(peer.id());
        assertThat(p).as("peer %s in the snapshot of %s", peer.id().shortName(), n.id().shortName()).isNotNull();
        return p;
    }

    private static long streamsClosed(Node n, Node peer) {
        PeerSnapshot p = n.snapshot(TIMEOUT).peer(peer.id());
        return p == null || p.streams() == null ? 0 : p.streams().streamsClosed();
    }

    @Test
    void aSnapshotShowsThePathRttBytesAndStreamsOfAPeer() throws Exception {
        Node server = start(NodeConfig.of(identity(), LOOPBACK, List.of()).withManagement(false));
        Node client = start(NodeConfig.of(identity(), LOOPBACK, List.of(new PeerSpec(server.id(), server.localAddress())))
                .withManagement(false));

        echo(server, client, 100_000);
        await("both sides retired the stream", () -> streamsClosed(client, server) == 1 && streamsClosed(server, client) == 1);

        PeerSnapshot p = peerOf(client, server);
        assertThat(p.pathKind()).isEqualTo("direct");
        assertThat(p.remoteAddress()).isEqualTo(server.localAddress());
        assertThat(p.relayAddress()).isNull();
        assertThat(p.session().established()).isTrue();
        assertThat(p.session().validated()).isTrue();
        assertThat(p.session().handshakes()).isEqualTo(1);
        assertThat(p.session().handshakeRtt()).isPositive();
        assertThat(p.session().sessionAge()).isPositive();
        assertThat(p.session().lastReceivedAge()).isNotNegative();
        // 100 000 bytes each way, sealed: the wire carried at least that much.
        assertThat(p.session().wireBytesOut()).isGreaterThan(100_000);
        assertThat(p.session().wireBytesIn()).isGreaterThan(100_000);
        assertThat(p.streams().bytesSent()).isEqualTo(100_000);
        assertThat(p.streams().bytesReceived()).isEqualTo(100_000);
        assertThat(p.streams().streamsOpened()).isEqualTo(1);
        assertThat(p.streams().openStreams()).isZero();
        assertThat(p.streams().packetsSent()).isPositive();
        assertThat(p.rttSource()).isEqualTo("streams");
        assertThat(p.rttNanos()).isPositive().isLessThan(TIMEOUT.toNanos());
        assertThat(p.minRttNanos()).isPositive().isLessThanOrEqualTo(p.rttNanos());

        PeerSnapshot back = peerOf(server, client);
        assertThat(back.remoteAddress()).isEqualTo(client.localAddress());
        assertThat(back.session().handshakes()).isEqualTo(1);
        assertThat(back.streams().bytesReceived()).isEqualTo(100_000);
        assertThat(back.streams().streamsOpened()).isEqualTo(1);

        NodeSnapshot s = client.snapshot(TIMEOUT);
        assertThat(s.id()).isEqualTo(client.id());
        assertThat(s.localAddress()).isEqualTo(client.localAddress());
        assertThat(s.peers()).hasSize(1);
        assertThat(s.handshakesCompleted()).isEqualTo(1);
        assertThat(s.bytesOut()).isEqualTo(p.session().wireBytesOut());
        assertThat(s.totalDrops()).isZero();
    }

    @Test
    void nodeAndPeerMBeansAppearWithTheirAttributesAndGoAwayWithTheNode() throws Exception {
        Node server = start(NodeConfig.of(identity(), LOOPBACK, List.of()));
        Node client = start(NodeConfig.of(identity(), LOOPBACK, List.of(new PeerSpec(server.id(), server.localAddress()))));
        ObjectName clientName = new ObjectName("dev.overlay:type=Node,name=" + NodeManagement.key(client.id()));
        ObjectName peerName = new ObjectName("dev.overlay:type=Peer,node=" + NodeManagement.key(client.id())
                + ",name=" + NodeManagement.key(server.id()));
        assertThat(MBEANS.isRegistered(clientName)).isTrue();
        assertThat(MBEANS.isRegistered(peerName)).as("no peer MBean before a session").isFalse();

        echo(server, client, 10_000);
        await("the peer MBean is registered", () -> MBEANS.isRegistered(peerName));

        assertThat(MBEANS.getAttribute(clientName, "Name")).isEqualTo(client.id().name());
        assertThat(MBEANS.getAttribute(clientName, "UdpAddress")).isEqualTo(Endpoints.format(client.localAddress()));
        assertThat(MBEANS.getAttribute(clientName, "PeerCount")).isEqualTo(1);
        assertThat((Long) MBEANS.getAttribute(clientName, "BytesOut")).isGreaterThan(10_000L);
        assertThat(MBEANS.getAttribute(clientName, "StreamsOpened")).isEqualTo(1L);
        assertThat(MBEANS.getAttribute(peerName, "Name")).isEqualTo(server.id().name());
        assertThat(MBEANS.getAttribute(peerName, "Handle")).isEqualTo(server.id().handle().getHostAddress());
        assertThat(MBEANS.getAttribute(peerName, "PathKind")).isEqualTo("direct");
        assertThat(MBEANS.getAttribute(peerName, "RemoteAddress")).isEqualTo(Endpoints.format(server.localAddress()));
        assertThat(MBEANS.getAttribute(peerName, "RelayAddress")).isEqualTo("");
        assertThat(MBEANS.getAttribute(peerName, "Validated")).isEqualTo(true);
        assertThat((Double) MBEANS.getAttribute(peerName, "RttMillis")).isPositive();
        assertThat((Long) MBEANS.getAttribute(peerName, "BytesSent")).isGreaterThan(10_000L);
        assertThat((Long) MBEANS.getAttribute(peerName, "BytesReceived")).isGreaterThan(10_000L);
        assertThat(MBEANS.getAttribute(peerName, "StreamBytesSent")).isEqualTo(10_000L);
        assertThat(MBEANS.getAttribute(peerName, "StreamsOpened")).isEqualTo(1L);
        assertThat(MBEANS.getAttribute(peerName, "HandshakesCompleted")).isEqualTo(1L);
        // The MXBean's types are open types: a JMX client needs none of our classes.
        assertThat(MBEANS.getMBeanInfo(peerName).getDescriptor().getFieldValue("mxbean")).isEqualTo("true");

        client.close();
        assertThat(MBEANS.isRegistered(clientName)).isFalse();
        assertThat(MBEANS.isRegistered(peerName)).isFalse();
    }

    @Test
    void aPeerMBeanGoesAwayWhenTheNodeForgetsThePeer() throws Exception {
        // The server forgets a learned peer when its session ends: after a 2 s idle timeout here.
        SessionTimers shortIdle = SessionTimers.DEFAULTS.with("idle-timeout", Duration.ofSeconds(2));
        Node server = start(NodeConfig.of(identity(), LOOPBACK, List.of())
                .withDevice(DeviceConfig.DEFAULTS.withTimers(shortIdle)));
        Node client = start(NodeConfig.of(identity(), LOOPBACK, List.of(new PeerSpec(server.id(), server.localAddress())))
                .withManagement(false));
        ObjectName peerName = new ObjectName("dev.overlay:type=Peer,node=" + NodeManagement.key(server.id())
                + ",name=" + NodeManagement.key(client.id()));
        client.ping(server.id(), 1).get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        await("the server's peer MBean is registered", () -> MBEANS.isRegistered(peerName));

        client.close();
        await("the server's peer MBean is unregistered", () -> !MBEANS.isRegistered(peerName));
        assertThat(server.snapshot(TIMEOUT).peer(client.id())).isNull();
    }

    @Test
    void twoNodesWithOneKeyBothStartAndTheSecondMBeanGetsASuffix() throws Exception {
        Identity same = identity();
        Node first = start(NodeConfig.of(same, LOOPBACK, List.of()));
        Node second = start(NodeConfig.of(same, LOOPBACK, List.of()));
        String key = NodeManagement.key(same.id());
        ObjectName a = new ObjectName("dev.overlay:type=Node,name=" + key);
        ObjectName b = new ObjectName("dev.overlay:type=Node,name=" + key + "-2");
        assertThat(MBEANS.getAttribute(a, "UdpAddress")).isEqualTo(Endpoints.format(first.localAddress()));
        assertThat(MBEANS.getAttribute(b, "UdpAddress")).isEqualTo(Endpoints.format(second.localAddress()));
    }

    @Test
    void withManagementOffNoMBeanIsRegistered() throws Exception {
        Node n = start(NodeConfig.of(identity(), LOOPBACK, List.of()).withManagement(false));
        assertThat(MBEANS.queryNames(new ObjectName("dev.overlay:type=Node,name=" + NodeManagement.key(n.id()) + "*"), null))
                .isEmpty();
    }

    @Test
    void readingAnAttributeOfANodeWhoseLoopIsStuckFailsNamingTheTimeout() throws Exception {
        Node n = start(NodeConfig.of(identity(), LOOPBACK, List.of()));
        ObjectName name = new ObjectName("dev.overlay:type=Node,name=" + NodeManagement.key(n.id()));
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch stuck = new CountDownLatch(1);
        n.call(d -> {
            stuck.countDown();
            try {
                release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return null;
        });
        try {
            assertThat(stuck.await(10, TimeUnit.SECONDS)).isTrue();
            long t0 = System.nanoTime();
            assertThatThrownBy(() -> MBEANS.getAttribute(name, "PeerCount"))
                    .isInstanceOf(RuntimeMBeanException.class)
                    .cause().isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("did not answer a status request within 2000 ms");
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(10));
        } finally {
            release.countDown();
        }
        assertThat(MBEANS.getAttribute(name, "PeerCount")).isEqualTo(0);
    }

    @Test
    void aRecordingHoldsTheHandshakesPathChangesAndStreamOpensAndCloses() throws Exception {
        Node server = start(NodeConfig.of(identity(), LOOPBACK, List.of()).withManagement(false));
        Node client = start(NodeConfig.of(identity(), LOOPBACK, List.of(new PeerSpec(server.id(), server.localAddress())))
                .withManagement(false));
        Path file = dir.resolve("overlay.jfr");
        try (Recording r = new Recording()) {
            for (String e : List.of("dev.overlay.Handshake", "dev.overlay.PathChange", "dev.overlay.StreamOpen",
                    "dev.overlay.StreamClose")) {
                r.enable(e);
            }
            r.start();
            echo(server, client, 5_000);
            assertThatThrownBy(() -> client.connect(server.id(), 8, TIMEOUT)).isInstanceOf(StreamRefusedException.class);
            await("both sides retired the streams", () -> streamsClosed(client, server) == 2 && streamsClosed(server, client) == 1);
            r.stop();
            r.dump(file);
        }
        List<RecordedEvent> events = RecordingFile.readAllEvents(file);
        String c = client.id().name();
        String s = server.id().name();
        String serverAddress = Endpoints.format(server.localAddress());
        String clientAddress = Endpoints.format(client.localAddress());

        List<RecordedEvent> handshakes = named(events, "dev.overlay.Handshake");
        assertThat(handshakes).hasSize(2);
        RecordedEvent initiator = only(handshakes, "node", c);
        assertThat(initiator.getString("peer")).isEqualTo(s);
        assertThat(initiator.getString("role")).isEqualTo("initiator");
        assertThat(initiator.getString("outcome")).isEqualTo("established");
        assertThat(initiator.getString("pathKind")).isEqualTo("direct");
        assertThat(initiator.getString("remoteAddress")).isEqualTo(serverAddress);
        assertThat(initiator.getDuration("handshakeDuration")).isPositive();
        assertThat(initiator.getDuration("rtt")).isPositive();
        assertThat(initiator.getLong("handshakes")).isEqualTo(1);
        RecordedEvent responder = only(handshakes, "node", s);
        assertThat(responder.getString("role")).isEqualTo("responder");
        assertThat(responder.getString("remoteAddress")).isEqualTo(clientAddress);

        List<RecordedEvent> paths = named(events, "dev.overlay.PathChange");
        RecordedEvent clientPath = only(paths, "node", c);
        assertThat(clientPath.getString("peer")).isEqualTo(s);
        assertThat(clientPath.getString("pathKind")).isEqualTo("direct");
        assertThat(clientPath.getString("remoteAddress")).isEqualTo(serverAddress);
        assertThat(clientPath.getString("previousPathKind")).isEqualTo("none");
        assertThat(clientPath.getString("previousRemoteAddress")).isEmpty();
        assertThat(only(paths, "node", s).getString("remoteAddress")).isEqualTo(clientAddress);

        List<RecordedEvent> opens = named(events, "dev.overlay.StreamOpen");
        assertThat(opens).hasSize(4);
        RecordedEvent outbound = only(opens.stream().filter(e -> e.getInt("port") == 7).collect(Collectors.toList()), "node", c);
        assertThat(outbound.getString("direction")).isEqualTo("outbound");
        assertThat(outbound.getString("peer")).isEqualTo(s);
        assertThat(outbound.getString("outcome")).isEqualTo("opened");
        assertThat(outbound.getString("pathKind")).isEqualTo("direct");
        assertThat(outbound.getString("remoteAddress")).isEqualTo(serverAddress);
        assertThat(outbound.getDuration("openDuration")).isPositive();
        RecordedEvent inbound = only(opens.stream().filter(e -> e.getInt("port") == 7).collect(Collectors.toList()), "node", s);
        assertThat(inbound.getString("direction")).isEqualTo("inbound");
        assertThat(inbound.getLong("streamId")).isEqualTo(outbound.getLong("streamId"));
        RecordedEvent refused = only(opens.stream().filter(e -> e.getInt("port") == 8).collect(Collectors.toList()), "node", c);
        assertThat(refused.getString("outcome")).isEqualTo("refused: no listener on that port");
        RecordedEvent refusedHere = only(opens.stream().filter(e -> e.getInt("port") == 8).collect(Collectors.toList()), "node", s);
        assertThat(refusedHere.getString("direction")).isEqualTo("inbound");
        assertThat(refusedHere.getString("outcome")).isEqualTo("refused: no listener on that port");

        List<RecordedEvent> closes = named(events, "dev.overlay.StreamClose");
        RecordedEvent clientClose = only(closes.stream().filter(e -> e.getInt("port") == 7).collect(Collectors.toList()), "node", c);
        assertThat(clientClose.getString("outcome")).isEqualTo("closed");
        assertThat(clientClose.getLong("bytesSent")).isEqualTo(5_000);
        assertThat(clientClose.getLong("bytesReceived")).isEqualTo(5_000);
        assertThat(clientClose.getDuration("lifetime")).isPositive();
        assertThat(only(closes.stream().filter(e -> e.getInt("port") == 8).collect(Collectors.toList()), "node", c)
                .getString("outcome")).isEqualTo("refused");
        RecordedEvent serverClose = only(closes, "node", s);
        assertThat(serverClose.getString("direction")).isEqualTo("inbound");
        assertThat(serverClose.getLong("bytesReceived")).isEqualTo(5_000);
    }

    private static List<RecordedEvent> named(List<RecordedEvent> events, String name) {
        return events.stream().filter(e -> e.getEventType().getName().equals(name)).collect(Collectors.toList());
    }

    private static RecordedEvent only(List<RecordedEvent> events, String field, String value) {
        List<RecordedEvent> m = events.stream().filter(e -> value.equals(e.getString(field))).collect(Collectors.toList());
        assertThat(m).as("events with %s=%s among %s", field, value, events).hasSize(1);
        return m.get(0);
    }
}
