package dev.overlay.cli;

import dev.overlay.node.Node;
import dev.overlay.node.NodeConfig;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "serve", description = "Run a node until interrupted (Ctrl-C or SIGTERM).")
final class ServeCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Mixin
    NodeOptions options;

    @Option(names = "--bind", required = true, paramLabel = "HOST:PORT",
            description = "Local UDP address to listen on, e.g. 0.0.0.0:7000.")
    String bind;

    @Override
    public Integer call() throws Exception {
        NodeConfig config = options.nodeConfig(bind);
        Logging.verbose();
        Node node = Node.start(config);
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
        out.println("serving " + node.id().name() + " on udp " + Cli.format(node.localAddress()));
        out.flush();
        stopped.await();
        return 0;
    }
}
