package dev.overlay.nio.parity;

import static dev.overlay.nio.parity.Within.BULK;
import static dev.overlay.nio.parity.Within.STEP;
import static dev.overlay.nio.parity.Within.awaitBlocked;
import static dev.overlay.nio.parity.Within.readExactly;
import static dev.overlay.nio.parity.Within.selectUntil;
import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
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
import java.nio.channels.spi.SelectorProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Socket channels, one case at a time, over kernel TCP and over the overlay with identical
 * assertions ({@link Mode}). Only the JDK's public API is used: what passes in {@code KERNEL} is
 * what the JDK does, and {@code OVERLAY} must do the same.
 */
class ChannelParityTest {
    private final Within w = new Within();

    @AfterEach
    void cleanUp() {
        w.close();
    }

    private Pair pair(Mode mode) throws Exception {
        return Pair.open(w, mode, w.closeLater(mode.openServer()));
    }

    private static ByteBuffer ascii(String s) {
        return ByteBuffer.wrap(s.getBytes(US_ASCII));
    }

    private static String ascii(byte[] b) {
        return new String(b, US_ASCII);
    }

    /** The byte at stream offset {@code i} of the bulk cases. */
    private static byte pattern(long i) {
        return (byte) (i % 251);
    }

    private static void fill(ByteBuffer b, long offset) {
        b.clear();
        for (int i = 0; i < b.capacity(); i++) {
            b.put(pattern(offset + i));
        }
        b.flip();
    }

    // ------------------------------------------------------------------ connect and accept

