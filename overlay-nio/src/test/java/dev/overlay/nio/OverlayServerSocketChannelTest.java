package dev.overlay.nio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.BindException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.StandardSocketOptions;
import java.nio.channels.AlreadyBoundException;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.NotYetBoundException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Server channels of the overlay provider: served ports accept overlay streams only. */
class OverlayServerSocketChannelTest {
    private static TwoNodes nodes;
    private final List<AutoCloseable> toClose = new ArrayList<>();

    @BeforeAll
    static void startNodes() throws IOException {
        nodes = new TwoNodes();
    }

    @AfterAll
    static void stopNodes() throws IOException {
        nodes.close();
    }

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : toClose) {
            c.close();
        }
    }

    private <T extends AutoCloseable> T later(T c) {
        toClose.add(c);
        return c;
    }

    @Test
    void aServedPortOpensNoKernelPort() throws Exception {
        int port = nodes.servePort();
        ServerSocketChannel server = later(nodes.provider.openServerSocketChannel());
        server.bind(new InetSocketAddress(port));
        assertThat(server.getLocalAddress()).isEqualTo(new InetSocketAddress(nodes.backend.localHandle(), port));
        assertThat(server.socket().getLocalPort()).isEqualTo(port);
        assertThat(server.socket().isBound()).isTrue();
        // Nothing listens on the kernel: a TCP connect to that port is refused.
        try (SocketChannel tcp = OverlaySelectorProvider.platform().openSocketChannel()) {
            assertThatThrownBy(() -> tcp.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port)))
                    .isInstanceOf(ConnectException.class);
        }
        assertThatThrownBy(() -> server.bind(new InetSocketAddress(port))).isInstanceOf(AlreadyBoundException.class);
    }

    @Test
    void oneServerChannelPerServedPortAndRefusedOnceClosed() throws Exception {
        int port = nodes.servePort();
        ServerSocketChannel first = nodes.provider.openServerSocketChannel();
        first.bind(new InetSocketAddress(port));
        ServerSocketChannel second = later(nodes.provider.openServerSocketChannel());
        assertThatThrownBy(() -> second.bind(new InetSocketAddress(port))).isInstanceOf(BindException.class);
        first.close();
        SocketChannel refused = later(nodes.provider.openSocketChannel());
        assertThatThrownBy(() -> refused.connect(nodes.serverAddress(port))).isInstanceOf(ConnectException.class);

        second.bind(new InetSocketAddress(port)); // free again; the backend gives a new listener
        Bg<SocketChannel> accepting = Bg.start("accept", second::accept);
        SocketChannel client = later(nodes.provider.openSocketChannel());
        assertThat(client.connect(nodes.serverAddress(port))).isTrue();
        later(accepting.get());
    }

    @Test
    void oneOwnerPerServedPortAcrossServerSocketsAndChannels() throws Exception {
        int port = nodes.servePort();
        OverlayServerSocketFactory factory = new OverlayServerSocketFactory(nodes.backend);
        ServerSocket owner = factory.createServerSocket(port);
        // A second ServerSocket, or a channel, cannot take the port; the failed probes leave the owner intact.
        assertThatThrownBy(() -> later(factory.createServerSocket(port))).isInstanceOf(BindException.class)
                .hasMessageContaining("port " + port + " is already bound on the overlay");
        ServerSocketChannel probe = later(nodes.provider.openServerSocketChannel());
        assertThatThrownBy(() -> probe.bind(new InetSocketAddress(port))).isInstanceOf(BindException.class)
                .hasMessageContaining("port " + port + " is already bound on the overlay");
        probe.close();
        owner.setSoTimeout((int) Bg.STEP.toMillis());
        Bg<Socket> accepting = Bg.start("accept", owner::accept).awaitBlocked();
        SocketChannel client = later(nodes.provider.openSocketChannel());
        assertThat(client.connect(nodes.serverAddress(port))).isTrue();
        later(accepting.get());

        // Closed: connections are refused (not left hanging), and the port is free for the next owner.
        owner.close();
        SocketChannel refused = later(nodes.provider.openSocketChannel());
        assertThatThrownBy(() -> refused.connect(nodes.serverAddress(port))).isInstanceOf(ConnectException.class);
        ServerSocketChannel next = later(nodes.provider.openServerSocketChannel());
        next.bind(new InetSocketAddress(port));
        assertThatThrownBy(() -> later(factory.createServerSocket(port))).isInstanceOf(BindException.class);
        next.close();
        later(factory.createServerSocket(port)).close();
    }

    @Test
    void otherPortsAreKernelPorts() throws Exception {
        ServerSocketChannel ephemeral = later(nodes.provider.openServerSocketChannel());
        ephemeral.bind(null);
        assertThat(((InetSocketAddress) ephemeral.getLocalAddress()).getPort()).isPositive();
        int unserved = nodes.unusedPort();
        ServerSocketChannel fixed = later(nodes.provider.openServerSocketChannel());
        fixed.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), unserved));
        try (SocketChannel tcp = OverlaySelectorProvider.platform().openSocketChannel()) {
            assertThat(tcp.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), unserved))).isTrue();
            SocketChannel accepted = later(fixed.accept());
            assertThat(((OverlaySocketChannel) accepted).overlayPeer()).isNull();
            assertThat(accepted.getRemoteAddress()).isEqualTo(tcp.getLocalAddress());
        }
    }

    @Test
    void optionsAndStateOfAnOverlayServer() throws Exception {
        ServerSocketChannel server = later(nodes.provider.openServerSocketChannel());
        server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
        assertThatThrownBy(server::accept).isInstanceOf(NotYetBoundException.class);
        server.bind(new InetSocketAddress(nodes.servePort()));
        assertThat(server.getOption(StandardSocketOptions.SO_REUSEADDR)).isTrue();
        server.setOption(StandardSocketOptions.SO_RCVBUF, 1 << 16);
        assertThat(server.getOption(StandardSocketOptions.SO_RCVBUF)).isEqualTo(1 << 16);
        assertThatThrownBy(() -> server.getOption(StandardSocketOptions.TCP_NODELAY))
                .isInstanceOf(UnsupportedOperationException.class);
        server.configureBlocking(false);
        assertThat(server.accept()).isNull();
        assertThat(server.validOps()).isEqualTo(SelectionKey.OP_ACCEPT);
    }

    @Test
    void serverSocketAdaptorAcceptsWithATimeout() throws Exception {
        ServerSocketChannel server = later(nodes.provider.openServerSocketChannel());
        ServerSocket adaptor = server.socket();
        assertThat(adaptor.getChannel()).isSameAs(server);
        assertThat(adaptor.isBound()).isFalse();
        int port = nodes.servePort();
        adaptor.bind(new InetSocketAddress(port));
        adaptor.setSoTimeout(300);
        long t0 = System.nanoTime();
        assertThatThrownBy(adaptor::accept).isInstanceOf(SocketTimeoutException.class);
        assertThat((System.nanoTime() - t0) / 1_000_000).isGreaterThanOrEqualTo(280);
        assertThat(server.isOpen()).isTrue();
        adaptor.setSoTimeout(0);
        Bg<Socket> accepting = Bg.start("accept", adaptor::accept);
        SocketChannel client = later(nodes.provider.openSocketChannel());
        client.connect(nodes.serverAddress(port));
        Socket accepted = later(accepting.get());
        assertThat(accepted.getChannel()).isInstanceOf(OverlaySocketChannel.class);
        assertThat(accepted.getInetAddress()).isEqualTo(nodes.clientId.id().handle());
        assertThat(accepted.getLocalPort()).isEqualTo(port);
        assertThat(adaptor.toString()).contains("localport=" + port);
    }

    @Test
    void closeAndInterruptEndABlockedAccept() throws Exception {
        ServerSocketChannel closed = later(nodes.provider.openServerSocketChannel());
        closed.bind(new InetSocketAddress(nodes.servePort()));
        Bg<SocketChannel> a = Bg.start("accept", closed::accept).awaitBlocked();
        closed.close();
        assertThat(a.failure()).isInstanceOf(AsynchronousCloseException.class);

        ServerSocketChannel interrupted = later(nodes.provider.openServerSocketChannel());
        interrupted.bind(new InetSocketAddress(nodes.servePort()));
        Bg<SocketChannel> b = Bg.start("accept", interrupted::accept).awaitBlocked();
        b.thread().interrupt();
        assertThat(b.failure()).isInstanceOf(ClosedByInterruptException.class);
        assertThat(interrupted.isOpen()).isFalse();
    }

    @Test
    void aListenerClosedUnderneathEndsBlockedAndSelectedAccepts() throws Exception {
        int port = nodes.servePort();
        ServerSocketChannel blocking = later(nodes.provider.openServerSocketChannel());
        blocking.bind(new InetSocketAddress(port));
        Bg<SocketChannel> accepting = Bg.start("accept", blocking::accept).awaitBlocked();
        nodes.backend.listeners.get(port).close(); // as when the runtime stops
        assertThat(accepting.failure()).isInstanceOf(java.net.SocketException.class).hasMessageContaining("closed");

        int other = nodes.servePort();
        ServerSocketChannel selected = later(nodes.provider.openServerSocketChannel());
        selected.bind(new InetSocketAddress(other));
        selected.configureBlocking(false);
        Selector selector = later(nodes.provider.openSelector());
        SelectionKey key = selected.register(selector, SelectionKey.OP_ACCEPT);
        assertThat(selector.selectNow()).isZero();
        nodes.backend.listeners.get(other).close();
        assertThat(selector.select(Bg.STEP.toMillis())).isEqualTo(1);
        assertThat(key.isAcceptable()).isTrue();
        assertThatThrownBy(selected::accept).isInstanceOf(java.net.SocketException.class);
        // Reported once: a dispatcher loop does not spin on a key whose accept() throws.
        selector.selectedKeys().clear();
        assertThat(selector.selectNow()).isZero();
        assertThat(selector.selectNow()).isZero();
        assertThatThrownBy(selected::accept).isInstanceOf(java.net.SocketException.class);
    }

    @Test
    void registeredBeforeBindingAsNettyDoes() throws Exception {
        Selector selector = later(nodes.provider.openSelector());
        ServerSocketChannel server = later(nodes.provider.openServerSocketChannel());
        server.configureBlocking(false);
        SelectionKey key = server.register(selector, 0);
        int port = nodes.servePort();
        server.bind(new InetSocketAddress(port));
        key.interestOps(SelectionKey.OP_ACCEPT);
        assertThat(selector.selectNow()).isZero();

        SocketChannel client = later(nodes.provider.openSocketChannel());
        Bg<Boolean> connecting = Bg.start("connect", () -> client.connect(nodes.serverAddress(port)));
        assertThat(selector.select(Bg.STEP.toMillis())).isEqualTo(1);
        assertThat(key.isAcceptable()).isTrue();
        SocketChannel accepted = later(server.accept());
        assertThat(accepted).isNotNull();
        assertThat(accepted.isBlocking()).isTrue();
        assertThat(connecting.get()).isTrue();
        selector.selectedKeys().clear();
        assertThat(selector.selectNow()).isZero();
        assertThat(server.accept()).isNull();
    }

    // ------------------------------------------------------------------ the process runtime

    @TempDir
    Path dir;

    /** Runs {@code body} with only the given overlay.* system properties and no process runtime. */
    private static void withOverlayProperties(Properties set, ThrowingRunnable body) throws Exception {
        Properties saved = new Properties();
        for (String name : System.getProperties().stringPropertyNames()) {
            if (name.startsWith(OverlayConfig.PROPERTY_PREFIX)) {
                saved.setProperty(name, System.getProperty(name));
                System.clearProperty(name);
            }
        }
        OverlayRuntime.reset();
        try {
            for (String name : set.stringPropertyNames()) {
                System.setProperty(name, set.getProperty(name));
            }
            body.run();
        } finally {
            OverlayRuntime.reset();
            for (String name : set.stringPropertyNames()) {
                System.clearProperty(name);
            }
            for (String name : saved.stringPropertyNames()) {
                System.setProperty(name, saved.getProperty(name));
            }
        }
    }

    interface ThrowingRunnable {
        void run() throws Exception;
    }

    private static int freeTcpPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static void bindKernelServers(int port) throws Exception {
        OverlaySelectorProvider processProvider = new OverlaySelectorProvider();
        InetSocketAddress local = new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
        try (ServerSocketChannel channel = processProvider.openServerSocketChannel()) {
            channel.bind(local);
            assertThat(channel.getLocalAddress()).isEqualTo(local);
        }
        try (ServerSocket socket = new OverlayServerSocketFactory().createServerSocket(port, 1, local.getAddress())) {
            assertThat(socket.getLocalPort()).isEqualTo(port);
            try (Socket tcp = new Socket(local.getAddress(), port); Socket accepted = socket.accept()) {
                assertThat(accepted.getPort()).isEqualTo(tcp.getLocalPort());
            }
        }
    }

    @Test
    void kernelServersOnFixedPortsNeverStartTheRuntime() throws Exception {
        // No overlay configuration at all: the runtime could not start ('identity' is not set), and need not.
        withOverlayProperties(new Properties(), () -> {
            bindKernelServers(freeTcpPort());
            assertThat(OverlayRuntime.current()).isNull();
        });
        // A configuration serving another port: a kernel bind starts no node and creates no key file.
        Path key = dir.resolve("node.key");
        int served = nodes.unusedPort();
        Properties props = new Properties();
        props.setProperty("overlay.identity", key.toString());
        props.setProperty("overlay.bind", "127.0.0.1:0");
        props.setProperty("overlay.serve", String.valueOf(served));
        withOverlayProperties(props, () -> {
            bindKernelServers(freeTcpPort());
            assertThat(OverlayRuntime.current()).isNull();
            assertThat(Files.exists(key)).isFalse();
            // Only the served port needs the runtime.
            try (ServerSocketChannel channel = new OverlaySelectorProvider().openServerSocketChannel()) {
                channel.bind(new InetSocketAddress(served));
                assertThat(OverlayRuntime.current()).isNotNull();
                assertThat(channel.getLocalAddress()).isEqualTo(
                        new InetSocketAddress(OverlayRuntime.current().localHandle(), served));
            }
        });
        // A runtime that cannot start fails served ports only.
        Properties broken = new Properties();
        broken.setProperty("overlay.serve", String.valueOf(served));
        withOverlayProperties(broken, () -> {
            bindKernelServers(freeTcpPort());
            try (ServerSocketChannel channel = new OverlaySelectorProvider().openServerSocketChannel()) {
                assertThatThrownBy(() -> channel.bind(new InetSocketAddress(served)))
                        .isInstanceOf(IOException.class).hasMessageContaining("'identity' is not set");
            }
            assertThatThrownBy(() -> new OverlayServerSocketFactory().createServerSocket(served))
                    .isInstanceOf(IOException.class).hasMessageContaining("'identity' is not set");
            bindKernelServers(freeTcpPort()); // the recorded failure does not break kernel servers
        });
    }
}
