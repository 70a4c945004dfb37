package dev.overlay.nio;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.AlreadyBoundException;
import java.nio.channels.AlreadyConnectedException;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ConnectionPendingException;
import java.nio.channels.IllegalBlockingModeException;
import java.nio.channels.NoConnectionPendingException;
import java.nio.channels.NotYetConnectedException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Overlay socket channels through {@link OverlaySelectorProvider}, and its kernel wrapper. */
class OverlaySocketChannelTest {
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

    /** A server channel bound to a fresh served port, and its address. */
    private ServerSocketChannel server() throws IOException {
        ServerSocketChannel s = later(nodes.provider.openServerSocketChannel());
        s.bind(new InetSocketAddress(nodes.servePort()));
        return s;
    }

    private static InetSocketAddress addressOf(ServerSocketChannel s) throws IOException {
        return nodes.serverAddress(((InetSocketAddress) s.getLocalAddress()).getPort());
    }

    private record Pair(SocketChannel client, SocketChannel accepted) {}

    private Pair pair() throws Exception {
        ServerSocketChannel server = server();
        Bg<SocketChannel> accepting = Bg.start("accept", server::accept);
        SocketChannel client = later(nodes.provider.openSocketChannel());
        assertThat(client.connect(addressOf(server))).isTrue();
        return new Pair(client, later(accepting.get()));
    }

    private static ByteBuffer ascii(String s) {
        return ByteBuffer.wrap(s.getBytes(US_ASCII));
    }

