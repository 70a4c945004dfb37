package dev.overlay.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.overlay.identity.Identity;
import dev.overlay.node.Node;
import dev.overlay.node.NodeConfig;
import dev.overlay.node.PeerSpec;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Streams between two nodes in one JVM over real UDP on loopback, through the public API. */
class LoopbackStreamTest {
    private static final InetSocketAddress LOOPBACK = new InetSocketAddress("127.0.0.1", 0);
    private static final Duration TIMEOUT = Duration.ofSeconds(20);
    private Identity serverId;
    private Identity clientId;
    private Node server;
    private Node client;

    @BeforeEach
    void start() throws Exception {
        serverId = Identity.generate(new SecureRandom());
        clientId = Identity.generate(new SecureRandom());
        server = Node.start(NodeConfig.of(serverId, LOOPBACK, List.of()));
        client = Node.start(NodeConfig.of(clientId, LOOPBACK, List.of(new PeerSpec(serverId.id(), server.localAddress()))));
    }

    @AfterEach
    void stop() throws Exception {
        client.close();
        server.close();
    }

    @Test
    void bytesWrittenOnOneSideArriveInOrderOnTheOtherAndBack() throws Exception {
        StreamListener l = server.listen(7);
        CompletableFuture<Void> echo = CompletableFuture.runAsync(() -> {
            try (OverlayStream s = l.accept(TIMEOUT)) {
                s.getInputStream().transferTo(s.getOutputStream());
                s.shutdownOutput();
                s.awaitDelivered(TIMEOUT);
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        try (OverlayStream s = client.connect(serverId.id(), 7, TIMEOUT)) {
            s.setReadTimeout(TIMEOUT);
            s.getOutputStream().write("hello, overlay".getBytes());
            s.shutdownOutput();
            assertThat(new String(s.getInputStream().readAllBytes())).isEqualTo("hello, overlay");
            assertThat(s.peer()).isEqualTo(serverId.id());
        }
        echo.get(30, TimeUnit.SECONDS);
    }

    @Test
    void sixteenMebibytesArriveWithTheSameSha256() throws Exception {
        transferSixteenMebibytes(client, server, serverId, 9);
    }

    @Test
    void withInternetSizedDatagramsTheBulkMovesInBatchedSystemCallsBothWaysAndArrivesIntact() throws Exception {
        // 1432-byte UDP payloads (1400-byte stream packets): the size that needs send batching.
        StreamConfig small = StreamConfig.DEFAULTS.withMaxDatagramSize(1432);
        Identity a = Identity.generate(new SecureRandom());
        Identity b = Identity.generate(new SecureRandom());
        try (Node receiver = Node.start(NodeConfig.of(b, LOOPBACK, List.of()).withStreams(small));
             Node sender = Node.start(NodeConfig.of(a, LOOPBACK, List.of(new PeerSpec(b.id(), receiver.localAddress())))
                     .withStreams(small))) {
            // A node starts before JNR-FFI has loaded (the first in a JVM); batching begins once it has.
            awaitOffloadOn(sender);
            awaitOffloadOn(receiver);
            transferSixteenMebibytes(sender, receiver, b, 10);
            dev.overlay.node.NodeSnapshot s = sender.snapshot(TIMEOUT);
            assertThat(s.udpSendOffload()).isEqualTo("on");
            // 16 MiB in 1400-byte packets is about 12,000 datagrams; batches hold up to 45.
            assertThat(s.datagramsOut()).isGreaterThan(11_900);
            assertThat(s.udpSendCalls()).as("system calls for %d datagrams", s.datagramsOut())
                    .isLessThan(s.datagramsOut() / 4);
            // The receiver takes those batches whole (UDP_GRO): far fewer receive calls than datagrams.
            dev.overlay.node.NodeSnapshot r = receiver.snapshot(TIMEOUT);
            assertThat(r.udpReceiveOffload()).isEqualTo("on");
            assertThat(r.udpReceiveCalls()).as("receive calls for %d datagrams", r.datagramsIn())
                    .isLessThan(r.datagramsIn() / 4);
        }
    }

    @Test
    void withTheOffloadOffEveryDatagramIsItsOwnSystemCallBothWaysAndTheBytesStillArrive() throws Exception {
        StreamConfig small = StreamConfig.DEFAULTS.withMaxDatagramSize(1432);
        Identity a = Identity.generate(new SecureRandom());
        Identity b = Identity.generate(new SecureRandom());
        try (Node receiver = Node.start(NodeConfig.of(b, LOOPBACK, List.of()).withStreams(small).withUdpOffload(false));
             Node sender = Node.start(NodeConfig.of(a, LOOPBACK, List.of(new PeerSpec(b.id(), receiver.localAddress())))
                     .withStreams(small).withUdpOffload(false))) {
            transferSixteenMebibytes(sender, receiver, b, 11);
            dev.overlay.node.NodeSnapshot s = sender.snapshot(TIMEOUT);
            dev.overlay.node.NodeSnapshot r = receiver.snapshot(TIMEOUT);
            assertThat(s.udpSendOffload()).isEqualTo("off: disabled by configuration");
            assertThat(r.udpReceiveOffload()).isEqualTo("off: disabled by configuration");
            assertThat(s.udpSendCalls()).isEqualTo(s.datagramsOut());
            assertThat(r.udpReceiveCalls()).isEqualTo(r.datagramsIn());
        }
    }

    private static void awaitOffloadOn(Node n) throws Exception {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        dev.overlay.node.NodeSnapshot s;
        while (!(s = n.snapshot(TIMEOUT)).udpSendOffload().equals("on") || !s.udpReceiveOffload().equals("on")) {
            assertThat(s.udpSendOffload()).as("send offload").startsWith("loading");
            assertThat(System.nanoTime() - deadline).as("offload on within %s", TIMEOUT).isNegative();
            java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
        }
    }

    private static void transferSixteenMebibytes(Node from, Node to, Identity toId, int port) throws Exception {
        StreamListener l = to.listen(port);
        byte[] data = new byte[16 << 20];
        new Random(port).nextBytes(data);
        CompletableFuture<byte[]> received = CompletableFuture.supplyAsync(() -> {
            try (OverlayStream s = l.accept(TIMEOUT)) {
                s.setReadTimeout(TIMEOUT);
                MessageDigest sha = MessageDigest.getInstance("SHA-256");
                InputStream in = s.getInputStream();
                byte[] buf = new byte[65536];
                int n;
                while ((n = in.read(buf)) > 0) {
                    sha.update(buf, 0, n);
                }
                return sha.digest();
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        long t0 = System.nanoTime();
        try (OverlayStream s = from.connect(toId.id(), port, TIMEOUT)) {
            OutputStream out = s.getOutputStream();
            for (int off = 0; off < data.length; off += 1 << 20) {
                out.write(data, off, 1 << 20);
            }
            s.shutdownOutput();
            s.awaitDelivered(Duration.ofSeconds(60));
        }
        byte[] got = received.get(60, TimeUnit.SECONDS);
        double secs = (System.nanoTime() - t0) / 1e9;
        System.out.printf("16 MiB in %.2f s = %.1f MB/s%n", secs, data.length / secs / 1e6);
        assertThat(got).isEqualTo(MessageDigest.getInstance("SHA-256").digest(data));
    }

    @Test
    void connectingToAPortNobodyListensOnIsRefused() {
        assertThatThrownBy(() -> client.connect(serverId.id(), 4444, TIMEOUT))
                .isInstanceOf(StreamRefusedException.class)
                .hasMessageContaining("connection refused");
    }

    @Test
    void aKeyOutsideTheAllowListIsToldItIsNotAllowed() {
        server.listen(5432, key -> key.equals(serverId.id()));
        assertThatThrownBy(() -> client.connect(serverId.id(), 5432, TIMEOUT))
                .isInstanceOfSatisfying(StreamRefusedException.class, e -> assertThat(e.notAllowed()).isTrue())
                .hasMessageContaining("not allowed");
    }
}
