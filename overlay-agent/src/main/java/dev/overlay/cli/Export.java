package dev.overlay.cli;

import dev.overlay.identity.NodeId;
import dev.overlay.node.Endpoints;
import dev.overlay.node.Node;
import dev.overlay.stream.OverlayStream;
import dev.overlay.stream.StreamListener;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * {@code serve --port P --to HOST:PORT [--allow KEY]...}: each overlay stream to port P is
 * connected to a local TCP service and bytes are copied both ways with half-close.
 */
final class Export {
    private static final System.Logger LOG = System.getLogger("dev.overlay.cli");
    /** How long connecting to the local service may take before the stream is reset. */
    private static final int CONNECT_TIMEOUT_MS = 10_000;

    private final int port;
    private final InetSocketAddress target;
    private final Set<NodeId> allowed;

    private Export(int port, InetSocketAddress target, Set<NodeId> allowed) {
        this.port = port;
        this.target = target;
        this.allowed = allowed;
    }

    /** The export the options describe, null when none; IllegalArgumentException when incomplete. */
    static Export parse(Integer port, String to, List<String> allow) {
        if (port == null && to == null) {
            if (!allow.isEmpty()) {
                throw new IllegalArgumentException("--allow needs --port and --to");
            }
            return null;
        }
        if (port == null || to == null) {
            throw new IllegalArgumentException("--port and --to go together");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("--port must be 1..65535, got " + port);
        }
        InetSocketAddress target;
        try {
            target = Endpoints.parse(to, false);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--to: " + e.getMessage());
        }
        Set<NodeId> keys = new HashSet<>();
        for (String k : allow) {
            try {
                keys.add(NodeId.parse(k));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--allow '" + k + "': " + e.getMessage());
            }
        }
        return new Export(port, target, keys);
    }

    void start(Node node) {
        StreamListener l = node.listen(port, key -> allowed.isEmpty() || allowed.contains(key));
        Thread t = new Thread(() -> acceptLoop(l), "overlay-export-" + port);
        t.setDaemon(true);
        t.start();
        LOG.log(System.Logger.Level.INFO, "exporting overlay port " + port + " to tcp " + Cli.format(target)
                + (allowed.isEmpty() ? " for any key" : " for " + allowed.size() + " allowed key(s)"));
    }

    private void acceptLoop(StreamListener l) {
        while (!l.isClosed()) {
            OverlayStream s;
            try {
                s = l.accept();
            } catch (IOException e) {
                return;
            }
            connect(s);
        }
    }

    private void connect(OverlayStream s) {
        String who = s.peer().name();
        Socket socket = new Socket();
        try {
            socket.connect(target, CONNECT_TIMEOUT_MS);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "stream from " + who + ": cannot connect to "
                    + Cli.format(target) + ": " + e.getMessage() + "; stream reset");
            s.reset(dev.overlay.stream.StreamError.APPLICATION_MIN);
            closeQuietly(socket);
            return;
        }
        LOG.log(System.Logger.Level.INFO, "stream from " + who + " connected to " + Cli.format(target));
        Pipe pipe = new Pipe();
        pipe.start(Ends.of(s), Ends.of(socket), "export " + s.peer().shortName());
        Thread log = new Thread(() -> {
            try {
                pipe.await();
                LOG.log(System.Logger.Level.INFO, "stream from " + who + " closed: " + pipe.aToB.get()
                        + " bytes in, " + pipe.bToA.get() + " bytes out");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "export-log");
        log.setDaemon(true);
        log.start();
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException e) {
            // nothing more to do
        }
    }
}
