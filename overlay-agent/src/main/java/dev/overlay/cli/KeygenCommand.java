package dev.overlay.cli;

import dev.overlay.identity.Identity;
import dev.overlay.identity.KeyFile;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "keygen", description = "Create a node identity (an X25519 keypair) and print its name.")
final class KeygenCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--out", required = true, paramLabel = "FILE",
            description = "Where to write the key file (mode 0600; an existing file is never overwritten).")
    Path out;

    @Override
    public Integer call() throws Exception {
        Identity id = Identity.generate(new SecureRandom());
        KeyFile.write(out, id);
        spec.commandLine().getOut().println(id.id().name());
        return 0;
    }
}
