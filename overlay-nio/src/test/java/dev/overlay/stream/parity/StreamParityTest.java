package dev.overlay.stream.parity;

import static dev.overlay.stream.parity.Bounded.awaitBlocked;
import static dev.overlay.stream.parity.Bounded.observe;
import static dev.overlay.stream.parity.Bounded.readExactly;
import static dev.overlay.stream.parity.Bounded.readOnce;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.overlay.stream.parity.Bounded.ReadOutcome;
import dev.overlay.stream.parity.Bounded.Task;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The same behaviour tests over kernel TCP and over the overlay, with identical assertions (as
 * Netty's testsuite runs one suite over every transport). TCP on 127.0.0.1 is the reference: a
 * case that passes on "tcp" and fails on "overlay" is an overlay bug, not a test bug. Where the two
 * legitimately differ in a detail applications rarely rely on, the common property is asserted,
 * the difference is noted, and what each did is recorded with {@link Bounded#observe}.
 */
class StreamParityTest {
    private static final Duration SHORT = Duration.ofSeconds(5);
    private static final Duration LONG = Duration.ofSeconds(60);

    private final Bounded bounded = new Bounded();
    private final List<AutoCloseable> toClose = new ArrayList<>();

    static Stream<String> transports() {
        return Endpoints.kinds();
    }

    private Endpoints endpoints(String kind) throws IOException {
        Endpoints e = Endpoints.create(kind);
        toClose.add(e);
        return e;
    }

    private Pair open(Endpoints e) throws Exception {
        Pair p = bounded.within(SHORT, e.name() + " connect+accept", e::open);
        toClose.add(0, p);
        return p;
    }

    @AfterEach
    void cleanUp() {
        for (AutoCloseable c : toClose) {
            try {
                c.close();
            } catch (Exception ignored) {
                // best effort: the test already has its verdict
            }
        }
        bounded.close();
    }

    @AfterAll
    static void summary() {
        Bounded.printObserved();
    }

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] sha256(byte[] b) throws Exception {
        return MessageDigest.getInstance("SHA-256").digest(b);
    }

    /** Reads to end of stream; returns {bytes read, SHA-256}. */
    private static Object[] drainWithDigest(InputStream in) throws Exception {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        byte[] buf = new byte[64 * 1024];
        long total = 0;
        int n;
        while ((n = in.read(buf)) >= 0) {
            sha.update(buf, 0, n);
            total += n;
        }
        return new Object[] {total, sha.digest()};
    }

    private static void writeInChunks(OutputStream out, byte[] data, int chunk) throws IOException {
        for (int off = 0; off < data.length; off += chunk) {
            out.write(data, off, Math.min(chunk, data.length - off));
        }
    }

    // ------------------------------------------------------------------ data transfer

    @ParameterizedTest(name = "{0}")
    @MethodSource("transports")
    void echoRoundTripReturnsTheSameBytes(String kind) throws Exception {
        Pair p = open(endpoints(kind));
        byte[] msg = ascii("hello, parity\n");
        Task<Void> echo = bounded.start("server echo", () -> {
            byte[] got = readExactly(p.server().in(), msg.length);
            p.server().out().write(got);
            p.server().out().flush();
            return null;
        });
        byte[] back = bounded.within(SHORT, "client round trip", () -> {
            p.client().out().write(msg);
            p.client().out().flush();
            return readExactly(p.client().in(), msg.length);
        });
        echo.get(SHORT);
        assertThat(back).isEqualTo(msg);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("transports")
    void eightMebibytesBothWaysAtOnceArriveByteExact(String kind) throws Exception {
        Pair p = open(endpoints(kind));
        byte[] up = random(8 << 20, 1);
        byte[] down = random(8 << 20, 2);
        long t0 = System.nanoTime();
        Task<Void> clientWrites = bounded.start("client writes 8 MiB", () -> {
            writeInChunks(p.client().out(), up, 64 * 1024);
            p.client().shutdownOutput();
            return null;
        });
        Task<Void> serverWrites = bounded.start("server writes 8 MiB", () -> {
            writeInChunks(p.server().out(), down, 64 * 1024);
            p.server().shutdownOutput();
            return null;
        });
        Task<Object[]> serverReads = bounded.start("server reads 8 MiB", () -> drainWithDigest(p.server().in()));
        Task<Object[]> clientReads = bounded.start("client reads 8 MiB", () -> drainWithDigest(p.client().in()));
        Object[] atServer = serverReads.get(LONG);
        Object[] atClient = clientReads.get(LONG);
        clientWrites.get(SHORT);
        serverWrites.get(SHORT);
        observe(kind, "8 MiB each way", (System.nanoTime() - t0) / 1_000_000 + " ms");
        assertThat(atServer[0]).isEqualTo((long) up.length);
        assertThat(atClient[0]).isEqualTo((long) down.length);
        assertThat((byte[]) atServer[1]).isEqualTo(sha256(up));
        assertThat((byte[]) atClient[1]).isEqualTo(sha256(down));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("transports")
    void aReaderWithASevenByteBufferReceivesEveryByteInOrder(String kind) throws Exception {
        Pair p = open(endpoints(kind));
        byte[] data = random(100_003, 3);
        Task<Void> writer = bounded.start("client writes", () -> {
            writeInChunks(p.client().out(), data, 4099);
            p.client().shutdownOutput();
            return null;
        });
        byte[] got = bounded.within(Duration.ofSeconds(30), "server reads 7 bytes at a time", () -> {
            ByteArrayOutputStream sink = new ByteArrayOutputStream();
            byte[] small = new byte[7];
            int n;
            while ((n = p.server().in().read(small)) >= 0) {
                assertThat(n).isBetween(1, 7); // a blocking read never returns 0
                sink.write(small, 0, n);
            }
            return sink.toByteArray();
        });
        writer.get(SHORT);
        assertThat(got).hasSize(data.length);
        assertThat(Arrays.equals(got, data)).as("every byte in order").isTrue();
    }

    // ------------------------------------------------------------------ half-close

    @ParameterizedTest(name = "{0}")
    @MethodSource("transports")
    void afterClientShutdownOutputServerReadsEofButCanStillWrite(String kind) throws Exception {
        Pair p = open(endpoints(kind));
        halfClose(p.client(), p.server());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("transports")
    void afterServerShutdownOutputClientReadsEofButCanStillWrite(String kind) throws Exception {
        Pair p = open(endpoints(kind));
        halfClose(p.server(), p.client());
    }

    /** {@code closer} sends a request and shuts its output; {@code other} reads it, EOF, then answers. */
    private void halfClose(Conn closer, Conn other) throws Exception {
        byte[] request = ascii("request");
        byte[] response = random(200_000, 4); // more than one packet/segment, after the EOF
        bounded.within(SHORT, "send request and shutdownOutput", () -> {
            closer.out().write(request);
            closer.shutdownOutput();
            return null;
        });
        bounded.within(SHORT, "peer reads the request then EOF", () -> {
            assertThat(readExactly(other.in(), request.length)).isEqualTo(request);
            assertThat(other.in().read()).as("read after the half-close").isEqualTo(-1);
            assertThat(other.in().read(new byte[16])).as("EOF is sticky").isEqualTo(-1);
            return null;
        });
        Task<Void> answer = bounded.start("peer writes after reading EOF", () -> {
            writeInChunks(other.out(), response, 8192);
            other.shutdownOutput();
            return null;
        });
        byte[] got = bounded.within(SHORT, "half-closed side reads the answer", () -> closer.in().readAllBytes());
        answer.get(SHORT);
        assertThat(got).hasSize(response.length);
        assertThat(Arrays.equals(got, response)).isTrue();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("transports")
    void afterShutdownInputLocalReadsReturnEof(String kind) throws Exception {
        Pair p = open(endpoints(kind));
        p.client().shutdownInput();
        assertThat(bounded.within(SHORT, "read after shutdownInput", () -> p.client().in().read())).isEqualTo(-1);
        // The other direction is unaffected.
        bounded.within(SHORT, "client writes after its shutdownInput", () -> {
            p.client().out().write(ascii("still here"));
            return null;
        });
        assertThat(bounded.within(SHORT, "server reads", () -> readExactly(p.server().in(), 10)))
                .isEqualTo(ascii("still here"));
    }

    // ------------------------------------------------------------------ timeouts and availability

    @ParameterizedTest(name = "{0}")
    @MethodSource("transports")
    void aReadWithNoDataTimesOutAndTheConnectionStillWorks(String kind) throws Exception {
        Pair p = open(endpoints(kind));
        p.client().setReadTimeout(Duration.ofMillis(200));
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> bounded.within(SHORT, "read with a 200 ms timeout", () -> p.client().in().read()))
                .isInstanceOf(SocketTimeoutException.class);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        observe(kind, "200 ms read timeout fired after", ms + " ms");
        assertThat(ms).isBetween(150L, 2_000L);

        p.client().setReadTimeout(SHORT);
        bounded.within(SHORT, "server writes after the timeout", () -> {
            p.server().out().write(ascii("later"));
            return null;
        });
        assertThat(bounded.within(SHORT, "client reads after the timeout", () -> readExactly(p.client().in(), 5)))
                .isEqualTo(ascii("later"));
        bounded.within(SHORT, "client writes after the timeout", () -> {
            p.client().out().write(ascii("ok"));
            return null;
        });
        assertThat(bounded.within(SHORT, "server reads", () -> readExactly(p.server().in(), 2))).isEqualTo(ascii("ok"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("transports")
    void availableReportsBytesThatHaveArrived(String kind) throws Exception {
        Pair p = open(endpoints(kind));
        assertThat(p.client().available()).isZero();
        byte[] data = random(1000, 5);
        bounded.within(SHORT, "server writes 1000 bytes", () -> {
            p.server().out().write(data);
            p.server().out().flush();
            return null;
        });
        long deadline = System.nanoTime() + SHORT.toNanos();
        int avail;
        while ((avail = p.client().available()) < data.length && System.nanoTime() < deadline) {
            LockSupport.parkNanos(1_000_000); // polling with a deadline, not a sleep for correctness
        }
        assertThat(avail).as("available() once the bytes arrived").isEqualTo(data.length);
        // available() bytes can be read without blocking.
        assertThat(bounded.within(Duration.ofMillis(500), "read of available bytes",
                () -> readExactly(p.client().in(), data.length))).isEqualTo(data);
        assertThat(p.client().available()).isZero();
    }

    // ------------------------------------------------------------------ closing

    @ParameterizedTest(name = "{0}")
    @MethodSource("transports")
    void gracefulCloseDeliversEverythingWrittenBeforeIt(String kind) throws Exception {
        Pair p = open(endpoints(kind));
        byte[] data = random(4 << 20, 6);
        Task<Object[]> reader = bounded.start("server reads to EOF", () -> drainWithDigest(p.server().in()));
        bounded.within(Duration.ofSeconds(30), "client writes 4 MiB then close()", () -> {
            writeInChunks(p.client().out(), data, 64 * 1024);
            p.client().close(); // at once: most of the data is still buffered, unsent or unacknowledged
            return null;
        });
        Object[] got = reader.get(Duration.ofSeconds(30));
        assertThat(got[0]).isEqualTo((long) data.length);
        assertThat((byte[]) got[1]).isEqualTo(sha256(data));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("transports")
    void abortiveCloseMakesThePeersBlockedReadFailNotEof(String kind) throws Exception {
        Pair p = open(endpoints(kind));
        abortAndExpectPeerReadToFail(kind, p, "abortive close (no data exchanged): peer's blocked read");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("transports")
    void abortiveCloseAfterTrafficMakesThePeersBlockedReadFailNotEof(String kind) throws Exception {
        Pair p = open(endpoints(kind));
        exchangeOneMessage(p);
        abortAndExpectPeerReadToFail(kind, p, "abortive close (after an echo): peer's blocked read");
    }

    private void abortAndExpectPeerReadToFail(String kind, Pair p, String what) throws Exception {
        Task<ReadOutcome> reader = bounded.start("server's blocked read", () -> readOnce(p.server().in()));
        awaitBlocked(reader);
        p.client().abort();
        ReadOutcome r = reader.get(SHORT);
        observe(kind, what, r);
        // TCP: SocketException("Connection reset"); overlay: SocketException("connection reset by
        // peer: ..."). Common property: an IOException, not a clean -1 and not data.
        assertThat(r.failed()).as("read after the peer's abortive close threw (got %s)", r).isTrue();
    }

    /** Client sends 4 bytes, server echoes them: both directions carried data and are acknowledged. */
    private void exchangeOneMessage(Pair p) throws Exception {
        bounded.within(SHORT, "one echo", () -> {
            p.client().out().write(ascii("ping"));
            assertThat(readExactly(p.server().in(), 4)).isEqualTo(ascii("ping"));
            p.server().out().write(ascii("pong"));
            assertThat(readExactly(p.client().in(), 4)).isEqualTo(ascii("pong"));
            return null;
        });
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("transports")
    void writingAfterThePeerResetEventuallyFails(String kind) throws Exception {
        Pair p = open(endpoints(kind));
        exchangeOneMessage(p);
        p.client().abort();
        byte[] chunk = new byte[1024];
        int maxAttempts = 64 * 1024; // 64 MiB: far beyond any send buffer and window
        AtomicInteger written = new AtomicInteger();
        String outcome;
        try {
            outcome = bounded.within(Duration.ofSeconds(10), "server writes after the client's reset", () -> {
                for (int i = 1; i <= maxAttempts; i++) {
                    try {
                        p.server().out().write(chunk);
                        written.set(i);
                    } catch (IOException e) {
                        return "write " + i + " threw " + e.getClass().getSimpleName() + "(\"" + e.getMessage() + "\")";
                    }
                }
                return null;
            });
        } catch (AssertionError hang) {
            observe(kind, "write after peer reset", written.get() + " KiB written, then a write blocked for good");
            throw new AssertionError(written.get() + " writes of 1 KiB succeeded after the peer's reset, then "
                    + hang.getMessage(), hang);
        }
        observe(kind, "write after peer reset", String.valueOf(outcome));
        // TCP: the first write usually succeeds (the RST comes back in answer to it), a later one
        // throws "Connection reset by peer"/"Broken pipe"; the overlay may fail the first one.
        assertThat(outcome).as("some write within %d KiB failed", maxAttempts).isNotNull();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("transports")
    void connectingToAPortWithNoListenerFailsWithConnectException(String kind) throws Exception {
        Endpoints e = endpoints(kind);
        long t0 = System.nanoTime();
        Throwable thrown = bounded.within(SHORT, "connect to an unused port", () -> {
            try {
                Conn c = e.connectToUnusedPort();
                c.abort();
                return null;
            } catch (IOException x) {
                return x;
            }
        });
        observe(kind, "connect to unused port", thrown == null ? "connected!"
                : thrown.getClass().getSimpleName() + "(\"" + thrown.getMessage() + "\") after "
                + (System.nanoTime() - t0) / 1_000_000 + " ms");
        assertThat(thrown).isInstanceOf(ConnectException.class);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("transports")
    void closeFromAnotherThreadUnblocksABlockedReader(String kind) throws Exception {
        Pair p = open(endpoints(kind));
        Task<ReadOutcome> reader = bounded.start("client's blocked read", () -> readOnce(p.client().in()));
        awaitBlocked(reader);
        p.client().close();
        ReadOutcome r = reader.get(SHORT);
        observe(kind, "close() from another thread: blocked read", r);
        // TCP: SocketException("Socket closed"); the overlay returns -1. Applications must handle
        // both (a read on a socket being closed is a race in any case); common property: the read
        // returns promptly and yields no data.
        assertThat(r.failed() || r.result() == -1).as("read ended with EOF or an IOException (got %s)", r).isTrue();
    }

    // ------------------------------------------------------------------ many connections

    @ParameterizedTest(name = "{0}")
    @MethodSource("transports")
    void sixtyFourSequentialConnectionsEachCarrySixtyFourKiB(String kind) throws Exception {
        // One connection after another between the same two hosts (a client making request after
        // request): 4 MiB in all, more than any single window, but never more than 64 KiB at once.
        Endpoints e = endpoints(kind);
        byte[] data = random(64 * 1024, 7);
        long t0 = System.nanoTime();
        for (int i = 0; i < 64; i++) {
            Pair p = open(e);
            int n = i;
            try {
                bounded.within(SHORT, "connection " + i, () -> {
                    p.client().out().write(data);
                    p.client().shutdownOutput();
                    assertThat(p.server().in().readAllBytes()).isEqualTo(data);
                    p.server().close();
                    assertThat(p.client().in().read()).isEqualTo(-1);
                    return null;
                });
            } catch (AssertionError hang) {
                observe(kind, "64 sequential x 64 KiB", "connection " + n + " stalled after " + n * 64 + " KiB in earlier ones");
                throw new AssertionError("connection " + n + " (after " + n * 64 + " KiB carried by earlier, closed "
                        + "connections): " + hang.getMessage(), hang);
            }
            p.close();
        }
        observe(kind, "64 sequential x 64 KiB", (System.nanoTime() - t0) / 1_000_000 + " ms");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("transports")
    void fiftyConcurrentConnectionsEachEchoSixtyFourKiBIntact(String kind) throws Exception {
        Endpoints e = endpoints(kind);
        int connections = 50;
        int size = 64 * 1024;
        List<Conn> opened = Collections.synchronizedList(new ArrayList<>());
        toClose.add(0, () -> {
            for (Conn c : opened) {
                c.close();
            }
        });
        Task<Void> acceptor = bounded.start("accept and echo", () -> {
            for (int i = 0; i < connections; i++) {
                Conn s = e.accept();
                opened.add(s);
                bounded.start("echo " + i, () -> {
                    s.in().transferTo(s.out());
                    s.shutdownOutput();
                    return null;
                });
            }
            return null;
        });
        long t0 = System.nanoTime();
        List<Task<Boolean>> clients = new ArrayList<>();
        for (int i = 0; i < connections; i++) {
            byte[] data = random(size, 100 + i);
            clients.add(bounded.start("client " + i, () -> {
                Conn c = e.connect();
                opened.add(c);
                Task<Void> w = bounded.start("client writer", () -> {
                    writeInChunks(c.out(), data, 8192);
                    c.shutdownOutput();
                    return null;
                });
                byte[] back = c.in().readAllBytes();
                w.get(SHORT);
                return Arrays.equals(back, data);
            }));
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        int intact = 0;
        int corrupt = 0;
        List<String> stuck = new ArrayList<>();
        for (int i = 0; i < connections; i++) {
            try {
                if (clients.get(i).get(Duration.ofNanos(Math.max(1_000_000, deadline - System.nanoTime())))) {
                    intact++;
                } else {
                    corrupt++;
                }
            } catch (AssertionError hang) {
                stuck.add(stuck.isEmpty() ? hang.getMessage() : "client " + i);
            }
        }
        observe(kind, "50 x 64 KiB echo", intact + " intact, " + corrupt + " corrupt, " + stuck.size()
                + " stuck after " + (System.nanoTime() - t0) / 1_000_000 + " ms");
        assertThat(intact).as("connections echoed intact (%d corrupt, %d stuck: %s)", corrupt, stuck.size(), stuck)
                .isEqualTo(connections);
        acceptor.get(SHORT);
    }
}
