package dev.overlay.bench;

import dev.overlay.identity.Identity;
import dev.overlay.node.Node;
import dev.overlay.node.NodeConfig;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * How long {@code Node.start} takes in a fresh JVM: the first node of a process, what a CLI
 * command, a serverless function or an agent-started application pays once. Single shot, one per
 * fork, no warm-up: the cost measured is the cold one (class loading, the first key agreement
 * setup, binding the socket, and whatever the UDP offload needs before the node is up).
 *
 * <p>{@code offload=on} starts the node with UDP offload on (the default), {@code off} without;
 * the difference is what native support costs the start. The key is generated in the setup, so
 * key generation is not part of the figure.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 0)
@Measurement(iterations = 1)
@Fork(10)
public class NodeStartBench {
    @Param({"on", "off"})
    public String offload;

    private Identity identity;
    private Node node;

    @Setup(Level.Trial)
    public void key() {
        identity = Identity.generate(new SecureRandom());
    }

    @Benchmark
    public Node start() throws IOException {
        node = Node.start(NodeConfig.of(identity, new InetSocketAddress("127.0.0.1", 0), List.of())
                .withManagement(false).withUdpOffload(offload.equals("on")));
        return node;
    }

    @TearDown(Level.Trial)
    public void stop() throws IOException {
        if (node != null) {
            node.close();
        }
    }
}
