package dev.overlay.cli;

import dev.overlay.identity.Identity;
import dev.overlay.identity.KeyFile;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "id", description = "Print a node's name and IPv6 handle.")
final class IdCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--identity", required = true, paramLabel = "FILE", description = "The key file.")
    Path identity;

    @Override
    public Integer call() throws Exception {
        Identity id = KeyFile.read(identity);
        PrintWriter out = spec.commandLine().getOut();
        out.println("name:   " + id.id().name());
        out.println("handle: " + id.id().handle().getHostAddress());
        return 0;
    }
}
