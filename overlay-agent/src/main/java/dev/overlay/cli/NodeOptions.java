package dev.overlay.cli;

import dev.overlay.identity.Identity;
import dev.overlay.identity.KeyFile;
import dev.overlay.identity.NodeId;
import dev.overlay.node.Endpoints;
import dev.overlay.node.NodeConfig;
import dev.overlay.node.PeerSpec;
import dev.overlay.node.RendezvousSpec;
import dev.overlay.session.DeviceConfig;
import dev.overlay.session.SessionTimers;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** The options every node-running command shares. */
final class NodeOptions {
    @Option(names = "--identity", required = true, paramLabel = "FILE",
            description = "The node's key file (create one with 'overlay keygen').")
    Path identity;

    @Option(names = "--peer", paramLabel = "KEY@HOST:PORT",
            description = "A peer's key and UDP address; repeat for several.")
    List<String> peers = new ArrayList<>();

    @Option(names = "--rendezvous", paramLabel = "HOST:PORT[;HOST:PORT]",
            description = "Rendezvous servers to register with and look names up through ([KEY@]HOST:PORT, ';' between several).")
    String rendezvous;

    @Option(names = "--udp-offload", paramLabel = "on|off", defaultValue = "on",
            description = "Batch datagrams into one system call with Linux UDP segmentation offload (default on; falls back by itself where the kernel lacks it).")
    String udpOffload;

    @Option(names = "--timer", paramLabel = "NAME=DURATION", hidden = true,
            description = "Override a session timer, e.g. rekey-after=2s (for tests).")
    List<String> timers = new ArrayList<>();

    Identity loadIdentity() throws IOException {
        if (!Files.exists(identity)) {
            throw new Failure(identity + ": does not exist; create one with 'overlay keygen --out "
                    + identity + "'");
        }
        return KeyFile.read(identity);
    }

    List<PeerSpec> peerSpecs() {
        List<PeerSpec> list = new ArrayList<>();
        for (String p : peers) {
            try {
                list.add(PeerSpec.parse(p));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--peer: " + e.getMessage());
            }
        }
        return list;
    }

    SessionTimers sessionTimers() {
        SessionTimers t = SessionTimers.DEFAULTS;
        for (String spec : timers) {
            int eq = spec.indexOf('=');
            if (eq < 0) {
                throw new IllegalArgumentException("--timer: expected NAME=DURATION, got '" + spec + "'");
            }
            t = t.with(spec.substring(0, eq), parseDuration(spec.substring(eq + 1)));
        }
        return t;
    }

    NodeConfig nodeConfig(String bind) throws IOException {
        InetSocketAddress b;
        try {
            b = Endpoints.parse(bind, true);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--bind: " + e.getMessage());
        }
        return NodeConfig.of(loadIdentity(), b, peerSpecs()).withDevice(DeviceConfig.DEFAULTS.withTimers(sessionTimers()))
                .withRendezvous(rendezvousSpecs()).withUdpOffload(udpOffload());
    }

    boolean udpOffload() {
        return switch (udpOffload) {
            case "on" -> true;
            case "off" -> false;
            default -> throw new IllegalArgumentException("--udp-offload: '" + udpOffload + "' is neither on nor off");
        };
    }

    List<RendezvousSpec> rendezvousSpecs() {
        if (rendezvous == null) {
            return List.of();
        }
        try {
            return RendezvousSpec.parseList(rendezvous);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--rendezvous: " + e.getMessage());
        }
    }

    /** True when {@code target} can be reached: a --peer names it, or a rendezvous can look it up. */
    static void requireRoute(NodeConfig config, NodeId target) {
        if (config.rendezvous().isEmpty() && config.peers().stream().noneMatch(p -> p.id().equals(target))) {
            throw new IllegalArgumentException("no --peer KEY@HOST:PORT given for " + target.name()
                    + " and no --rendezvous to look it up");
        }
    }

    /** {@code 250ms}, {@code 2s}, {@code 5m}: a number and a unit. */
    static Duration parseDuration(String s) {
        String t = s.trim();
        try {
            if (t.endsWith("ms")) {
                return Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2)));
            } else if (t.endsWith("s")) {
                return Duration.ofSeconds(Long.parseLong(t.substring(0, t.length() - 1)));
            } else if (t.endsWith("m")) {
                return Duration.ofMinutes(Long.parseLong(t.substring(0, t.length() - 1)));
            }
        } catch (NumberFormatException e) {
            // fall through to the error below
        }
        throw new IllegalArgumentException("bad duration '" + s + "': use a number with ms, s or m (e.g. 500ms, 2s)");
    }
}
