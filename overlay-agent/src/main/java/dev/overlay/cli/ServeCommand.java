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

    @Option(names = "--port", paramLabel = "P",
            description = "Overlay port to export (needs --to). Nothing listens on the kernel network for it.")
    Integer port;

    @Option(names = "--to", paramLabel = "HOST:PORT",
            description = "Local TCP service each overlay stream on --port is connected to, e.g. 127.0.0.1:5432.")
    String to;

    @Option(names = "--allow", paramLabel = "KEY",
            description = "Only these keys may open streams to --port (repeat); default: any key.")
    java.util.List<String> allow = new java.util.ArrayList<>();

    @Override
    public Integer call() throws Exception {
        Export export = Export.parse(port, to, allow);
        NodeConfig config = options.nodeConfig(bind);
        Logging.verbose();
        Node node = Node.start(config);
        if (export != null) {
            export.start(node);
        }
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