    @ParameterizedTest
    @EnumSource(Mode.class)
    void blockingConnectAndAccept(Mode mode) throws Exception {
        SelectorProvider provider = mode.provider();
        ServerSocketChannel server = w.closeLater(mode.openServer());
        InetSocketAddress address = mode.serverAddress(server);
        assertThat(server.isBlocking()).isTrue();
        assertThat(server.provider()).isSameAs(provider);

        Within.Task<SocketChannel> accepting = w.start("accept", server::accept);
        SocketChannel client = w.closeLater(provider.openSocketChannel());
        assertThat(client.provider()).isSameAs(provider);
        assertThat(client.isBlocking()).isTrue();
        assertThat(client.isConnected()).isFalse();
        assertThat(client.isConnectionPending()).isFalse();
        assertThat(client.getRemoteAddress()).isNull();

        assertThat(w.call(STEP, "connect", () -> client.connect(address))).isTrue();
        assertThat(client.isConnected()).isTrue();
        assertThat(client.isConnectionPending()).isFalse();
        assertThat(client.finishConnect()).isTrue(); // already connected: true, no exception
        assertThat(client.getRemoteAddress()).isEqualTo(address);
        InetSocketAddress clientLocal = (InetSocketAddress) client.getLocalAddress();
        assertThat(clientLocal).isNotNull();

        SocketChannel accepted = w.closeLater(accepting.get(STEP));
        assertThat(accepted.provider()).isSameAs(provider);
        assertThat(accepted.isConnected()).isTrue();
        assertThat(accepted.isBlocking()).isTrue(); // accepted channels start blocking, whatever the server's mode
        // The server side sees the client's address; over the overlay, the client node's handle.
        assertThat(((InetSocketAddress) accepted.getRemoteAddress()).getAddress()).isEqualTo(clientLocal.getAddress());
        assertThat(((InetSocketAddress) accepted.getLocalAddress()).getPort()).isEqualTo(address.getPort());

        assertThat(w.call(STEP, "write", () -> client.write(ascii("hello")))).isEqualTo(5);
        assertThat(ascii(w.call(STEP, "read", () -> readExactly(accepted, 5)))).isEqualTo("hello");
        assertThat(w.call(STEP, "write back", () -> accepted.write(ascii("world")))).isEqualTo(5);
        assertThat(ascii(w.call(STEP, "read back", () -> readExactly(client, 5)))).isEqualTo("world");
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void nonBlockingConnectAndAccept(Mode mode) throws Exception {
        SelectorProvider provider = mode.provider();
        ServerSocketChannel server = w.closeLater(mode.openServer());
        InetSocketAddress address = mode.serverAddress(server);
        server.configureBlocking(false);
        assertThat(server.accept()).isNull(); // nobody is connecting yet

        Selector selector = w.closeLater(provider.openSelector());
        SelectionKey acceptKey = server.register(selector, SelectionKey.OP_ACCEPT);
        SocketChannel client = w.closeLater(provider.openSocketChannel());
        client.configureBlocking(false);
        boolean immediately = client.connect(address);
        SelectionKey connectKey;
        if (immediately) {
            assertThat(client.isConnected()).isTrue();
            connectKey = client.register(selector, 0);
        } else {
            assertThat(client.isConnectionPending()).isTrue();
            assertThat(client.isConnected()).isFalse();
            connectKey = client.register(selector, SelectionKey.OP_CONNECT);
        }

        SocketChannel accepted = null;
        long deadline = System.nanoTime() + STEP.toNanos();
        while ((accepted == null || !client.isConnected()) && System.nanoTime() - deadline < 0) {
            selector.select(100);
            for (SelectionKey k : selector.selectedKeys()) {
                if (k == connectKey && k.isConnectable()) {
                    assertThat(client.finishConnect()).isTrue();
                    assertThat(client.isConnectionPending()).isFalse();
                    k.interestOps(0);
                } else if (k == acceptKey && k.isAcceptable()) {
                    SocketChannel a = server.accept();
                    assertThat(a).as("accept() after OP_ACCEPT").isNotNull();
                    accepted = w.closeLater(a);
                }
            }
            selector.selectedKeys().clear();
        }
        assertThat(client.isConnected()).as("connected within " + STEP).isTrue();
        assertThat(accepted).as("accepted within " + STEP).isNotNull();
        assertThat(accepted.isBlocking()).isTrue();
        assertThat(client.getRemoteAddress()).isEqualTo(address);

        // Non-blocking reads: 0 while nothing arrived, then the bytes once OP_READ is reported.
        accepted.configureBlocking(false);
        ByteBuffer in = ByteBuffer.allocate(16);
        assertThat(accepted.read(in)).isZero();
        SelectionKey readKey = accepted.register(selector, SelectionKey.OP_READ);
        assertThat(client.write(ascii("ping"))).isEqualTo(4);
        selectUntil(selector, readKey, SelectionKey.OP_READ, STEP);
        for (int i = 0; i < 100 && in.position() < 4; i++) {
            assertThat(accepted.read(in)).isGreaterThanOrEqualTo(0);
            if (in.position() < 4) {
                selectUntil(selector, readKey, SelectionKey.OP_READ, STEP);
            }
        }
        assertThat(ascii(java.util.Arrays.copyOf(in.array(), in.position()))).isEqualTo("ping");
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void connectStateErrors(Mode mode) throws Exception {
        SelectorProvider provider = mode.provider();
        ServerSocketChannel server = w.closeLater(mode.openServer());
        InetSocketAddress address = mode.serverAddress(server);

        SocketChannel unconnected = w.closeLater(provider.openSocketChannel());
        assertThatThrownBy(unconnected::finishConnect).isInstanceOf(NoConnectionPendingException.class);
        assertThatThrownBy(() -> unconnected.read(ByteBuffer.allocate(1))).isInstanceOf(NotYetConnectedException.class);
        assertThatThrownBy(() -> unconnected.write(ascii("x"))).isInstanceOf(NotYetConnectedException.class);
        assertThatThrownBy(unconnected::shutdownOutput).isInstanceOf(NotYetConnectedException.class);

        SocketChannel pending = w.closeLater(provider.openSocketChannel());
        pending.configureBlocking(false);
        if (!pending.connect(address)) {
            assertThatThrownBy(() -> pending.connect(address)).isInstanceOf(ConnectionPendingException.class);
            assertThatThrownBy(() -> pending.read(ByteBuffer.allocate(1))).isInstanceOf(NotYetConnectedException.class);
        }

        Pair p = Pair.open(w, mode, server);
        assertThatThrownBy(() -> p.client().connect(address)).isInstanceOf(AlreadyConnectedException.class);

        p.client().close();
        assertThat(p.client().isOpen()).isFalse();
        assertThat(p.client().isConnected()).isFalse();
        assertThatThrownBy(() -> p.client().read(ByteBuffer.allocate(1))).isInstanceOf(ClosedChannelException.class);
        assertThatThrownBy(() -> p.client().write(ascii("x"))).isInstanceOf(ClosedChannelException.class);
        assertThatThrownBy(() -> p.client().connect(address)).isInstanceOf(ClosedChannelException.class);
        assertThatThrownBy(p.client()::getRemoteAddress).isInstanceOf(ClosedChannelException.class);
        p.client().close(); // closing twice is allowed
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void connectionRefusedBlocking(Mode mode) throws Exception {
        SocketChannel client = w.closeLater(mode.provider().openSocketChannel());
        InetSocketAddress nobody = mode.refusedAddress();
        Throwable failure = w.start("connect to " + nobody, () -> client.connect(nobody)).failure(STEP);
        assertThat(failure).isInstanceOf(ConnectException.class);
        assertThat(client.isOpen()).as("a failed connect closes the channel").isFalse();
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void connectionRefusedNonBlocking(Mode mode) throws Exception {
        SelectorProvider provider = mode.provider();
        SocketChannel client = w.closeLater(provider.openSocketChannel());
        Selector selector = w.closeLater(provider.openSelector());
        InetSocketAddress nobody = mode.refusedAddress();
        client.configureBlocking(false);
        boolean connected;
        try {
            connected = client.connect(nobody);
        } catch (ConnectException refusedAtOnce) {
            assertThat(client.isOpen()).isFalse();
            return; // allowed by the contract; not what either transport does here
        }
        assertThat(connected).isFalse();
        SelectionKey key = client.register(selector, SelectionKey.OP_CONNECT);
        selectUntil(selector, key, SelectionKey.OP_CONNECT, STEP);
        assertThatThrownBy(client::finishConnect).isInstanceOf(ConnectException.class);
        assertThat(client.isOpen()).as("a failed finishConnect closes the channel").isFalse();
        assertThat(key.isValid()).isFalse();
    }

    // ------------------------------------------------------------------ data

    @ParameterizedTest
    @EnumSource(Mode.class)
    void partialWritesUnderBackpressureAndSmallReadsDeliverEveryByte(Mode mode) throws Exception {
        Pair p = pair(mode);
        SocketChannel out = p.client();
        out.configureBlocking(false);
        ByteBuffer chunk = ByteBuffer.allocate(64 * 1024);

        // The peer reads nothing yet: writes take less and less, then nothing (at most 256 MiB).
        long written = 0;
        boolean partial = false;
        boolean full = false;
        for (int i = 0; i < 4096 && !full; i++) {
            fill(chunk, written);
            int n = out.write(chunk);
            assertThat(n).isBetween(0, chunk.capacity());
            partial |= n > 0 && n < chunk.capacity();
            full = n == 0;
            written += n;
        }
        assertThat(full).as("a non-blocking write took nothing once the peer stopped reading").isTrue();
        System.out.println("[" + mode + "] buffered before backpressure: " + written + " bytes; a partial write seen: " + partial);

        long total = written + 1024 * 1024;
        Within.Task<Long> reader = w.start("read with small buffers", () -> {
            ByteBuffer small = ByteBuffer.allocate(7);
            ByteBuffer large = ByteBuffer.allocate(8192);
            long got = 0;
            for (long reads = 0; reads < 100_000_000L; reads++) {
                ByteBuffer b = got < 64 * 1024 ? small : large;
                b.clear();
                int n = p.accepted().read(b);
                if (n < 0) {
                    return got;
                }
                assertThat(n).isBetween(1, b.capacity()); // a blocking read returns at least one byte
                for (int i = 0; i < n; i++) {
                    if (b.get(i) != pattern(got + i)) {
                        throw new AssertionError("byte " + (got + i) + " is " + b.get(i) + ", expected " + pattern(got + i));
                    }
                }
                got += n;
            }
            throw new AssertionError("too many reads");
        });

        Selector selector = w.closeLater(mode.provider().openSelector());
        SelectionKey key = out.register(selector, SelectionKey.OP_WRITE);
        long deadline = System.nanoTime() + BULK.toNanos();
        while (written < total) {
            assertThat(System.nanoTime() - deadline).as("writes finished within " + BULK).isNegative();
            if (selector.select(100) == 0 && !key.isWritable()) {
                continue;
            }
            selector.selectedKeys().clear();
            fill(chunk, written);
            chunk.limit((int) Math.min(chunk.capacity(), total - written));
            written += out.write(chunk);
        }
        out.shutdownOutput();
        assertThat(reader.get(BULK)).isEqualTo(total);
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void gatheringWriteAndScatteringRead(Mode mode) throws Exception {
        Pair p = pair(mode);
        ByteBuffer[] srcs = {ascii("ab"), ascii("cde"), ByteBuffer.allocate(0), ascii("fghij")};
        assertThat(w.call(STEP, "gathering write", () -> p.client().write(srcs))).isEqualTo(10L);
        for (ByteBuffer b : srcs) {
            assertThat(b.hasRemaining()).isFalse();
        }
        // Only srcs[1..2] of these: "klm".
        ByteBuffer[] more = {ascii("xx"), ascii("klm"), ascii("yy")};
        assertThat(w.call(STEP, "gathering write of a sub-range", () -> p.client().write(more, 1, 1))).isEqualTo(3L);
        assertThat(more[0].remaining()).isEqualTo(2);
        assertThat(more[2].remaining()).isEqualTo(2);

        ByteBuffer[] dsts = {ByteBuffer.allocate(3), ByteBuffer.allocate(4), ByteBuffer.allocate(100)};
        long got = w.call(STEP, "scattering read", () -> {
            long n = 0;
            for (int i = 0; i < 13 && n < 13; i++) {
                long r = p.accepted().read(dsts);
                assertThat(r).isPositive();
                n += r;
            }
            return n;
        });
        assertThat(got).isEqualTo(13);
        assertThat(ascii(dsts[0].array())).isEqualTo("abc");
        assertThat(ascii(dsts[1].array())).isEqualTo("defg");
        assertThat(ascii(java.util.Arrays.copyOf(dsts[2].array(), dsts[2].position()))).isEqualTo("hijklm");

        // A scattering read into a sub-range fills only those buffers.
        assertThat(w.call(STEP, "write", () -> p.accepted().write(ascii("QRS")))).isEqualTo(3);
        ByteBuffer[] parts = {ByteBuffer.allocate(8), ByteBuffer.allocate(1), ByteBuffer.allocate(8)};
        long n = w.call(STEP, "scattering read of a sub-range", () -> {
            long sum = 0;
            for (int i = 0; i < 3 && sum < 3; i++) {
                sum += p.client().read(parts, 1, 2);
            }
            return sum;
        });
        assertThat(n).isEqualTo(3);
        assertThat(parts[0].position()).isZero();
        assertThat(parts[1].get(0)).isEqualTo((byte) 'Q');
        assertThat(parts[2].position()).isEqualTo(2);
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void nonBlockingReadReturnsZeroThenMinusOneAfterThePeerCloses(Mode mode) throws Exception {
        Pair p = pair(mode);
        p.client().configureBlocking(false);
        ByteBuffer b = ByteBuffer.allocate(8);
        assertThat(p.client().read(b)).isZero();
        p.accepted().close();
        Selector selector = w.closeLater(mode.provider().openSelector());
        SelectionKey key = p.client().register(selector, SelectionKey.OP_READ);
        selectUntil(selector, key, SelectionKey.OP_READ, STEP); // end of stream is readable
        assertThat(p.client().read(b)).isEqualTo(-1);
        assertThat(p.client().read(b)).isEqualTo(-1);
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void writesToAPeerThatClosedFail(Mode mode) throws Exception {
        Pair p = pair(mode);
        p.accepted().close();
        p.client().configureBlocking(false);
        long deadline = System.nanoTime() + STEP.toNanos();
        IOException failure = null;
        ByteBuffer one = ByteBuffer.allocate(1);
        // The first writes may still be taken; once the peer's close is known, writing fails.
        for (long i = 0; failure == null && System.nanoTime() - deadline < 0; i++) {
            one.clear();
            try {
                p.client().write(one);
            } catch (IOException e) {
                failure = e;
            }
            if (failure == null && i % 64 == 63) {
                Thread.yield();
            }
        }
        assertThat(failure).as("a write failed within " + STEP).isNotNull();
        assertThat(failure).isNotInstanceOf(ClosedChannelException.class); // the channel itself is still open
        assertThat(p.client().isOpen()).isTrue();
    }

    // ------------------------------------------------------------------ half-close

    @ParameterizedTest
    @EnumSource(Mode.class)
    void clientShutdownOutputServerReadsEndAndStillWrites(Mode mode) throws Exception {
        Pair p = pair(mode);
        assertThat(w.call(STEP, "write", () -> p.client().write(ascii("last")))).isEqualTo(4);
        p.client().shutdownOutput();
        assertThat(p.client().socket().isOutputShutdown()).isTrue();
        assertThat(p.client().isOpen()).isTrue();
        assertThat(p.client().isConnected()).isTrue();
        assertThatThrownBy(() -> p.client().write(ascii("x"))).isInstanceOf(ClosedChannelException.class);
        p.client().shutdownOutput(); // again: no effect, no exception

        assertThat(ascii(w.call(STEP, "read", () -> readExactly(p.accepted(), 4)))).isEqualTo("last");
        assertThat(w.call(STEP, "read end", () -> p.accepted().read(ByteBuffer.allocate(4)))).isEqualTo(-1);

        // The other direction still flows.
        assertThat(w.call(STEP, "write back", () -> p.accepted().write(ascii("still here")))).isEqualTo(10);
        assertThat(ascii(w.call(STEP, "read back", () -> readExactly(p.client(), 10)))).isEqualTo("still here");
        p.accepted().shutdownOutput();
        assertThat(w.call(STEP, "read end back", () -> p.client().read(ByteBuffer.allocate(4)))).isEqualTo(-1);
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void serverShutdownOutputClientReadsEndAndStillWrites(Mode mode) throws Exception {
        Pair p = pair(mode);
        p.accepted().shutdownOutput();
        assertThat(w.call(STEP, "read end", () -> p.client().read(ByteBuffer.allocate(4)))).isEqualTo(-1);
        assertThat(w.call(STEP, "read end again", () -> p.client().read(ByteBuffer.allocate(4)))).isEqualTo(-1);
        assertThatThrownBy(() -> p.accepted().write(ascii("x"))).isInstanceOf(ClosedChannelException.class);

        ByteBuffer big = ByteBuffer.allocate(200_000);
        fill(big, 0);
        Within.Task<Integer> writer = w.start("write 200 kB", () -> {
            int n = 0;
            for (int i = 0; i < 1000 && big.hasRemaining(); i++) {
                n += p.client().write(big);
            }
            p.client().shutdownOutput();
            return n;
        });
        byte[] got = w.call(BULK, "read 200 kB", () -> readExactly(p.accepted(), 200_000));
        assertThat(writer.get(STEP)).isEqualTo(200_000);
        for (int i = 0; i < got.length; i++) {
            if (got[i] != pattern(i)) {
                throw new AssertionError("byte " + i + " differs");
            }
        }
        assertThat(w.call(STEP, "read end", () -> p.accepted().read(ByteBuffer.allocate(4)))).isEqualTo(-1);
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void shutdownInputMakesReadsReturnEnd(Mode mode) throws Exception {
        Pair p = pair(mode);
        p.client().shutdownInput();
        assertThat(p.client().socket().isInputShutdown()).isTrue();
        assertThat(w.call(STEP, "read", () -> p.client().read(ByteBuffer.allocate(4)))).isEqualTo(-1);
        // Writing still works.
        assertThat(w.call(STEP, "write", () -> p.client().write(ascii("out")))).isEqualTo(3);
        assertThat(ascii(w.call(STEP, "read", () -> readExactly(p.accepted(), 3)))).isEqualTo("out");
    }

    // ------------------------------------------------------------------ socket adaptor, timeouts

    @ParameterizedTest
    @EnumSource(Mode.class)
    void readTimeoutThroughTheSocketAdaptor(Mode mode) throws Exception {
        Pair p = pair(mode);
        Socket socket = p.client().socket();
        assertThat(socket.isConnected()).isTrue();
        assertThat(socket.getInetAddress()).isEqualTo(((InetSocketAddress) p.client().getRemoteAddress()).getAddress());
        assertThat(socket.getPort()).isEqualTo(((InetSocketAddress) p.client().getRemoteAddress()).getPort());
        socket.setSoTimeout(300);
        assertThat(socket.getSoTimeout()).isEqualTo(300);
        InputStream in = socket.getInputStream();

        long t0 = System.nanoTime();
        Throwable failure = w.start("read with SO_TIMEOUT", in::read).failure(STEP);
        long millis = (System.nanoTime() - t0) / 1_000_000;
        assertThat(failure).isInstanceOf(SocketTimeoutException.class);
        assertThat(millis).as("waited about the timeout").isGreaterThanOrEqualTo(250);
        // A timeout leaves the connection usable.
        assertThat(p.client().isOpen()).isTrue();
        assertThat(w.call(STEP, "write", () -> p.accepted().write(ascii("z")))).isEqualTo(1);
        int z = w.call(STEP, "read after the timeout", in::read);
        assertThat(z).isEqualTo((int) 'z');

        // Output stream of the adaptor writes through.
        w.call(STEP, "adaptor write", () -> {
            socket.getOutputStream().write("via adaptor".getBytes(US_ASCII));
            return null;
        });
        assertThat(ascii(w.call(STEP, "read", () -> readExactly(p.accepted(), 11)))).isEqualTo("via adaptor");
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void acceptTimeoutThroughTheServerSocketAdaptor(Mode mode) throws Exception {
        ServerSocketChannel server = w.closeLater(mode.openServer());
        server.socket().setSoTimeout(300);
        long t0 = System.nanoTime();
        Throwable failure = w.start("accept with SO_TIMEOUT", () -> server.socket().accept()).failure(STEP);
        long millis = (System.nanoTime() - t0) / 1_000_000;
        assertThat(failure).isInstanceOf(SocketTimeoutException.class);
        assertThat(millis).isGreaterThanOrEqualTo(250);
        assertThat(server.isOpen()).isTrue();
        // Still accepts afterwards.
        server.socket().setSoTimeout(0);
        Pair.open(w, mode, server);
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void adaptorStreamsRefuseNonBlockingChannels(Mode mode) throws Exception {
        Pair p = pair(mode);
        p.client().configureBlocking(false);
        InputStream in = p.client().socket().getInputStream();
        assertThatThrownBy(in::read).isInstanceOf(IllegalBlockingModeException.class);
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void socketOptions(Mode mode) throws Exception {
        SocketChannel ch = w.closeLater(mode.provider().openSocketChannel());
        assertThat(ch.supportedOptions()).contains(StandardSocketOptions.TCP_NODELAY, StandardSocketOptions.SO_KEEPALIVE,
                StandardSocketOptions.SO_RCVBUF, StandardSocketOptions.SO_SNDBUF);
        Pair p = pair(mode);
        for (SocketChannel c : new SocketChannel[] {p.client(), p.accepted()}) {
            c.setOption(StandardSocketOptions.TCP_NODELAY, true);
            assertThat(c.getOption(StandardSocketOptions.TCP_NODELAY)).isTrue();
            c.setOption(StandardSocketOptions.SO_KEEPALIVE, true);
            assertThat(c.getOption(StandardSocketOptions.SO_KEEPALIVE)).isTrue();
            assertThat(c.getOption(StandardSocketOptions.SO_RCVBUF)).isPositive();
            assertThat(c.socket().getTcpNoDelay()).isTrue();
            assertThatThrownBy(() -> c.getOption(StandardSocketOptions.IP_MULTICAST_TTL))
                    .isInstanceOf(UnsupportedOperationException.class);
        }
        p.client().close();
        assertThatThrownBy(() -> p.client().getOption(StandardSocketOptions.TCP_NODELAY))
                .isInstanceOf(ClosedChannelException.class);
    }

    // ------------------------------------------------------------------ close and interrupt

    @ParameterizedTest
    @EnumSource(Mode.class)
    void closeFromAnotherThreadEndsABlockedRead(Mode mode) throws Exception {
        Pair p = pair(mode);
        Within.Task<Integer> reader = w.start("blocked read", () -> p.client().read(ByteBuffer.allocate(8)));
        assertThat(awaitBlocked(reader)).as("reader blocked").isTrue();
        p.client().close();
        assertThat(reader.failure(STEP)).isInstanceOf(AsynchronousCloseException.class);
        assertThat(p.client().isOpen()).isFalse();
        // The peer sees the connection end.
        assertThat(w.call(STEP, "peer read", () -> p.accepted().read(ByteBuffer.allocate(8)))).isEqualTo(-1);
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void closeFromAnotherThreadEndsABlockedAccept(Mode mode) throws Exception {
        ServerSocketChannel server = w.closeLater(mode.openServer());
        Within.Task<SocketChannel> accepting = w.start("blocked accept", server::accept);
        assertThat(awaitBlocked(accepting)).as("accept blocked").isTrue();
        server.close();
        assertThat(accepting.failure(STEP)).isInstanceOf(AsynchronousCloseException.class);
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void closeFromAnotherThreadEndsABlockedWrite(Mode mode) throws Exception {
        Pair p = pair(mode);
        // The peer never reads: fill its buffers and ours without blocking, then one blocking write
        // must wait for room that never comes.
        SocketChannel out = p.client();
        out.configureBlocking(false);
        ByteBuffer chunk = ByteBuffer.allocate(64 * 1024);
        boolean full = false;
        for (int i = 0; i < 4096 && !full; i++) {
            chunk.clear();
            full = out.write(chunk) == 0;
        }
        assertThat(full).as("a non-blocking write took nothing once the peer stopped reading").isTrue();
        out.configureBlocking(true);
        Within.Task<Integer> writer = w.start("blocked write", () -> out.write(ByteBuffer.allocate(1024 * 1024)));
        assertThat(awaitBlocked(writer)).as("writer blocked").isTrue();
        p.client().close();
        assertThat(writer.failure(STEP)).isInstanceOf(AsynchronousCloseException.class);
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void interruptingABlockedReadClosesTheChannel(Mode mode) throws Exception {
        Pair p = pair(mode);
        Within.Task<Boolean> reader = w.start("blocked read", () -> {
            try {
                p.client().read(ByteBuffer.allocate(8));
                return null;
            } catch (ClosedByInterruptException e) {
                return Thread.currentThread().isInterrupted(); // the interrupt status stays set
            }
        });
        assertThat(awaitBlocked(reader)).as("reader blocked").isTrue();
        reader.thread().interrupt();
        assertThat(reader.get(STEP)).as("ClosedByInterruptException, interrupt status kept").isTrue();
        assertThat(p.client().isOpen()).isFalse();
        assertThat(w.call(STEP, "peer read", () -> p.accepted().read(ByteBuffer.allocate(8)))).isEqualTo(-1);
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void readWithTheInterruptStatusSetClosesTheChannel(Mode mode) throws Exception {
        Pair p = pair(mode);
        assertThat(w.call(STEP, "write", () -> p.accepted().write(ascii("data")))).isEqualTo(4);
        Throwable failure = w.start("interrupted read", () -> {
            Thread.currentThread().interrupt();
            return p.client().read(ByteBuffer.allocate(8)); // data is there, but the interrupt wins
        }).failure(STEP);
        assertThat(failure).isInstanceOf(ClosedByInterruptException.class);
        assertThat(p.client().isOpen()).isFalse();
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void interruptingABlockedAcceptClosesTheServer(Mode mode) throws Exception {
        ServerSocketChannel server = w.closeLater(mode.openServer());
        Within.Task<SocketChannel> accepting = w.start("blocked accept", server::accept);
        assertThat(awaitBlocked(accepting)).as("accept blocked").isTrue();
        accepting.thread().interrupt();
        assertThat(accepting.failure(STEP)).isInstanceOf(ClosedByInterruptException.class);
        assertThat(server.isOpen()).isFalse();
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void interruptingABlockedConnectClosesTheChannel(Mode mode) throws Exception {
        // A connect that stays blocked cannot be arranged portably (loopback answers at once), so
        // the interrupt is set before connect() starts: the JDK checks it on entry.
        ServerSocketChannel server = w.closeLater(mode.openServer());
        InetSocketAddress address = mode.serverAddress(server);
        SocketChannel client = w.closeLater(mode.provider().openSocketChannel());
        Throwable failure = w.start("interrupted connect", () -> {
            Thread.currentThread().interrupt();
            return client.connect(address);
        }).failure(STEP);
        assertThat(failure).isInstanceOf(ClosedByInterruptException.class);
        assertThat(client.isOpen()).isFalse();
    }
}
