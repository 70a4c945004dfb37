package dev.overlay.compat;

import dev.overlay.identity.Identity;
import dev.overlay.identity.KeyFile;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;

/**
 * One overlay on loopback for a compat test: a rendezvous (the real CLI, in its own JVM), node
 * identities in a temporary directory, and programs started in their own JVMs under
 * {@code -javaagent:overlay-agent.jar=identity=...,rendezvous=...[,more]} with the compat
 * programs' class path ({@code target/classes:target/lib/*}, no overlay classes on it). Closing
 * the lab stops everything it started, in reverse order, then deletes its directory.
 *
 * <p>System properties (set by failsafe, see compat-tests/pom.xml): {@code overlaytest.jar}, the
 * built agent jar; {@code overlaytest.appcp}, the programs' class path.
 */
final class CompatLab implements AutoCloseable {
    static final Duration START = Duration.ofSeconds(60);

    /** A node's identity: its key file, overlay name and IPv6 handle (textual, as Inet6Address prints it). */
    record Node(String label, Path keyFile, String name, String handle) {
        String host() {
            return name;
        }
    }

    private final Path dir;
    private final List<AutoCloseable> started = new ArrayList<>();
    private final Node rendezvousNode;
    private final String rendezvous;
    private final JvmProcess rendezvousProcess;

    private CompatLab(Path dir) throws Exception {
        this.dir = dir;
        rendezvousNode = node("rendezvous");
        rendezvousProcess = cli("rendezvous", "rendezvous", "--identity", rendezvousNode.keyFile().toString(),
                "--bind", "127.0.0.1:0");
        Matcher m = rendezvousProcess.awaitOut("rendezvous (\\S+) on udp 127\\.0\\.0\\.1:(\\d+)", START);
        rendezvous = rendezvousNode.name() + "@127.0.0.1:" + m.group(2);
    }

    /** Starts a lab (a rendezvous) in a new temporary directory. */
    static CompatLab start(String testName) throws Exception {
        return new CompatLab(Files.createTempDirectory("compat-" + testName + "-"));
    }

    Path dir() {
        return dir;
    }

    /** The rendezvous, as the {@code rendezvous} option wants it: {@code KEY@127.0.0.1:PORT}. */
    String rendezvous() {
        return rendezvous;
    }

    JvmProcess rendezvousProcess() {
        return rendezvousProcess;
    }

    /** A new identity, written to {@code <dir>/<label>.key} (mode 0600). */
    Node node(String label) throws IOException {
        Path file = dir.resolve(label + ".key");
        Identity id = KeyFile.loadOrCreate(file, new SecureRandom());
        return new Node(label, file, id.id().name(), id.id().handle().getHostAddress());
    }

    /**
     * Starts {@code main} in its own JVM under the agent as {@code node}, with options
     * {@code identity=<key file>,rendezvous=<this lab's>} plus {@code extraOptions} (e.g.
     * {@code "serve=8080,allow=KEY"}; empty for none).
     */
    JvmProcess app(Node node, String extraOptions, Class<?> main, String... args) throws IOException {
        return app(node, extraOptions, List.of(), main, args);
    }

    /** As {@link #app(Node, String, Class, String...)} with extra JVM flags (before the main class). */
    JvmProcess app(Node node, String extraOptions, List<String> jvmFlags, Class<?> main, String... args)
            throws IOException {
        String options = "identity=" + node.keyFile() + ",rendezvous=" + rendezvous
                + (extraOptions == null || extraOptions.isEmpty() ? "" : "," + extraOptions);
        List<String> cmd = new ArrayList<>();
        cmd.add(java());
        cmd.add("-javaagent:" + agentJar() + "=" + options);
        cmd.addAll(jvmFlags);
        cmd.add("-cp");
        cmd.add(appClassPath());
        cmd.add(main.getName());
        cmd.addAll(List.of(args));
        return track(JvmProcess.start(node.label() + " (" + main.getSimpleName() + ")", cmd));
    }

    /** Starts {@code main} in its own JVM without the agent (the kernel network only). */
    JvmProcess plainApp(String label, Class<?> main, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(java(), "-cp", appClassPath(), main.getName()));
        cmd.addAll(List.of(args));
        return track(JvmProcess.start(label + " (" + main.getSimpleName() + ", no agent)", cmd));
    }

    /** Runs the CLI, {@code java -jar overlay-agent.jar args...}, in its own JVM. */
    JvmProcess cli(String label, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(java(), "-jar", agentJar()));
        cmd.addAll(List.of(args));
        return track(JvmProcess.start(label, cmd));
    }

    /** Any command (a real server, pg_ctl), tracked so closing the lab stops it. */
    JvmProcess command(String label, ProcessBuilder builder) throws IOException {
        return track(JvmProcess.start(label, builder));
    }

    /** Something else the lab should close (in reverse order of registration). */
    <T extends AutoCloseable> T track(T thing) {
        synchronized (started) {
            started.add(thing);
        }
        return thing;
    }

    /** A TCP port free on 127.0.0.1 right now. */
    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    static String agentJar() {
        String jar = System.getProperty("overlaytest.jar");
        if (jar == null || !Files.isRegularFile(Path.of(jar))) {
            throw new IllegalStateException("system property overlaytest.jar must name the built agent jar"
                    + " (overlay-agent/target/overlay-agent.jar), got " + jar);
        }
        return jar;
    }

    static String appClassPath() {
        String cp = System.getProperty("overlaytest.appcp");
        if (cp == null || cp.isEmpty()) {
            throw new IllegalStateException("system property overlaytest.appcp must name the compat programs'"
                    + " class path (target/classes:target/lib/*, made at package time)");
        }
        return cp;
    }

    static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    @Override
    public void close() throws Exception {
        List<AutoCloseable> all;
        synchronized (started) {
            all = new ArrayList<>(started);
            started.clear();
        }
        Exception first = null;
        for (int i = all.size() - 1; i >= 0; i--) {
            try {
                all.get(i).close();
            } catch (Exception e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        // Everything that used the directory (key files) has stopped: remove it.
        try (java.util.stream.Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            if (first == null) {
                first = e;
            } else {
                first.addSuppressed(e);
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
