package dev.overlay.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.openjdk.jmh.annotations.AuxCounters;
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
import org.openjdk.jmh.infra.Control;

/**
 * Bulk one-way throughput over one established connection. The benchmark thread writes
 * {@code chunk} bytes per op; a daemon sink thread in the same JVM reads (64 KiB buffer) and
 * discards. Both ends share this JVM and the machine's two cores.
 *
 * <p>Measuring delivered, not buffered, bytes: each iteration starts with the sink fully caught up
 * (untimed {@code @Setup(Level.Iteration)}), and the writer never gets more than {@link #MAX_LAG}
 * bytes ahead of what the sink has read (it parks until the sink catches up). Two figures result,
 * which agree within {@link #MAX_LAG} + {@link #RECHECK} bytes per iteration (&lt;0.1% at 1 GB/s
 * over 3 s):
 * <ul>
 *   <li>{@code write} (ops/s): chunks written per second; times {@code chunk} = bytes/s written;</li>
 *   <li>{@code write:deliveredMB} (JMH labels the unit "ops/s"): <b>MB/s (10^6 bytes/s) read by
 *       the sink</b> within the timed window, as last observed by the writer.</li>
 * </ul>
 * Bytes are application payload (TLS record and overlay packet overhead not counted). The bound
 * is enforced here, not by the transport, so it holds alike for every transport whatever its
 * buffering (kernel socket buffers for TCP/TLS, the 4 MiB per-stream send buffer of an overlay
 * stream, whose {@code write} returns as soon as the bytes are copied into it). As a check on the
 * transport, every iteration starts with the sink having read exactly what was written (never
 * more), and at tear-down, after end of stream, the sink's total must equal the bytes written.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar StreamThroughputBench -f 1 -wi 5 -w 2s -i 3 -r 3s}.
 * TLS needs several seconds of warmup on JDK 17 (a few hundred MB/s or less until AES-GCM is
 * compiled, then about 1 GB/s on this machine); shorter warmups understate it.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class StreamThroughputBench {
    /** The most the writer may run ahead of the sink (tuning constant). */
    static final long MAX_LAG = 1 << 20;
    /** The writer re-reads the sink's counter after writing this much (tuning constant). */
    static final long RECHECK = MAX_LAG / 4;
    /** Upper bound on any wait for the sink. */
    private static final long WAIT_NS = TimeUnit.SECONDS.toNanos(30);
    /** How long the writer parks while waiting for the sink. */
    private static final long PARK_NS = 20_000;

    @Benchmark
    public void write(Link link, Delivered delivered, Control control) throws IOException {
        long s = link.write();
        if (s >= 0) {
            delivered.observe(s, link.drained, control);
        }
    }

    /** The connection, its sink thread and the byte counts; one per benchmark thread. */
    @State(Scope.Thread)
    public static class Link {
        @Param({"tcp", "tls", "overlay", "overlay1400", "overlay1400-nobatch"})
        public String transport;

        @Param({"1400", "65536"})
        public int chunk;

        private Transport net;
        private Transport.Listener listener;
        private Wiring.Pair pair;
        private Sink sink;
        private Thread sinkThread;
        private OutputStream out;
        private byte[] data;
        /** Bytes written so far (benchmark thread only). */
        private long written;
        /** The sink's counter as last read by the benchmark thread. */
        private long seen;
        /** Bytes written (and read) when the current iteration started. */
        long drained;

        @Setup(Level.Trial)
        public void open() throws IOException {
            data = new byte[chunk];
            ThreadLocalRandom.current().nextBytes(data);
            written = 0;
            seen = 0;
            net = Transport.named(transport);
            try {
                listener = net.listen();
                pair = Wiring.connectPair(net, listener, "stream-" + transport);
                out = pair.client().out();
                sink = new Sink(pair.server().in());
                sinkThread = Wiring.daemon("stream-" + transport + "-sink", sink);
            } catch (IOException | RuntimeException e) {
                close();
                throw e;
            }
        }

        /**
         * Writes one chunk. Every {@link #RECHECK} bytes, reads the sink's counter (first waiting
         * until the lag is at most {@link #MAX_LAG}) and returns it; otherwise returns -1.
         */
        long write() throws IOException {
            out.write(data, 0, chunk);
            long w = written += chunk;
            if (w - seen <= RECHECK) {
                return -1;
            }
            long s = sink.total;
            if (w - s > MAX_LAG) {
                s = awaitSink(w - MAX_LAG);
            }
            seen = s;
            return s;
        }

        /** Before each iteration: waits until the sink has read everything written. */
        @Setup(Level.Iteration)
        public void drain() throws IOException {
            seen = awaitSink(written);
            if (seen != written) {
                throw new IOException("the sink read " + seen + " bytes but only " + written + " were written");
            }
            drained = seen;
        }

        /** Waits (bounded) until the sink has read at least {@code target} bytes. */
        private long awaitSink(long target) throws IOException {
            long deadline = System.nanoTime() + WAIT_NS;
            for (;;) {
                long s = sink.total;
                if (s >= target) {
                    return s;
                }
                if (sink.failure != null) {
                    throw new IOException("sink failed", sink.failure);
                }
                if (System.nanoTime() - deadline > 0) {
                    throw new IOException("sink stuck at " + s + " of " + target + " bytes");
                }
                LockSupport.parkNanos(PARK_NS);
            }
        }

        /** Closes everything; fails if the sink ended normally but did not read exactly what was written. */
        @TearDown(Level.Trial)
        public void close() {
            // Closing the client ends the sink's stream (EOF / close_notify / FIN); the sink then exits.
            boolean sinkEnded = true;
            if (pair != null) {
                Wiring.closeQuietly(pair.client());
                sinkEnded = Wiring.join(sinkThread);
                if (!sinkEnded) {
                    Wiring.closeQuietly(pair.server());
                    Wiring.join(sinkThread);
                }
                Wiring.closeQuietly(pair.server());
            }
            Wiring.closeQuietly(listener, net);
            pair = null;
            listener = null;
            net = null;
            sinkThread = null;
            if (sink != null) {
                Sink s = sink;
                sink = null;
                if (!sinkEnded) {
                    throw new IllegalStateException("the sink did not see end of stream within "
                            + Wiring.JOIN_MS + " ms of the close (read " + s.total + " of " + written + " bytes)");
                }
                if (s.failure == null && s.total != written) {
                    throw new IllegalStateException("the sink read " + s.total + " bytes, " + written + " were written");
                }
            }
        }
    }

    /**
     * The delivered-bytes counter JMH divides by the timed window of each iteration. Only
     * observations made inside that window (JMH's {@link Control} flags) count. (Not injected with
     * {@link Link}: JMH would create a second, separate Link for a state dependency.)
     */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Delivered {
        /** MB (10^6 bytes) the sink had read within the timed window, as last observed. */
        public double deliveredMB;
        /** The sink's count at the start of the timed window; -1 until known. */
        private long base;

        @Setup(Level.Iteration)
        public void reset() {
            deliveredMB = 0;
            base = -1;
        }

        void observe(long sinkTotal, long drained, Control control) {
            if (control.stopMeasurement) {
                return;
            }
            if (!control.startMeasurement) {
                base = sinkTotal; // still before the timed window
                return;
            }
            if (base < 0) {
                base = drained;
            }
            deliveredMB = (sinkTotal - base) * 1e-6;
        }
    }

    /** Reads and discards until end of stream, error or read timeout. */
    static final class Sink implements Runnable {
        private final InputStream in;
        private final byte[] buffer = new byte[64 * 1024];
        /** Bytes read so far; written by the sink thread only. */
        volatile long total;
        volatile Throwable failure;

        Sink(InputStream in) {
            this.in = in;
        }

        @Override
        public void run() {
            try {
                int n;
                while ((n = in.read(buffer)) >= 0) {
                    total += n;
                }
            } catch (IOException | RuntimeException e) {
                failure = e;
            }
        }
    }
}
