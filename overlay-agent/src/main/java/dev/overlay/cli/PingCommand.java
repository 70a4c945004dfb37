package dev.overlay.cli;

import dev.overlay.identity.NodeId;
import dev.overlay.node.Node;
import dev.overlay.node.NodeConfig;
import dev.overlay.node.PeerSpec;
import dev.overlay.node.PingResult;
import dev.overlay.session.PeerStatus;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "ping", description = "Handshake with NAME and print each round-trip time and the path used.")
final class PingCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Mixin
    NodeOptions options;

    @Option(names = "--bind", defaultValue = "0.0.0.0:0", paramLabel = "HOST:PORT",
            description = "Local UDP address (default: any address, a free port).")
    String bind;

    @Option(names = "--count", defaultValue = "4", paramLabel = "N", description = "Pings to send (default 4).")
    int count;

    @Option(names = "--interval", defaultValue = "1s", paramLabel = "DURATION",
            description = "Time between pings (default 1s).")
    String interval;

    @Option(names = "--timeout", defaultValue = "5s", paramLabel = "DURATION",
            description = "How long to wait for each reply (default 5s).")
    String timeout;

    @Parameters(index = "0", paramLabel = "NAME", description = "The peer's name (<key>.overlay).")
    String name;

    @Override
    public Integer call() throws Exception {
        NodeId target = parseTarget();
        Duration every = NodeOptions.parseDuration(interval);
        Duration wait = NodeOptions.parseDuration(timeout);
        if (count < 1) {
            throw new IllegalArgumentException("--count must be at least 1, got " + count);
        }
        NodeConfig config = options.nodeConfig(bind);
        NodeOptions.requireRoute(config, target);
        PeerSpec peer = config.peers().stream().filter(p -> p.id().equals(target)).findFirst().orElse(null);
        PrintWriter out = spec.commandLine().getOut();
        try (Node node = Node.start(config)) {
            out.println("PING " + target.name() + (peer != null ? " at " + Cli.format(peer.endpoint())
                    : " through rendezvous " + options.rendezvous));
            out.flush();
            Stats stats = new Stats();
            for (int seq = 1; seq <= count; seq++) {
                long started = System.nanoTime();
                pingOnce(node, target, peer, seq, wait, stats, out);
                long pause = every.toNanos() - (System.nanoTime() - started);
                if (seq < count && pause > 0) {
                    TimeUnit.NANOSECONDS.sleep(pause); // pacing between pings, as ping(8) does
                }
            }
            out.println(stats.summary(count));
            out.flush();
            if (stats.received == 0) {
                throw new Failure(noReplyReason(node, target, peer, wait));
            }
        }
        return 0;
    }

    private NodeId parseTarget() {
        try {
            return NodeId.parse(name);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("NAME '" + name + "': " + e.getMessage());
        }
    }

    private void pingOnce(Node node, NodeId target, PeerSpec peer, int seq, Duration wait,
                          Stats stats, PrintWriter out) throws InterruptedException {
        try {
            PingResult r = node.ping(target, seq).get(wait.toMillis(), TimeUnit.MILLISECONDS);
            stats.add(r.rtt());
            out.printf("reply from %s: seq=%d time=%.3f ms path=%s via %s%n", target.shortName(), seq,
                    r.rtt().toNanos() / 1e6, r.path(), Cli.format(r.endpoint()));
        } catch (TimeoutException e) {
            out.printf("no reply for seq=%d within %s%n", seq, NodeOptionsFormat.duration(wait));
        } catch (ExecutionException e) {
            throw new Failure(Failure.describe(e));
        }
        out.flush();
    }

    private static String noReplyReason(Node node, NodeId target, PeerSpec peer, Duration wait) throws Exception {
        PeerStatus s = node.peerStatus(target).get(5, TimeUnit.SECONDS);
        if (peer == null && (s == null || s.path() == null)
                && node.rendezvousStatus().get(5, TimeUnit.SECONDS).stream().noneMatch(r -> r.up())) {
            return "no rendezvous server answered, so " + target.shortName() + " could not be looked up";
        }
        String where = target.shortName() + (peer != null ? " at " + Cli.format(peer.endpoint()) : "");
        if (s == null || !s.established()) {
            return "no handshake with " + where + " completed within " + NodeOptionsFormat.duration(wait)
                    + " per attempt: is 'overlay serve' running there with that identity, and is UDP open?";
        }
        return "handshake with " + where + " completed, but no ping was answered";
    }

    private static final class Stats {
        int received;
        long min = Long.MAX_VALUE;
        long max;
        long sum;

        void add(Duration rtt) {
            long n = rtt.toNanos();
            received++;
            min = Math.min(min, n);
            max = Math.max(max, n);
            sum += n;
        }

        String summary(int sent) {
            String s = String.format("%d sent, %d received, %.0f%% loss", sent, received,
                    100.0 * (sent - received) / sent);
            if (received > 0) {
                s += String.format(", rtt min/avg/max = %.3f/%.3f/%.3f ms",
                        min / 1e6, sum / 1e6 / received, max / 1e6);
            }
            return s;
        }
    }
}
