package dev.overlay.bench;

import java.io.IOException;
import java.io.InputStream;
import java.net.SocketTimeoutException;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Cost of a fresh connection: one op connects (for TLS: a full TLS 1.3 handshake, no
 * resumption), sends one byte, reads the server's one-byte echo and closes. A daemon acceptor
 * thread in the same JVM serves connections one after another: accept (and handshake), echo the
 * byte, wait for the client's close, close its end. Both ends close every socket they open, so
 * at most one connection per side is open at any time (the client's closed ports go through
 * TIME_WAIT, which Linux reuses on loopback with the default {@code tcp_tw_reuse=2}).
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar ConnectBench -f 1 -wi 2 -w 2s -i 3 -r 3s}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class ConnectBench {
    private static final int PING = 0x5a;

    @Param({"tcp", "tls", "overlay", "overlay1400", "overlay1400-nobatch"})
    public String transport;

    private Transport net;
    private Transport.Listener listener;
    private Transport.Endpoint endpoint;
    private Acceptor acceptor;
    private Thread acceptorThread;

    @Setup(Level.Trial)
    public void open() throws IOException {
        net = Transport.named(transport);
        try {
            listener = net.listen();
            endpoint = listener.endpoint();
            acceptor = new Acceptor(listener);
            acceptorThread = Wiring.daemon("connect-" + transport + "-acceptor", acceptor);
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
    }

    @Benchmark
    public int connectEchoClose() throws IOException {
        try (Transport.Conn conn = net.connect(endpoint)) {
            conn.out().write(PING);
            int b = conn.in().read();
            if (b != PING) {
                throw new IOException("bad echo " + b + " (acceptor: " + acceptor.failure + ")");
            }
            return b;
        }
    }

    @TearDown(Level.Iteration)
    public void check() {
        if (acceptor.failure != null) {
            throw new IllegalStateException("acceptor failed", acceptor.failure);
        }
    }

    @TearDown(Level.Trial)
    public void close() {
        if (acceptor != null) {
            acceptor.stopped = true;
        }
        Wiring.closeQuietly(listener); // unblocks accept()
        Wiring.join(acceptorThread);
        Wiring.closeQuietly(net);
        listener = null;
        net = null;
        acceptorThread = null;
    }

    /** Serves one connection at a time until stopped; each accept waits at most the transport timeout. */
    static final class Acceptor implements Runnable {
        private final Transport.Listener listener;
        volatile boolean stopped;
        volatile Throwable failure;

        Acceptor(Transport.Listener listener) {
            this.listener = listener;
        }

        @Override
        public void run() {
            while (!stopped) {
                Transport.Conn conn;
                try {
                    conn = listener.accept();
                } catch (SocketTimeoutException e) {
                    continue; // idle: look at the stop flag again
                } catch (IOException | RuntimeException e) {
                    if (!stopped) {
                        failure = e;
                    }
                    return;
                }
                try (conn) {
                    InputStream in = conn.in();
                    int b = in.read();
                    if (b >= 0) {
                        conn.out().write(b);
                        awaitClose(in);
                    }
                } catch (IOException | RuntimeException e) {
                    if (!stopped) {
                        failure = e;
                    }
                    return;
                }
            }
        }

        /** Waits for the client's close: end of stream, or a reset, which ends the connection too. */
        private static void awaitClose(InputStream in) {
            try {
                in.read();
            } catch (IOException e) {
                // closed either way
            }
        }
    }
}
