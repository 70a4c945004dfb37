package dev.overlay.nio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.overlay.identity.Identity;
import dev.overlay.node.PeerSpec;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.StandardSocketOptions;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Blocking sockets over two real nodes on loopback, through the public socket API only. */
class OverlaySocketTest {
    private static final int TIMEOUT_MS = 20_000;
    /** Each task its own thread: the common pool has one worker on two cores, too few for both ends. */
    private static final ExecutorService POOL = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "socket-test");
        t.setDaemon(true);
        return t;
    });
    private NodeBackend server;
    private NodeBackend client;
    private int port;

    @BeforeEach
    void start() throws IOException {
        server = NodeBackend.start();
        client = NodeBackend.clientOf(server);
        port = freeKernelPort(); // served on the overlay; free on the kernel, so a kernel connect is refused
        server.serve(port);
    }

    @AfterEach
    void stop() throws IOException {
        client.close();
        server.close();
    }

    private static int freeKernelPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private Socket connect() throws IOException {
        Socket s = new OverlaySocket(client);
        s.connect(new InetSocketAddress(server.handle(), port), TIMEOUT_MS);
        s.setSoTimeout(TIMEOUT_MS);
        return s;
    }

    private static CompletableFuture<Socket> acceptAsync(ServerSocket ss) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                Socket s = ss.accept();
                s.setSoTimeout(TIMEOUT_MS);
                return s;
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        }, POOL);
    }

    @Test
    void echoesOverAHandleWithPeerAndLocalAddressesAsTcpWouldReport() throws Exception {
        try (ServerSocket ss = new OverlayServerSocket(server, port)) {
            CompletableFuture<Socket> accepted = acceptAsync(ss);
            try (Socket c = connect(); Socket a = accepted.get(30, TimeUnit.SECONDS)) {
                assertThat(c.isConnected()).isTrue();
                assertThat(c.getInetAddress()).isEqualTo(server.handle());
                assertThat(c.getPort()).isEqualTo(port);
                assertThat(c.getLocalAddress()).isEqualTo(client.handle());
                assertThat(c.getLocalPort()).isBetween(49152, 65535);
                assertThat(((OverlaySocket) c).peerKey()).isEqualTo(server.id());

                assertThat(a.getInetAddress()).isEqualTo(client.handle());
                assertThat(a.getLocalAddress()).isEqualTo(server.handle());
                assertThat(a.getLocalPort()).isEqualTo(port);
                assertThat(OverlaySocket.peerKey(a)).isEqualTo(client.id());
                assertThat(Overlay.peerKey(a)).as("the public helper, for an accepted socket").isEqualTo(client.id());
                assertThat(Overlay.peerKey(c)).isEqualTo(server.id());
                assertThat(ss.getInetAddress()).isEqualTo(server.handle());
                assertThat(ss.getLocalPort()).isEqualTo(port);

                c.getOutputStream().write("ping".getBytes(StandardCharsets.UTF_8));
                assertThat(a.getInputStream().readNBytes(4)).asString().isEqualTo("ping");
                a.getOutputStream().write("pong".getBytes(StandardCharsets.UTF_8));
                assertThat(c.getInputStream().readNBytes(4)).asString().isEqualTo("pong");
            }
        }
    }

    @Test
    void ordinaryNamesNeverAskTheBackendAndOverlayNamesSkipDns() throws Exception {
        java.util.concurrent.atomic.AtomicInteger asked = new java.util.concurrent.atomic.AtomicInteger();
        OverlaySocketFactory factory = new OverlaySocketFactory(() -> {
            asked.incrementAndGet();
            return client;
        });
        // An unresolved ordinary name is the kernel's to report; the backend (the runtime) is never asked.
        try (Socket s = factory.createSocket()) {
            assertThatThrownBy(() -> s.connect(InetSocketAddress.createUnresolved("no-such-host.invalid", port), TIMEOUT_MS))
                    .isInstanceOf(java.net.UnknownHostException.class);
        }
        assertThat(asked).hasValue(0);

        // createSocket(String, ...) keeps a .overlay name unresolved and returns an OverlaySocket.
        String name = server.id().name();
        assertThat(OverlaySocketFactory.target(name, port).isUnresolved()).isTrue();
        assertThat(OverlaySocketFactory.target("127.0.0.1", port).isUnresolved()).isFalse();
        try (ServerSocket ss = new OverlayServerSocket(server, port)) {
            CompletableFuture<Socket> accepted = acceptAsync(ss);
            try (Socket c = factory.createSocket(name, port); Socket a = accepted.get(30, TimeUnit.SECONDS)) {
                assertThat(c).isInstanceOf(OverlaySocket.class);
                assertThat(OverlaySocket.peerKey(c)).isEqualTo(server.id());
                assertThat(OverlaySocket.peerKey(a)).isEqualTo(client.id());
            }
        }
        try (ServerSocket kernel = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             Socket c = factory.createSocket(InetAddress.getLoopbackAddress(), kernel.getLocalPort());
             Socket a = kernel.accept()) {
            assertThat(c).isInstanceOf(OverlaySocket.class); // the connected variants return an OverlaySocket
            assertThat(OverlaySocket.peerKey(c)).isNull();
        }
    }

    @Test
    void connectsToAnUnresolvedOverlayName() throws Exception {
        try (ServerSocket ss = new OverlayServerSocket(server, port)) {
            CompletableFuture<Socket> accepted = acceptAsync(ss);
            try (Socket c = new OverlaySocket(client)) {
                c.connect(InetSocketAddress.createUnresolved(server.id().name(), port), TIMEOUT_MS);
                c.getOutputStream().write(42);
                try (Socket a = accepted.get(30, TimeUnit.SECONDS)) {
                    assertThat(a.getInputStream().read()).isEqualTo(42);
                }
                assertThat(c.getInetAddress()).isEqualTo(server.handle());
            }
        }
    }

    @Test
    void eightMebibytesBothWaysArriveIntact() throws Exception {
        byte[] data = new byte[8 << 20];
        new Random(5).nextBytes(data);
        try (ServerSocket ss = new OverlayServerSocket(server, port)) {
            CompletableFuture<Socket> accepted = acceptAsync(ss);
            try (Socket c = connect(); Socket a = accepted.get(30, TimeUnit.SECONDS)) {
                CompletableFuture<Void> echo = CompletableFuture.runAsync(() -> {
                    try {
                        a.getInputStream().transferTo(a.getOutputStream());
                        a.shutdownOutput();
                    } catch (IOException e) {
                        throw new RuntimeException(e);
                    }
                }, POOL);
                CompletableFuture<Void> send = CompletableFuture.runAsync(() -> {
                    try {
                        OutputStream out = c.getOutputStream();
                        for (int off = 0; off < data.length; off += 100_000) {
                            out.write(data, off, Math.min(100_000, data.length - off)); // partial writes
                        }
                        c.shutdownOutput();
                    } catch (IOException e) {
                        throw new RuntimeException(e);
                    }
                }, POOL);
                byte[] back = c.getInputStream().readAllBytes();
                send.get(60, TimeUnit.SECONDS);
                echo.get(60, TimeUnit.SECONDS);
                assertThat(MessageDigest.getInstance("SHA-256").digest(back))
                        .isEqualTo(MessageDigest.getInstance("SHA-256").digest(data));
            }
        }
    }

    @Test
    void readTimesOutWithSoTimeoutAndTheSocketStaysUsable() throws Exception {
        try (ServerSocket ss = new OverlayServerSocket(server, port)) {
            CompletableFuture<Socket> accepted = acceptAsync(ss);
            try (Socket c = connect(); Socket a = accepted.get(30, TimeUnit.SECONDS)) {
                c.setSoTimeout(200);
                assertThat(c.getSoTimeout()).isEqualTo(200);
                long t0 = System.nanoTime();
                assertThatThrownBy(() -> c.getInputStream().read())
                        .isInstanceOf(SocketTimeoutException.class).hasMessage("Read timed out");
                assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isBetween(150L, 10_000L);
                assertThat(c.isClosed()).isFalse();
                a.getOutputStream().write(7);
                c.setSoTimeout(TIMEOUT_MS);
                assertThat(c.getInputStream().read()).isEqualTo(7);
            }
        }
    }

    @Test
    void halfCloseDeliversEndOfStreamOneWayAndKeepsTheOtherOpen() throws Exception {
        try (ServerSocket ss = new OverlayServerSocket(server, port)) {
            CompletableFuture<Socket> accepted = acceptAsync(ss);
            try (Socket c = connect(); Socket a = accepted.get(30, TimeUnit.SECONDS)) {
                c.getOutputStream().write("request".getBytes(StandardCharsets.UTF_8));
                c.shutdownOutput();
                assertThat(c.isOutputShutdown()).isTrue();
                assertThat(a.getInputStream().readAllBytes()).asString().isEqualTo("request");
                assertThat(a.getInputStream().read()).isEqualTo(-1);
                a.getOutputStream().write("response".getBytes(StandardCharsets.UTF_8));
                a.close();
                assertThat(c.getInputStream().readAllBytes()).asString().isEqualTo("response");
                assertThat(c.getInputStream().read()).isEqualTo(-1);
            }
        }
    }

    @Test
    void writeAfterShutdownOutputFailsAndReadAfterShutdownInputEnds() throws Exception {
        try (ServerSocket ss = new OverlayServerSocket(server, port)) {
            CompletableFuture<Socket> accepted = acceptAsync(ss);
            try (Socket c = connect(); Socket a = accepted.get(30, TimeUnit.SECONDS)) {
                OutputStream out = c.getOutputStream();
                InputStream in = c.getInputStream();
                c.shutdownOutput();
                assertThatThrownBy(() -> out.write(1)).isInstanceOf(SocketException.class)
                        .hasMessageContaining("output is shutdown");
                assertThatThrownBy(c::getOutputStream).isInstanceOf(SocketException.class);
                a.getOutputStream().write(9);
                c.shutdownInput();
                assertThat(in.read()).isEqualTo(-1);
                assertThat(c.isInputShutdown()).isTrue();
            }
        }
    }

    @Test
    void availableCountsBufferedBytes() throws Exception {
        try (ServerSocket ss = new OverlayServerSocket(server, port)) {
            CompletableFuture<Socket> accepted = acceptAsync(ss);
            try (Socket c = connect(); Socket a = accepted.get(30, TimeUnit.SECONDS)) {
                assertThat(c.getInputStream().available()).isZero();
                a.getOutputStream().write(new byte[1000]);
                assertThat(c.getInputStream().read()).isZero(); // waits for the first byte
                assertThat(c.getInputStream().available()).isEqualTo(999); // the rest came in the same packet
                assertThat(c.getInputStream().readNBytes(999)).hasSize(999);
                assertThat(c.getInputStream().available()).isZero();
            }
        }
    }

    @Test
    void closeFromAnotherThreadUnblocksAReaderWithSocketClosed() throws Exception {
        try (ServerSocket ss = new OverlayServerSocket(server, port)) {
            CompletableFuture<Socket> accepted = acceptAsync(ss);
            try (Socket c = connect(); Socket a = accepted.get(30, TimeUnit.SECONDS)) {
                CompletableFuture<Throwable> reader = new CompletableFuture<>();
                Thread t = new Thread(() -> {
                    try {
                        c.getInputStream().read();
                        reader.complete(null);
                    } catch (Throwable e) {
                        reader.complete(e);
                    }
                }, "blocked reader");
                t.setDaemon(true);
                t.start();
                awaitParked(t); // inside read(): a close before it would give "Socket is closed" instead
                c.close();
                assertThat(reader.get(30, TimeUnit.SECONDS)).isInstanceOf(SocketException.class)
                        .hasMessage("Socket closed");
                assertThat(c.isClosed()).isTrue();
                assertThat(a.getInputStream().read()).isEqualTo(-1); // the peer sees an orderly close
            }
        }
    }

    /** Waits until {@code t} is parked inside the socket code (not in this test's own code or the JDK's). */
    private static void awaitParked(Thread t) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!parkedInSocketCode(t)) {
            assertThat(System.nanoTime() - deadline).as("thread never blocked in the socket; at %s",
                    java.util.Arrays.toString(t.getStackTrace())).isNegative();
            Thread.onSpinWait();
        }
    }

    private static boolean parkedInSocketCode(Thread t) {
        Thread.State st = t.getState();
        if (st != Thread.State.WAITING && st != Thread.State.TIMED_WAITING) {
            return false;
        }
        return java.util.Arrays.stream(t.getStackTrace()).anyMatch(f -> f.getClassName().startsWith("dev.overlay.")
                && !f.getClassName().startsWith(OverlaySocketTest.class.getName()));
    }

    @Test
    void aPlatformThreadWithItsInterruptStatusSetStillReadsAndKeepsTheSocketAndTheStatus() throws Exception {
        try (ServerSocket ss = new OverlayServerSocket(server, port)) {
            CompletableFuture<Socket> accepted = acceptAsync(ss);
            try (Socket c = connect(); Socket a = accepted.get(30, TimeUnit.SECONDS)) {
                CountDownLatch reading = new CountDownLatch(1);
                CompletableFuture<Object> outcome = new CompletableFuture<>();
                Thread t = new Thread(() -> {
                    Thread.currentThread().interrupt();
                    reading.countDown();
                    try {
                        int b = c.getInputStream().read();
                        outcome.complete(Thread.currentThread().isInterrupted() ? b : new AssertionError("interrupt status lost"));
                    } catch (Throwable e) {
                        outcome.complete(e);
                    }
                });
                t.start();
                reading.await();
                awaitParked(t);
                a.getOutputStream().write(42);
                assertThat(outcome.get(30, TimeUnit.SECONDS)).isEqualTo(42);
                t.join(30_000);
                assertThat(c.isClosed()).isFalse();
                c.getOutputStream().write(7); // still usable both ways
                assertThat(a.getInputStream().read()).isEqualTo(7);
            }
        }
    }

    @Test
    void interruptingABlockedPlatformReaderKeepsItWaitingUntilDataArrives() throws Exception {
        try (ServerSocket ss = new OverlayServerSocket(server, port)) {
            CompletableFuture<Socket> accepted = acceptAsync(ss);
            try (Socket c = connect(); Socket a = accepted.get(30, TimeUnit.SECONDS)) {
                CountDownLatch reading = new CountDownLatch(1);
                CompletableFuture<Object> outcome = new CompletableFuture<>();
                Thread t = new Thread(() -> {
                    reading.countDown();
                    try {
                        int b = c.getInputStream().read();
                        outcome.complete(Thread.currentThread().isInterrupted() ? b : new AssertionError("interrupt status lost"));
                    } catch (Throwable e) {
                        outcome.complete(e);
                    }
                });
                t.start();
                reading.await();
                awaitParked(t);
                t.interrupt();
                // bounded wait: the old behaviour ended the read at once with "Closed by interrupt"
                assertThatThrownBy(() -> outcome.get(300, TimeUnit.MILLISECONDS))
                        .isInstanceOf(java.util.concurrent.TimeoutException.class);
                awaitParked(t);
                assertThat(outcome).isNotDone();
                a.getOutputStream().write(42);
                assertThat(outcome.get(30, TimeUnit.SECONDS)).isEqualTo(42);
                t.join(30_000);
                assertThat(c.isClosed()).isFalse();
                c.getOutputStream().write(7);
                assertThat(a.getInputStream().read()).isEqualTo(7);
            }
        }
    }

    @Test
    void interruptingABlockedPlatformAcceptKeepsItWaiting() throws Exception {
        try (ServerSocket ss = new OverlayServerSocket(server, port)) {
            CompletableFuture<Object> outcome = new CompletableFuture<>();
            Thread t = new Thread(() -> {
                try (Socket s = ss.accept()) {
                    outcome.complete(Thread.currentThread().isInterrupted() ? s.getClass() : new AssertionError("interrupt status lost"));
                } catch (Throwable e) {
                    outcome.complete(e);
                }
            });
            t.start();
            awaitParked(t);
            t.interrupt();
            assertThatThrownBy(() -> outcome.get(300, TimeUnit.MILLISECONDS))
                    .isInstanceOf(java.util.concurrent.TimeoutException.class);
            try (Socket c = connect()) {
                assertThat(outcome.get(30, TimeUnit.SECONDS)).isNotInstanceOf(Throwable.class);
            }
            assertThat(ss.isClosed()).isFalse();
        }
    }

    @Test
    void closeFromAnotherThreadUnblocksAccept() throws Exception {
        ServerSocket ss = new OverlayServerSocket(server, port);
        CompletableFuture<Throwable> outcome = new CompletableFuture<>();
        Thread acceptor = new Thread(() -> {
            try {
                ss.accept();
                outcome.complete(null);
            } catch (Throwable t) {
                outcome.complete(t);
            }
        });
        acceptor.start();
        awaitParked(acceptor);
        ss.close();
        // The accept was parked inside the socket when the close came: the woken accept says "Socket closed".
        assertThat(outcome.get(30, TimeUnit.SECONDS)).isInstanceOf(SocketException.class).hasMessage("Socket closed");
    }

    @Test
    void acceptTimesOutWithSoTimeout() throws Exception {
        try (ServerSocket ss = new OverlayServerSocket(server, port)) {
            ss.setSoTimeout(150);
            assertThatThrownBy(ss::accept).isInstanceOf(SocketTimeoutException.class).hasMessage("Accept timed out");
            assertThat(ss.isClosed()).isFalse();
        }
    }

    @Test
    void aPortNobodyListensOnIsRefused() throws Exception {
        try (Socket c = new OverlaySocket(client)) {
            assertThatThrownBy(() -> c.connect(new InetSocketAddress(server.handle(), port + 1), TIMEOUT_MS))
                    .isInstanceOf(ConnectException.class).hasMessageContaining("refused");
        }
    }

    @Test
    void aPeerThatNeverAnswersTimesOutTheConnect() throws Exception {
        Identity silent = Identity.generate(new SecureRandom());
        try (DatagramSocket blackHole = new DatagramSocket(0, InetAddress.getLoopbackAddress());
             NodeBackend lonely = NodeBackend.start(new PeerSpec(silent.id(),
                     new InetSocketAddress("127.0.0.1", blackHole.getLocalPort())));
             Socket c = new OverlaySocket(lonely)) {
            long t0 = System.nanoTime();
            assertThatThrownBy(() -> c.connect(new InetSocketAddress(silent.id().handle(), 80), 300))
                    .isInstanceOf(SocketTimeoutException.class).hasMessage("Connect timed out");
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isBetween(250L, 10_000L);
        }
    }

    @Test
    void aHandleWithNoKnownKeyFailsToConnectWithUnknownHost() throws Exception {
        Identity stranger = Identity.generate(new SecureRandom());
        try (Socket c = new OverlaySocket(client)) {
            assertThatThrownBy(() -> c.connect(new InetSocketAddress(stranger.id().handle(), 80), TIMEOUT_MS))
                    .isInstanceOf(java.net.UnknownHostException.class);
        }
    }

    @Test
    void optionsAreAcceptedRememberedAndReturned() throws Exception {
        try (ServerSocket ss = new OverlayServerSocket(server, port)) {
            CompletableFuture<Socket> accepted = acceptAsync(ss);
            try (Socket c = new OverlaySocket(client)) {
                c.setTcpNoDelay(true);       // before connect: remembered
                c.setSoTimeout(1234);
                c.connect(new InetSocketAddress(server.handle(), port), TIMEOUT_MS);
                assertThat(c.getTcpNoDelay()).isTrue();
                assertThat(c.getSoTimeout()).isEqualTo(1234);
                c.setKeepAlive(true);
                c.setSoLinger(true, 3);
                c.setSendBufferSize(1 << 20);
                c.setReceiveBufferSize(1 << 19);
                c.setTrafficClass(0x10);
                c.setReuseAddress(true);
                assertThat(c.getKeepAlive()).isTrue();
                assertThat(c.getSoLinger()).isEqualTo(3);
                assertThat(c.getSendBufferSize()).isEqualTo(1 << 20);
                assertThat(c.getReceiveBufferSize()).isEqualTo(1 << 19);
                assertThat(c.getTrafficClass()).isEqualTo(0x10);
                assertThat(c.getReuseAddress()).isTrue();
                c.setSoLinger(false, 0);
                assertThat(c.getSoLinger()).isEqualTo(-1);
                c.setOption(StandardSocketOptions.TCP_NODELAY, false);
                assertThat(c.getOption(StandardSocketOptions.TCP_NODELAY)).isFalse();
                assertThat(c.supportedOptions()).contains(StandardSocketOptions.SO_KEEPALIVE, StandardSocketOptions.SO_LINGER);
                accepted.get(30, TimeUnit.SECONDS).close();
            }
        }
    }

    @Test
    void lingerZeroResetsTheStreamOnClose() throws Exception {
        try (ServerSocket ss = new OverlayServerSocket(server, port)) {
            CompletableFuture<Socket> accepted = acceptAsync(ss);
            try (Socket c = connect(); Socket a = accepted.get(30, TimeUnit.SECONDS)) {
                c.setSoLinger(true, 0);
                c.close();
                assertThatThrownBy(() -> a.getInputStream().read()).isInstanceOf(IOException.class);
            }
        }
    }

    @Test
    void tlsLayeredOnOverlaySocketsBothWays() throws Exception {
        SSLContext tls = TestTls.context();
        try (ServerSocket ss = new OverlayServerSocket(server, port)) {
            CompletableFuture<String> serverSide = CompletableFuture.supplyAsync(() -> {
                try (Socket raw = ss.accept();
                     SSLSocket s = (SSLSocket) tls.getSocketFactory().createSocket(raw, null, raw.getPort(), true)) {
                    s.setUseClientMode(false);
                    s.setSoTimeout(TIMEOUT_MS);
                    String line = new String(s.getInputStream().readNBytes(5), StandardCharsets.UTF_8);
                    s.getOutputStream().write(("tls:" + line).getBytes(StandardCharsets.UTF_8));
                    s.getOutputStream().flush();
                    return s.getSession().getProtocol();
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            }, POOL);
            try (Socket raw = connect();
                 SSLSocket s = (SSLSocket) tls.getSocketFactory().createSocket(raw, "localhost", port, true)) {
                s.startHandshake();
                s.getOutputStream().write("hello".getBytes(StandardCharsets.UTF_8));
                s.getOutputStream().flush();
                assertThat(s.getInputStream().readNBytes(9)).asString().isEqualTo("tls:hello");
                assertThat(s.getSession().getPeerCertificates()).isNotEmpty();
            }
            assertThat(serverSide.get(30, TimeUnit.SECONDS)).startsWith("TLS");
        }
    }

    @Test
    void servedPortOpensNoKernelPortAndOtherPortsAreKernelSockets() throws Exception {
        OverlayServerSocketFactory f = new OverlayServerSocketFactory(server);
        try (ServerSocket overlay = f.createServerSocket(port)) {
            assertThat(overlay.getInetAddress()).isEqualTo(server.handle());
            assertThat(overlay.getLocalPort()).isEqualTo(port);
            try (Socket k = new Socket()) {
                assertThatThrownBy(() -> k.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), TIMEOUT_MS))
                        .isInstanceOf(ConnectException.class);
            }
        }
        try (ServerSocket kernel = f.createServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            assertThat(kernel.getLocalPort()).isPositive();
            assertThat(kernel.getInetAddress()).isEqualTo(InetAddress.getLoopbackAddress());
            CompletableFuture<Socket> accepted = acceptAsync(kernel);
            try (Socket k = new Socket(InetAddress.getLoopbackAddress(), kernel.getLocalPort());
                 Socket a = accepted.get(30, TimeUnit.SECONDS)) {
                k.getOutputStream().write(3);
                assertThat(a.getInputStream().read()).isEqualTo(3);
                assertThat(a.getPort()).isEqualTo(k.getLocalPort());
                assertThat(OverlaySocket.peerKey(a)).isNull();
            }
        }
    }

    @Test
    void oneFactoryServesOverlayAndKernelTargets() throws Exception {
        OverlaySocketFactory f = new OverlaySocketFactory(client);
        try (ServerSocket ss = new OverlayServerSocket(server, port);
             ServerSocket kernel = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            CompletableFuture<Socket> overlayAccepted = acceptAsync(ss);
            CompletableFuture<Socket> kernelAccepted = acceptAsync(kernel);
            try (Socket o = f.createSocket(server.handle(), port);
                 Socket k = f.createSocket("127.0.0.1", kernel.getLocalPort());
                 Socket unconnected = f.createSocket()) {
                unconnected.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), kernel.getLocalPort()), TIMEOUT_MS);
                assertThat(OverlaySocket.peerKey(o)).isEqualTo(server.id());
                assertThat(OverlaySocket.peerKey(k)).isNull();
                assertThat(unconnected.getInetAddress()).isEqualTo(InetAddress.getLoopbackAddress());
                assertThat(unconnected.getPort()).isEqualTo(kernel.getLocalPort());
                o.getOutputStream().write(1);
                k.getOutputStream().write(2);
                assertThat(overlayAccepted.get(30, TimeUnit.SECONDS).getInputStream().read()).isEqualTo(1);
                assertThat(kernelAccepted.get(30, TimeUnit.SECONDS).getInputStream().read()).isEqualTo(2);
                Socket third = kernel.accept();
                unconnected.setSoTimeout(100);
                assertThatThrownBy(() -> unconnected.getInputStream().read()).isInstanceOf(SocketTimeoutException.class);
                third.getOutputStream().write(4);
                unconnected.setSoTimeout(TIMEOUT_MS);
                assertThat(unconnected.getInputStream().read()).isEqualTo(4);
                unconnected.shutdownOutput();
                assertThat(third.getInputStream().read()).isEqualTo(-1);
                third.close();
            }
        }
    }

    @Test
    void tlsOverAKernelSocketFromTheFactory() throws Exception {
        SSLContext tls = TestTls.context();
        try (SSLServerSocket ss = (SSLServerSocket) tls.getServerSocketFactory()
                .createServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            CompletableFuture<Integer> serverSide = CompletableFuture.supplyAsync(() -> {
                try (Socket s = ss.accept()) {
                    int b = s.getInputStream().read();
                    s.getOutputStream().write(b + 1);
                    return b;
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            }, POOL);
            Socket raw = new OverlaySocketFactory(client).createSocket();
            raw.connect(new InetSocketAddress("localhost", ss.getLocalPort()), TIMEOUT_MS);
            try (SSLSocket s = (SSLSocket) tls.getSocketFactory().createSocket(raw, "localhost", ss.getLocalPort(), true)) {
                s.getOutputStream().write(41);
                assertThat(s.getInputStream().read()).isEqualTo(42);
            }
            assertThat(serverSide.get(30, TimeUnit.SECONDS)).isEqualTo(41);
        }
    }
}
