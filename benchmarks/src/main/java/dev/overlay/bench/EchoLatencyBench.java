package dev.overlay.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.concurrent.ThreadLocalRandom;
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
 * Request/response latency over one established connection: one op writes a 64-byte request
 * and reads the 64-byte echo a daemon server thread in the same JVM sends back. AverageTime is
 * the mean round trip; SampleTime adds percentiles (p50, p99, ...).
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar EchoLatencyBench -f 1 -wi 2 -w 2s -i 3 -r 3s}.
 */
@State(Scope.Thread)
@BenchmarkMode({Mode.AverageTime, Mode.SampleTime})
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class EchoLatencyBench {
    static final int MESSAGE = 64;

    @Param({"tcp", "tls", "overlay", "overlay1400", "overlay1400-nobatch"})
    public String transport;

    private Transport net;
    private Transport.Listener listener;
    private Wiring.Pair pair;
    private Echo echo;
    private Thread echoThread;
    private OutputStream out;
    private InputStream in;
    private final byte[] request = new byte[MESSAGE];
    private final byte[] response = new byte[MESSAGE];

    @Setup(Level.Trial)
    public void open() throws IOException {
        ThreadLocalRandom.current().nextBytes(request);
        net = Transport.named(transport);
        try {
            listener = net.listen();
            pair = Wiring.connectPair(net, listener, "echo-" + transport);
            out = pair.client().out();
            in = pair.client().in();
            echo = new Echo(pair.server());
            echoThread = Wiring.daemon("echo-" + transport + "-server", echo);
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
    }

    @Benchmark
    public byte[] roundTrip() throws IOException {
        out.write(request);
        Wiring.readFully(in, response, 0, MESSAGE);
        return response;
    }

    @TearDown(Level.Iteration)
    public void check() {
        if (echo.failure != null) {
            throw new IllegalStateException("echo server failed", echo.failure);
        }
        if (!Arrays.equals(request, response)) {
            throw new IllegalStateException("echo returned different bytes");
        }
    }

    @TearDown(Level.Trial)
    public void close() {
        if (pair != null) {
            Wiring.closeQuietly(pair.client());
            if (!Wiring.join(echoThread)) {
                Wiring.closeQuietly(pair.server());
                Wiring.join(echoThread);
            }
            Wiring.closeQuietly(pair.server());
        }
        Wiring.closeQuietly(listener, net);
        pair = null;
        listener = null;
        net = null;
        echoThread = null;
    }

    /** Writes back whatever it reads until end of stream, error or read timeout. */
    static final class Echo implements Runnable {
        private final Transport.Conn conn;
        private final byte[] buffer = new byte[8 * 1024];
        volatile Throwable failure;

        Echo(Transport.Conn conn) {
            this.conn = conn;
        }

        @Override
        public void run() {
            try {
                InputStream in = conn.in();
                OutputStream out = conn.out();
                int n;
                while ((n = in.read(buffer)) >= 0) {
                    out.write(buffer, 0, n);
                }
            } catch (IOException | RuntimeException e) {
                failure = e;
            }
        }
    }
}
