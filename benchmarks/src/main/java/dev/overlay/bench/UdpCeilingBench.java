package dev.overlay.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.concurrent.TimeUnit;
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
 * The ceiling of the kernel's UDP path on loopback with one system call per datagram, and no
 * crypto or stream layer at all: one thread sends {@code size}-byte datagrams with
 * {@link DatagramChannel#send}, another receives them with {@link DatagramChannel#receive}, both
 * into direct buffers. {@code receivedMB} counts only what arrived.
 *
 * <p>This is the most any design that makes one {@code sendto} and one {@code recvfrom} per
 * datagram can move here; the overlay without send batching ({@code overlay1400-nobatch} in
 * {@link StreamThroughputBench}) is below it, and with UDP segmentation offload may exceed it.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar UdpCeilingBench -f 1 -wi 3 -w 2s -i 3 -r 3s}.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class UdpCeilingBench {
    @Benchmark
    public void send(Pair pair, Received received, Control control) throws IOException {
        pair.send();
        received.observe(pair.receiver.bytes, control);
    }

    /** A sender channel and a receiving thread on loopback. */
    @State(Scope.Thread)
    public static class Pair {
        /** UDP payload: the overlay's 1400-byte stream packets plus its 32-byte header and tag. */
        @Param({"1432"})
        public int size;

        private DatagramChannel tx;
        private DatagramChannel rx;
        private InetSocketAddress to;
        private ByteBuffer datagram;
        Receiver receiver;
        private Thread thread;

        @Setup(Level.Trial)
        public void open() throws IOException {
            rx = DatagramChannel.open();
            rx.setOption(StandardSocketOptions.SO_RCVBUF, 4 << 20);
            rx.bind(new InetSocketAddress(KernelTcp.LOOPBACK, 0));
            to = (InetSocketAddress) rx.getLocalAddress();
            tx = DatagramChannel.open();
            tx.setOption(StandardSocketOptions.SO_SNDBUF, 4 << 20);
            tx.bind(new InetSocketAddress(KernelTcp.LOOPBACK, 0));
            datagram = ByteBuffer.allocateDirect(size);
            receiver = new Receiver(rx);
            thread = Wiring.daemon("udp-ceiling-receiver", receiver);
        }

        void send() throws IOException {
            datagram.clear();
            tx.send(datagram, to);
        }

        @TearDown(Level.Trial)
        public void close() throws IOException {
            tx.close();
            rx.close(); // ends the receiver's blocking receive
            Wiring.join(thread);
        }
    }

    /** Receives and counts until its channel is closed. */
    static final class Receiver implements Runnable {
        private final DatagramChannel rx;
        volatile long bytes;

        Receiver(DatagramChannel rx) {
            this.rx = rx;
        }

        @Override
        public void run() {
            ByteBuffer b = ByteBuffer.allocateDirect(65536);
            try {
                for (;;) {
                    b.clear();
                    rx.receive(b);
                    bytes += b.position();
                }
            } catch (IOException e) {
                // closed: done
            }
        }
    }

    /** Bytes received within the timed window (JMH divides by its length). */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Received {
        /** MB (10^6 bytes) the receiver had counted within the timed window, as last observed. */
        public double receivedMB;
        private long base;

        @Setup(Level.Iteration)
        public void reset() {
            receivedMB = 0;
            base = -1;
        }

        void observe(long total, Control control) {
            if (control.stopMeasurement) {
                return;
            }
            if (!control.startMeasurement || base < 0) {
                base = total;
                return;
            }
            receivedMB = (total - base) * 1e-6;
        }
    }
}