    private static String readExactly(SocketChannel ch, int n) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(n);
        while (b.hasRemaining()) {
            if (ch.read(b) < 0) {
                throw new IOException("end of stream after " + b.position() + " bytes");
            }
        }
        return new String(b.array(), US_ASCII);
    }

    // ------------------------------------------------------------------ connect

    @Test
    void blockingConnectGivesHandlesKeysAndData() throws Exception {
        ServerSocketChannel server = server();
        InetSocketAddress address = addressOf(server);
        assertThat(((InetSocketAddress) server.getLocalAddress()).getAddress()).isEqualTo(nodes.backend.localHandle());
        Bg<SocketChannel> accepting = Bg.start("accept", server::accept);

        OverlaySocketChannel client = (OverlaySocketChannel) later(nodes.provider.openSocketChannel());
        assertThat(client.overlayPeer()).isNull();
        assertThat(client.connect(address)).isTrue();
        assertThat(client.isConnected()).isTrue();
        assertThat(client.isConnectionPending()).isFalse();
        assertThat(client.finishConnect()).isTrue();
        assertThat(client.getRemoteAddress()).isEqualTo(address);
        assertThat(client.overlayPeer()).isEqualTo(nodes.serverId.id());
        assertThat(Overlay.peerKey(client)).isEqualTo(nodes.serverId.id());
        assertThat(Overlay.peerKey(client.socket())).isEqualTo(nodes.serverId.id());
        InetSocketAddress local = (InetSocketAddress) client.getLocalAddress();
        assertThat(local.getAddress()).isEqualTo(nodes.clientId.id().handle());

        OverlaySocketChannel accepted = (OverlaySocketChannel) later(accepting.get());
        assertThat(accepted.provider()).isSameAs(nodes.provider);
        assertThat(accepted.isBlocking()).isTrue();
        assertThat(accepted.overlayPeer()).isEqualTo(nodes.clientId.id());
        assertThat(Overlay.peerKey(accepted.socket())).isEqualTo(nodes.clientId.id());
        assertThat(accepted.getRemoteAddress()).isEqualTo(local); // both ends agree on the client's port
        assertThat(((InetSocketAddress) accepted.getLocalAddress()).getPort()).isEqualTo(address.getPort());

        assertThat(client.write(ascii("hello"))).isEqualTo(5);
        assertThat(readExactly(accepted, 5)).isEqualTo("hello");
        assertThat(accepted.write(ascii("world"))).isEqualTo(5);
        assertThat(readExactly(client, 5)).isEqualTo("world");
        assertThat(nodes.client.streamConfig()).isNotNull();
    }

    @Test
    void connectsByNameAsAnUnresolvedAddress() throws Exception {
        ServerSocketChannel server = server();
        int port = ((InetSocketAddress) server.getLocalAddress()).getPort();
        Bg<SocketChannel> accepting = Bg.start("accept", server::accept);
        SocketChannel client = later(nodes.provider.openSocketChannel());
        assertThat(client.connect(InetSocketAddress.createUnresolved(nodes.serverId.id().name(), port))).isTrue();
        assertThat(client.getRemoteAddress()).isEqualTo(nodes.serverAddress(port));
        later(accepting.get());
    }

    @Test
    void nonBlockingConnectCompletesThroughTheSelector() throws Exception {
        ServerSocketChannel server = server();
        Bg<SocketChannel> accepting = Bg.start("accept", server::accept);
        Selector selector = later(nodes.provider.openSelector());
        SocketChannel client = later(nodes.provider.openSocketChannel());
        client.configureBlocking(false);
        // Registered before connecting, as Netty does: the key moves to the overlay side.
        SelectionKey key = client.register(selector, 0);
        assertThat(client.connect(addressOf(server))).isFalse();
        assertThat(client.isConnectionPending()).isTrue();
        assertThat(client.isConnected()).isFalse();
        assertThatThrownBy(() -> client.connect(addressOf(server))).isInstanceOf(ConnectionPendingException.class);
        assertThatThrownBy(() -> client.read(ByteBuffer.allocate(1))).isInstanceOf(NotYetConnectedException.class);
        key.interestOps(SelectionKey.OP_CONNECT);
        assertThat(selector.select(Bg.STEP.toMillis())).isEqualTo(1);
        assertThat(selector.selectedKeys()).containsExactly(key);
        assertThat(key.isConnectable()).isTrue();
        assertThat(client.finishConnect()).isTrue();
        assertThat(client.isConnected()).isTrue();
        selector.selectedKeys().clear();
        later(accepting.get());
        // Connected with room to send: writable.
        key.interestOps(SelectionKey.OP_WRITE);
        assertThat(selector.selectNow()).isEqualTo(1);
        assertThat(key.readyOps()).isEqualTo(SelectionKey.OP_WRITE);
    }

    @Test
    void refusedConnectsCloseTheChannel() throws Exception {
        SocketChannel blocking = later(nodes.provider.openSocketChannel());
        assertThatThrownBy(() -> blocking.connect(nodes.serverAddress(nodes.unusedPort())))
                .isInstanceOf(ConnectException.class).hasMessageContaining("refused");
        assertThat(blocking.isOpen()).isFalse();

        Selector selector = later(nodes.provider.openSelector());
        SocketChannel nonBlocking = later(nodes.provider.openSocketChannel());
        nonBlocking.configureBlocking(false);
        assertThat(nonBlocking.connect(nodes.serverAddress(nodes.unusedPort()))).isFalse();
        SelectionKey key = nonBlocking.register(selector, SelectionKey.OP_CONNECT);
        assertThat(selector.select(Bg.STEP.toMillis())).isEqualTo(1);
        assertThatThrownBy(nonBlocking::finishConnect).isInstanceOf(ConnectException.class);
        assertThat(nonBlocking.isOpen()).isFalse();
        assertThat(key.isValid()).isFalse();
    }

    @Test
    void aKeyTheListenerDoesNotAdmitIsRefused() throws Exception {
        ServerSocketChannel server = server();
        server.configureBlocking(false);
        nodes.backend.allow = key -> false;
        try {
            SocketChannel client = later(nodes.provider.openSocketChannel());
            assertThatThrownBy(() -> client.connect(addressOf(server)))
                    .isInstanceOf(ConnectException.class).hasMessageContaining("not allowed");
            assertThat(server.accept()).isNull(); // the server never saw it
        } finally {
            nodes.backend.allow = key -> true;
        }
    }

    @Test
    void unknownHandlesAndBadNamesFail() throws Exception {
        SocketChannel a = later(nodes.provider.openSocketChannel());
        InetAddress stranger = dev.overlay.identity.Identity.generate(new java.security.SecureRandom()).id().handle();
        assertThatThrownBy(() -> a.connect(new InetSocketAddress(stranger, 80)))
                .isInstanceOf(ConnectException.class).hasMessageContaining("no key known");
        assertThat(a.isOpen()).isFalse();
        SocketChannel b = later(nodes.provider.openSocketChannel());
        assertThatThrownBy(() -> b.connect(InetSocketAddress.createUnresolved("not-a-key.overlay", 80)))
                .isInstanceOf(java.net.UnknownHostException.class);
        assertThat(b.isOpen()).isFalse();
    }

    @Test
    void stateErrorsAsTheJdkThrowsThem() throws Exception {
        SocketChannel unconnected = later(nodes.provider.openSocketChannel());
        assertThatThrownBy(unconnected::finishConnect).isInstanceOf(NoConnectionPendingException.class);
        assertThatThrownBy(() -> unconnected.read(ByteBuffer.allocate(1))).isInstanceOf(NotYetConnectedException.class);

        Pair p = pair();
        assertThatThrownBy(() -> p.client().connect(nodes.serverAddress(1))).isInstanceOf(AlreadyConnectedException.class);
        assertThatThrownBy(() -> p.client().bind(null)).isInstanceOf(AlreadyBoundException.class);
        assertThatThrownBy(() -> p.client().read(ByteBuffer.allocate(4).asReadOnlyBuffer()))
                .isInstanceOf(IllegalArgumentException.class);
        p.client().close();
        assertThat(p.client().isConnected()).isFalse();
        assertThatThrownBy(() -> p.client().read(ByteBuffer.allocate(1))).isInstanceOf(ClosedChannelException.class);
        assertThatThrownBy(() -> p.client().write(ascii("x"))).isInstanceOf(ClosedChannelException.class);
        assertThatThrownBy(p.client()::getRemoteAddress).isInstanceOf(ClosedChannelException.class);
        assertThatThrownBy(() -> p.client().getOption(StandardSocketOptions.TCP_NODELAY))
                .isInstanceOf(ClosedChannelException.class);
        p.client().close();
    }

    // ------------------------------------------------------------------ data and half-close

    @Test
    void scatteringReadsAndGatheringWrites() throws Exception {
        Pair p = pair();
        ByteBuffer[] out = {ascii("ab"), ByteBuffer.allocate(0), ascii("cdef")};
        assertThat(p.client().write(out, 0, 3)).isEqualTo(6);
        ByteBuffer[] in = {ByteBuffer.allocate(1), ByteBuffer.allocate(0), ByteBuffer.allocate(5)};
        long n = 0;
        while (n < 6) {
            n += p.accepted().read(in);
        }
        assertThat(new String(in[0].array(), US_ASCII) + new String(in[2].array(), US_ASCII)).isEqualTo("abcdef");
    }

    @Test
    void bulkTransferInBothModes() throws Exception {
        Pair p = pair();
        int size = 3 << 20;
        Bg<Long> reader = Bg.start("reader", () -> {
            ByteBuffer b = ByteBuffer.allocate(64 * 1024);
            long total = 0;
            long sum = 0;
            int n;
            while ((n = p.accepted().read(b)) >= 0) {
                b.flip();
                while (b.hasRemaining()) {
                    sum += (b.get() & 0xff) ^ (total++ & 0xff);
                }
                b.clear();
            }
            return sum == 0 ? total : -1;
        });
        ByteBuffer data = ByteBuffer.allocate(size);
        for (int i = 0; i < size; i++) {
            data.put((byte) i);
        }
        data.flip();
        assertThat(p.client().write(data)).isEqualTo(size); // a blocking write takes everything
        p.client().shutdownOutput();
        assertThat(reader.get()).isEqualTo(size);
    }

    @Test
    void halfCloseBothWays() throws Exception {
        Pair p = pair();
        p.client().write(ascii("last"));
        p.client().shutdownOutput();
        p.client().shutdownOutput(); // again: nothing
        assertThat(p.client().socket().isOutputShutdown()).isTrue();
        assertThatThrownBy(() -> p.client().write(ascii("x"))).isInstanceOf(ClosedChannelException.class);
        assertThat(readExactly(p.accepted(), 4)).isEqualTo("last");
        assertThat(p.accepted().read(ByteBuffer.allocate(4))).isEqualTo(-1);
        p.accepted().write(ascii("back"));
        assertThat(readExactly(p.client(), 4)).isEqualTo("back");

        p.accepted().shutdownInput();
        assertThat(p.accepted().socket().isInputShutdown()).isTrue();
        assertThat(p.accepted().read(ByteBuffer.allocate(4))).isEqualTo(-1);
    }

    @Test
    void nonBlockingReadsZeroThenEndOfStream() throws Exception {
        Pair p = pair();
        p.client().configureBlocking(false);
        assertThat(p.client().read(ByteBuffer.allocate(8))).isZero();
        Selector selector = later(nodes.provider.openSelector());
        SelectionKey key = p.client().register(selector, SelectionKey.OP_READ);
        p.accepted().close();
        assertThat(selector.select(Bg.STEP.toMillis())).isEqualTo(1);
        assertThat(key.isReadable()).isTrue();
        assertThat(p.client().read(ByteBuffer.allocate(8))).isEqualTo(-1);
    }

    @Test
    void lingerZeroResetsThePeer() throws Exception {
        Pair p = pair();
        p.client().setOption(StandardSocketOptions.SO_LINGER, 0);
        p.client().close();
        Throwable failure = Bg.start("peer read", () -> p.accepted().read(ByteBuffer.allocate(8))).failure();
        assertThat(failure).isInstanceOf(SocketException.class).hasMessageContaining("reset");
    }

    // ------------------------------------------------------------------ options

    @Test
    void optionsSetBeforeConnectingAreKeptAndValidated() throws Exception {
        ServerSocketChannel server = server();
        Bg<SocketChannel> accepting = Bg.start("accept", server::accept);
        SocketChannel client = later(nodes.provider.openSocketChannel());
        client.setOption(StandardSocketOptions.TCP_NODELAY, true);
        client.setOption(StandardSocketOptions.SO_KEEPALIVE, true);
        client.connect(addressOf(server));
        later(accepting.get());
        assertThat(client.getOption(StandardSocketOptions.TCP_NODELAY)).isTrue();
        assertThat(client.getOption(StandardSocketOptions.SO_KEEPALIVE)).isTrue();
        assertThat(client.getOption(StandardSocketOptions.SO_RCVBUF)).isPositive();
        assertThat(client.supportedOptions()).contains(StandardSocketOptions.TCP_NODELAY, StandardSocketOptions.SO_LINGER);
        client.setOption(StandardSocketOptions.SO_LINGER, 100_000);
        assertThat(client.getOption(StandardSocketOptions.SO_LINGER)).isEqualTo(65535);
        assertThatThrownBy(() -> client.setOption(StandardSocketOptions.SO_RCVBUF, -1))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> client.setOption(StandardSocketOptions.IP_TOS, 256))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> client.getOption(StandardSocketOptions.IP_MULTICAST_LOOP))
                .isInstanceOf(UnsupportedOperationException.class);
        Socket s = client.socket();
        s.setTcpNoDelay(false);
        assertThat(s.getTcpNoDelay()).isFalse();
        s.setSoLinger(true, 5);
        assertThat(s.getSoLinger()).isEqualTo(5);
    }

    // ------------------------------------------------------------------ socket adaptor

    @Test
    void socketAdaptorConnectsWithATimeoutAndStreams() throws Exception {
        ServerSocketChannel server = server();
        InetSocketAddress address = addressOf(server);
        Bg<SocketChannel> accepting = Bg.start("accept", server::accept);
        SocketChannel client = later(nodes.provider.openSocketChannel());
        Socket socket = client.socket();
        assertThat(socket.getChannel()).isSameAs(client);
        assertThat(client.socket()).isSameAs(socket);
        assertThat(socket.isConnected()).isFalse();
        socket.connect(address, 5_000);
        assertThat(socket.isConnected()).isTrue();
        assertThat(socket.getInetAddress()).isEqualTo(address.getAddress());
        assertThat(socket.getPort()).isEqualTo(address.getPort());
        assertThat(socket.getLocalAddress()).isEqualTo(nodes.clientId.id().handle());
        assertThat(socket.toString()).contains("port=" + address.getPort());
        SocketChannel accepted = later(accepting.get());

        socket.setSoTimeout(300);
        InputStream in = socket.getInputStream();
        long t0 = System.nanoTime();
        assertThatThrownBy(in::read).isInstanceOf(SocketTimeoutException.class);
        assertThat((System.nanoTime() - t0) / 1_000_000).isGreaterThanOrEqualTo(280);
        assertThat(client.isOpen()).isTrue();
        accepted.write(ascii("z"));
        assertThat(in.read()).isEqualTo('z');

        OutputStream out = socket.getOutputStream();
        out.write("via adaptor".getBytes(US_ASCII));
        assertThat(readExactly(accepted, 11)).isEqualTo("via adaptor");
        assertThat(accepted.socket().getInputStream().available()).isZero();

        client.configureBlocking(false);
        assertThatThrownBy(in::read).isInstanceOf(IllegalBlockingModeException.class);
        client.configureBlocking(true);
        in.close(); // closes the socket, as the JDK's does
        assertThat(client.isOpen()).isFalse();
        assertThat(socket.isClosed()).isTrue();
    }

    @Test
    void socketAdaptorConnectTimeoutClosesTheChannel() throws Exception {
        SocketChannel client = later(nodes.provider.openSocketChannel());
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> client.socket().connect(new InetSocketAddress(nodes.blackHole.handle(), 80), 300))
                .isInstanceOf(SocketTimeoutException.class);
        assertThat((System.nanoTime() - t0) / 1_000_000).isGreaterThanOrEqualTo(280);
        assertThat(client.isOpen()).isFalse();
    }

    // ------------------------------------------------------------------ close and interrupt

    @Test
    void closeFromAnotherThreadEndsBlockedReadWriteAndConnect() throws Exception {
        Pair p = pair();
        Bg<Integer> reader = Bg.start("read", () -> p.client().read(ByteBuffer.allocate(8))).awaitBlocked();
        p.client().close();
        assertThat(reader.failure()).isInstanceOf(AsynchronousCloseException.class);
        assertThat(Bg.start("peer read", () -> p.accepted().read(ByteBuffer.allocate(8))).get()).isEqualTo(-1);

        Pair q = pair();
        q.client().configureBlocking(false);
        ByteBuffer chunk = ByteBuffer.allocate(256 * 1024);
        while (q.client().write(chunk.clear()) > 0) {
            // fill the send buffer and the peer's window
        }
        q.client().configureBlocking(true);
        Bg<Integer> writer = Bg.start("write", () -> q.client().write(ByteBuffer.allocate(1 << 20))).awaitBlocked();
        q.client().close();
        assertThat(writer.failure()).isInstanceOf(AsynchronousCloseException.class);

        SocketChannel c = later(nodes.provider.openSocketChannel());
        Bg<Boolean> connecting = Bg.start("connect", () -> c.connect(new InetSocketAddress(nodes.blackHole.handle(), 80)))
                .awaitBlocked();
        assertThat(c.isConnectionPending()).isTrue();
        c.close();
        assertThat(connecting.failure()).isInstanceOf(AsynchronousCloseException.class);
    }

    @Test
    void interruptsCloseTheChannel() throws Exception {
        Pair p = pair();
        Bg<Boolean> reader = Bg.start("read", () -> {
            try {
                p.client().read(ByteBuffer.allocate(8));
                return false;
            } catch (ClosedByInterruptException e) {
                return Thread.currentThread().isInterrupted();
            }
        }).awaitBlocked();
        reader.thread().interrupt();
        assertThat(reader.get()).isTrue();
        assertThat(p.client().isOpen()).isFalse();

        Pair q = pair();
        q.accepted().write(ascii("data"));
        Throwable pending = Bg.start("read with interrupt set", () -> {
            Thread.currentThread().interrupt();
            return q.client().read(ByteBuffer.allocate(8));
        }).failure();
        assertThat(pending).isInstanceOf(ClosedByInterruptException.class);
        assertThat(q.client().isOpen()).isFalse();

        SocketChannel c = later(nodes.provider.openSocketChannel());
        Bg<Boolean> connecting = Bg.start("connect", () -> c.connect(new InetSocketAddress(nodes.blackHole.handle(), 80)))
                .awaitBlocked();
        connecting.thread().interrupt();
        assertThat(connecting.failure()).isInstanceOf(ClosedByInterruptException.class);
        assertThat(c.isOpen()).isFalse();
    }

    @Test
    void virtualThreadsBlockedInOverlayReadsReleaseTheirCarriers() throws Exception {
        java.lang.reflect.Method factory;
        try {
            factory = java.util.concurrent.Executors.class.getMethod("newVirtualThreadPerTaskExecutor");
        } catch (NoSuchMethodException e) {
            org.junit.jupiter.api.Assumptions.abort("virtual threads need JDK 21+");
            return;
        }
        int blocked = 4 * Runtime.getRuntime().availableProcessors() + 4; // more than there are carriers
        List<Pair> pairs = new ArrayList<>();
        for (int i = 0; i < blocked; i++) {
            pairs.add(pair());
        }
        java.util.concurrent.ExecutorService vts = (java.util.concurrent.ExecutorService) factory.invoke(null);
        try {
            List<java.util.concurrent.Future<Throwable>> readers = new ArrayList<>();
            java.util.concurrent.CountDownLatch started = new java.util.concurrent.CountDownLatch(blocked);
            for (Pair p : pairs) {
                readers.add(vts.submit(() -> {
                    started.countDown();
                    try {
                        p.client().read(ByteBuffer.allocate(8));
                        return null;
                    } catch (Throwable t) {
                        return t;
                    }
                }));
            }
            assertThat(started.await(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
            // Every carrier would be pinned if a blocked read held one: this task could not run.
            assertThat(vts.submit(() -> "ran").get(10, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo("ran");
            for (Pair p : pairs) {
                p.client().close();
            }
            for (java.util.concurrent.Future<Throwable> r : readers) {
                assertThat(r.get(10, java.util.concurrent.TimeUnit.SECONDS)).isInstanceOf(AsynchronousCloseException.class);
            }
        } finally {
            vts.shutdownNow();
        }
    }

    // ------------------------------------------------------------------ the kernel wrapper

    @Test
    void kernelChannelsAreThePlatformsInAWrapper() throws Exception {
        int before = nodes.backend.calls.get();
        ServerSocketChannel server = later(nodes.provider.openServerSocketChannel());
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        assertThat(server).isInstanceOf(OverlayServerSocketChannel.class);
        SocketChannel client = later(nodes.provider.openSocketChannel());
        assertThat(client.connect(server.getLocalAddress())).isTrue();
        SocketChannel accepted = later(server.accept());
        assertThat(accepted.provider()).isSameAs(nodes.provider);
        assertThat(((OverlaySocketChannel) accepted).overlayPeer()).isNull();
        assertThat(Overlay.peerKey(accepted)).isNull();
        assertThat(Overlay.peerKey(accepted.socket())).isNull();
        assertThat(client.getRemoteAddress()).isEqualTo(server.getLocalAddress());
        assertThat(client.socket().getChannel()).isSameAs(client);
        client.write(ascii("tcp"));
        assertThat(readExactly(accepted, 3)).isEqualTo("tcp");
        assertThat(nodes.backend.calls.get()).as("kernel traffic never asks the overlay").isEqualTo(before);

        Bg<Boolean> reader = Bg.start("kernel read", () -> {
            try {
                client.read(ByteBuffer.allocate(8));
                return false;
            } catch (ClosedByInterruptException e) {
                return true;
            }
        }).awaitBlocked();
        reader.thread().interrupt();
        assertThat(reader.get()).isTrue();
        assertThat(client.isOpen()).as("the wrapper closes with its platform channel").isFalse();
    }

    @Test
    void kernelSocketAdaptorReadsWithTimeouts() throws Exception {
        ServerSocketChannel server = later(nodes.provider.openServerSocketChannel());
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        server.socket().setSoTimeout(200);
        assertThatThrownBy(() -> server.socket().accept()).isInstanceOf(SocketTimeoutException.class);
        SocketChannel client = later(nodes.provider.openSocketChannel());
        client.socket().connect(server.getLocalAddress(), 5_000);
        Socket accepted = server.socket().accept();
        later(accepted);
        assertThat(accepted.getChannel()).isInstanceOf(OverlaySocketChannel.class);
        accepted.setSoTimeout(200);
        assertThatThrownBy(() -> accepted.getInputStream().read()).isInstanceOf(SocketTimeoutException.class);
        client.socket().getOutputStream().write(7);
        assertThat(accepted.getInputStream().read()).isEqualTo(7);
    }
}
