package dev.overlay.cli;

import dev.overlay.identity.Identity;
import dev.overlay.identity.KeyFile;
import dev.overlay.node.Endpoints;
import dev.overlay.node.Node;
import dev.overlay.node.NodeConfig;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "rendezvous",
        description = "Run a rendezvous and relay server: nodes register here, look each other up, "
                + "and relay sealed packets through it when no direct path works. Runs until interrupted.")
final class RendezvousCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--bind", required = true, paramLabel = "HOST:PORT",
            description = "UDP address to serve on, e.g. 0.0.0.0:7000.")
    String bind;

    @Option(names = "--identity", paramLabel = "FILE",
            description = "The server's key file; without it a new key is made for this run "
                    + "(nodes that pinned the old key then refuse it).")
    Path identity;

    @Override
    public Integer call() throws Exception {
        InetSocketAddress b;
        try {
            b = Endpoints.parse(bind, true);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--bind: " + e.getMessage());
        }
        Identity id;
        if (identity == null) {
            id = Identity.generate(new SecureRandom());
        } else if (!Files.exists(identity)) {
            throw new Failure(identity + ": does not exist; create one with 'overlay keygen --out " + identity + "'");
        } else {
            id = KeyFile.read(identity);
        }
        Logging.verbose();
        Node node = Node.start(NodeConfig.of(id, b, List.of()).asRendezvousServer());
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                node.close();
            } catch (java.io.IOException e) {
                // exiting anyway
            }
            stopped.countDown();
        }, "overlay-shutdown"));
        PrintWriter out = spec.commandLine().getOut();
        out.println("rendezvous " + node.id().name() + " on udp " + Cli.format(node.localAddress()));
        out.flush();
        stopped.await();
        return 0;
    }
}
