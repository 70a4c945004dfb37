package dev.overlay.cli;

import dev.overlay.identity.NodeId;
import dev.overlay.node.Endpoints;
import dev.overlay.node.Node;
import dev.overlay.node.NodeConfig;
import dev.overlay.stream.OverlayStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "forward",
        description = "Accept local TCP connections and carry each over its own overlay stream to NAME:PORT.")
final class ForwardCommand implements Callable<Integer> {
    private static final System.Logger LOG = System.getLogger("dev.overlay.cli");
    /** How long opening the overlay stream may take (includes a handshake on a cold session). */
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(15);

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Mixin
    NodeOptions options;

    @Option(names = "--bind", defaultValue = "0.0.0.0:0", paramLabel = "HOST:PORT",
            description = "Local UDP address of the node (default: any address, a free port).")
    String bind;

    @Option(names = "--listen", required = true, paramLabel = "HOST:PORT",
            description = "Local TCP address to accept connections on, e.g. 127.0.0.1:15432.")
    String listen;

    @Option(names = "--to", required = true, paramLabel = "NAME:PORT",
            description = "The overlay service: a node's name and an overlay port.")
    String to;

    @Override
    public Integer call() throws Exception {
        NodeId target;
        int port;
        int colon = to.lastIndexOf(':');
        try {
            target = NodeId.parse(to.substring(0, Math.max(colon, 0)));
            port = Integer.parseInt(to.substring(colon + 1));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("--to: expected NAME:PORT, got '" + to + "'"
                    + (e.getMessage() == null ? "" : ": " + e.getMessage()));
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("--to: port must be 1..65535, got " + port);
        }
        InetSocketAddress local;
        try {
            local = Endpoints.parse(listen, true);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--listen: " + e.getMessage());
        }
        NodeConfig config = options.nodeConfig(bind);
        NodeOptions.requireRoute(config, target);
        Logging.verbose();
        try (Node node = Node.start(config); ServerSocket server = new ServerSocket()) {
            server.bind(local);
            PrintWriter out = spec.commandLine().getOut();
            out.println("forwarding tcp " + Cli.format((InetSocketAddress) server.getLocalSocketAddress())
                    + " to " + target.name() + ":" + port);
            out.flush();
            while (true) {
                Socket client = server.accept();
                Thread t = new Thread(() -> carry(node, client, target, port), "forward-open");
                t.setDaemon(true);
                t.start();
            }
        }
    }

    private static void carry(Node node, Socket client, NodeId target, int port) {
        String from = Cli.format((InetSocketAddress) client.getRemoteSocketAddress());
        OverlayStream s;
        try {
            s = node.connect(target, port, CONNECT_TIMEOUT);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "connection from " + from + " to " + target.shortName()
                    + ":" + port + " failed: " + e.getMessage());
            Ends.of(client).abort();
            return;
        }
        LOG.log(System.Logger.Level.INFO, "connection from " + from + " carried to " + target.name() + ":" + port);
        Pipe pipe = new Pipe();
        pipe.start(Ends.of(client), Ends.of(s), "forward " + from);
        try {
            pipe.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        LOG.log(System.Logger.Level.INFO, "connection from " + from + " closed: " + pipe.aToB.get()
                + " bytes to " + target.shortName() + ", " + pipe.bToA.get() + " bytes back");
    }
}
