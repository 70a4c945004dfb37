package dev.overlay.nio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.overlay.identity.NodeId;
import java.io.IOException;
import java.net.ConnectException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A served port has no kernel listener, so code in the same JVM that reaches it over loopback
 * (H2's {@code Server.start()} probing its own port) is carried over the overlay by a hidden
 * loopback node; another process still finds the port closed, and {@code allow} does not shut
 * this JVM out.
 */
class LoopbackToServedPortTest {
    @TempDir
    Path dir;
    RuntimeTestNodes nodes;

    @AfterEach
    void close() throws Exception {
        if (nodes != null) {
            nodes.close();
        }
    }

    @Test
    void sameJvmLoopbackReachesTheServedPortOverTheOverlay() throws Exception {
        nodes = new RuntimeTestNodes(dir);
        String someoneElse = NodeId.of(new byte[32]).name();
        int port = freePort();
        OverlayRuntime r = nodes.runtime(nodes.options(nodes.keyFile(), "serve", String.valueOf(port), "allow", someoneElse));
        OverlaySelectorProvider provider = new OverlaySelectorProvider(r);
        assertThat(r.isOverlay(new InetSocketAddress("127.0.0.1", port))).as("served, but no server bound yet").isFalse();

        try (ServerSocketChannel server = provider.openServerSocketChannel()) {
            server.bind(new InetSocketAddress(port));
            assertThat(r.isOverlay(new InetSocketAddress("127.0.0.1", port))).isTrue();
            assertThat(r.isOverlay(new InetSocketAddress("::1", port))).isTrue();
            assertThat(Backends.ownedByAny(port)).isTrue();
            assertThat(provider.isOverlay(new InetSocketAddress("127.0.0.1", port))).isTrue();
            assertThat(r.isOverlay(new InetSocketAddress("192.0.2.1", port))).as("not loopback").isFalse();
            // Another process (here: a platform socket, not through the provider) finds it closed.
            assertThatThrownBy(() -> new Socket(InetAddress.getLoopbackAddress(), port).close())
                    .isInstanceOf(ConnectException.class);

            byte[] sent = new byte[3 << 20];
            new Random(7).nextBytes(sent);
            try (SocketChannel client = provider.openSocketChannel()) {
                assertThat(client.connect(new InetSocketAddress("127.0.0.1", port))).isTrue();
                assertThat(client.getRemoteAddress()).as("what the client asked for")
                        .isEqualTo(new InetSocketAddress("127.0.0.1", port));
                try (SocketChannel accepted = server.accept()) {
                    InetSocketAddress seen = (InetSocketAddress) accepted.getRemoteAddress();
                    assertThat(seen.getAddress()).isInstanceOf(Inet6Address.class);
                    assertThat(seen.getAddress().isLoopbackAddress()).as("the server sees loopback: " + seen).isTrue();
                    Thread writer = new Thread(() -> {
                        try {
                            ByteBuffer b = ByteBuffer.wrap(sent);
                            while (b.hasRemaining()) {
                                client.write(b);
                            }
                            client.shutdownOutput();
                        } catch (IOException e) {
                            throw new java.io.UncheckedIOException(e);
                        }
                    });
                    writer.start();
                    ByteBuffer got = ByteBuffer.allocate(sent.length + 1);
                    while (accepted.read(got) >= 0) {
                        assertThat(got.position()).isLessThanOrEqualTo(sent.length);
                    }
                    writer.join(30_000);
                    assertThat(got.flip()).isEqualTo(ByteBuffer.wrap(sent));
                    accepted.write(ByteBuffer.wrap(new byte[] {42}));
                    ByteBuffer one = ByteBuffer.allocate(1);
                    while (one.hasRemaining() && client.read(one) >= 0) {
                        // blocking channel: returns once the byte is there
                    }
                    assertThat(one.get(0)).isEqualTo((byte) 42);
                }
            }
        }
    }

    /** The same through blocking sockets (the socket hook's implementation), as H2's self-check uses. */
    @Test
    void blockingSocketsTooAndTheClientSeesWhatItAskedFor() throws Exception {
        nodes = new RuntimeTestNodes(dir);
        int port = freePort();
        OverlayRuntime r = nodes.runtime(nodes.options(nodes.keyFile(), "serve", String.valueOf(port)));
        try (java.net.ServerSocket server = new OverlayServerSocket(r, port);
             Socket client = new OverlaySocket(r, "127.0.0.1", port);
             Socket accepted = server.accept()) {
            assertThat(client.getInetAddress()).isEqualTo(InetAddress.getByName("127.0.0.1"));
            assertThat(client.getPort()).isEqualTo(port);
            assertThat(accepted.getInetAddress().isLoopbackAddress()).as(accepted.toString()).isTrue();
            client.getOutputStream().write(new byte[] {1, 2, 3});
            byte[] got = accepted.getInputStream().readNBytes(3);
            assertThat(got).containsExactly(1, 2, 3);
        }
    }

    static int freePort() throws IOException {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** Served, but no overlay server of this JVM is bound (yet, or any more): loopback reaches the kernel listener. */
    @Test
    void aServedPortWithoutAnOverlayServerLeavesLoopbackToTheKernel() throws Exception {
        nodes = new RuntimeTestNodes(dir);
        try (java.net.ServerSocket kernel = new java.net.ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
            int port = kernel.getLocalPort();
            OverlayRuntime r = nodes.runtime(nodes.options(nodes.keyFile(), "serve", String.valueOf(port)));
            OverlaySelectorProvider provider = new OverlaySelectorProvider(r);
            try (SocketChannel client = provider.openSocketChannel()) {
                assertThat(client.connect(new InetSocketAddress("127.0.0.1", port))).isTrue();
                try (Socket accepted = kernel.accept()) {
                    assertThat(accepted.getPort()).isEqualTo(((InetSocketAddress) client.getLocalAddress()).getPort());
                }
            }
            // Bound and closed again: back to the kernel.
            provider.openServerSocketChannel().bind(new InetSocketAddress(port)).close();
            assertThat(r.isOverlay(new InetSocketAddress("127.0.0.1", port))).isFalse();
        }
    }

    @Test
    void aLoopbackConnectionToAPortNotServedStaysOnTheKernel() throws Exception {
        nodes = new RuntimeTestNodes(dir);
        OverlayRuntime r = nodes.runtime(nodes.options(nodes.keyFile(), "serve", "7413"));
        OverlaySelectorProvider provider = new OverlaySelectorProvider(r);
        try (java.net.ServerSocket kernel = new java.net.ServerSocket(0, 5, InetAddress.getLoopbackAddress());
             SocketChannel client = provider.openSocketChannel()) {
            assertThat(client.connect(new InetSocketAddress("127.0.0.1", kernel.getLocalPort()))).isTrue();
            try (Socket accepted = kernel.accept()) {
                assertThat(accepted.getPort()).isEqualTo(((InetSocketAddress) client.getLocalAddress()).getPort());
            }
        }
    }
}
