package dev.overlay.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code overlay}: the command-line tool (the same jar will also be the java agent).
 *
 * <p>Exit codes: 0 success, 1 the operation failed (unreachable peer, bad key file...), 2 the
 * command line itself was wrong. Every failure prints one line saying what was wrong.
 */
@Command(name = "overlay", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "A userspace overlay network: a node's public key is its address.",
        subcommands = {KeygenCommand.class, IdCommand.class, ServeCommand.class, ForwardCommand.class, PingCommand.class,
                RendezvousCommand.class, StatusCommand.class})
public final class Main {
    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the tool on the standard streams and returns its exit code. */
    public static int run(String... args) {
        return run(new java.io.PrintWriter(System.out, true), new java.io.PrintWriter(System.err, true), args);
    }

    /** Runs the tool with the given output streams and returns its exit code (tests call this). */
    public static int run(java.io.PrintWriter out, java.io.PrintWriter err, String... args) {
        Logging.configure();
        CommandLine cl = new CommandLine(new Main());
        cl.setOut(out);
        cl.setErr(err);
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
            cmd.getErr().println("overlay " + cmd.getCommandName() + ": " + Failure.describe(e));
            return e instanceof IllegalArgumentException ? 2 : 1;
        });
        cl.setParameterExceptionHandler((e, a) -> {
            CommandLine cmd = e.getCommandLine();
            cmd.getErr().println("overlay " + cmd.getCommandName() + ": " + e.getMessage()
                    + " (see 'overlay " + cmd.getCommandName() + " --help')");
            return 2;
        });
        return cl.execute(args);
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"overlay " + (v == null ? "(development build)" : v)};
        }
    }
}
