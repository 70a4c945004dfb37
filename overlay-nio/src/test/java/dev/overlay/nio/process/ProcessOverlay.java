package dev.overlay.nio.process;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.overlay.identity.Identity;
import dev.overlay.identity.KeyFile;
import dev.overlay.node.PeerSpec;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.DatagramSocket;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * This JVM as an overlay node through the process-wide provider, configured with nothing but
 * system properties, and a second JVM that serves unchanged servers on overlay-only ports.
 *
 * <p><b>Ordering.</b> The JDK picks its {@code SelectorProvider} once, on the first
 * {@code SelectorProvider.provider()} call, from {@code -Djava.nio.channels.spi.SelectorProvider}
 * (set by the {@code nio-process} surefire execution's {@code argLine}). The overlay configuration
 * this JVM needs (its key file; the other JVM's key and UDP address as {@code overlay.peers}) exists
 * only once this class has made it, so {@link #init()} must run before anything in this JVM touches
 * NIO channels: each test class calls it from its static initializer. That works because
 * <ul>
 *   <li>surefire's fork and the JUnit platform do not call {@code SelectorProvider.provider()}
 *       before the first test class is initialised (checked with a recording provider under
 *       surefire 3.5.2 and JUnit 5.11 on JDK 17 and 25), and
 *   <li>{@code OverlaySelectorProvider}/{@code OverlayRuntime} read the {@code overlay.*}
 *       properties when the provider is created or later, never at class loading of something
 *       earlier.
 * </ul>
 * Everything here before the properties are set uses only files, processes and
 * {@code new DatagramSocket} (which does not go through the provider), never a channel.
 *
 * <p><b>The other JVM</b> ({@link ServerPeer}) gets its whole configuration on its command line:
 * the provider property, {@code overlay.identity} (a key file made here), {@code overlay.bind}
 * (a loopback UDP port found free here), {@code overlay.serve} ({@link #HTTP_PORT},
 * {@link #NETTY_PORT}) and {@code overlay.allow} (this JVM's key). It prints {@code READY} once
 * its servers are bound and ends when its standard input closes (when this JVM ends).
 */
final class ProcessOverlay {
    static final String PROVIDER_CLASS = "dev.overlay.nio.OverlaySelectorProvider";
    /** Set by the nio-process surefire execution next to the provider property. */
    static final String MARKER = "overlaytest.process";
    /** Overlay ports the other JVM serves: com.sun.net.httpserver and Netty. */
    static final int HTTP_PORT = 8080;
    static final int NETTY_PORT = 9090;
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);
    private static final int START_ATTEMPTS = 3;
    /** 127.0.0.1 as a literal (so that {@code overlay.peers} names it as such, not as "localhost"). */
    private static final InetAddress LOOPBACK = loopback();

    private static ProcessOverlay instance;
    private static Throwable failure;

    final Identity self;
    final Identity server;
    final Path dir;
    private final Process child;
    private final Path childLog;
    final InetSocketAddress childUdp;

    private ProcessOverlay() throws IOException, InterruptedException {
        dir = Path.of(System.getProperty("overlaytest.process.dir", "target/nio-process"))
                .resolve("run-" + ProcessHandle.current().pid()).toAbsolutePath();
        Files.createDirectories(dir);
        SecureRandom random = new SecureRandom();
        self = Identity.generate(random);
        server = Identity.generate(random);
        Path selfKey = dir.resolve("client.key");
        Path serverKey = dir.resolve("server.key");
        KeyFile.write(selfKey, self);
        KeyFile.write(serverKey, server);
        childLog = dir.resolve("server-peer.log");

        Process started = null;
        InetSocketAddress udp = null;
        String why = null;
        for (int attempt = 1; attempt <= START_ATTEMPTS && started == null; attempt++) {
            udp = new InetSocketAddress(LOOPBACK, freeUdpPort());
            Process p = startChild(serverKey, udp);
            why = awaitReady(p);
            if (why == null) {
                started = p;
            } else {
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
            }
        }
        if (started == null) {
            throw new AssertionError("the server JVM did not start: " + why + "\n" + tail(childLog));
        }
        child = started;
        childUdp = udp;
        Runtime.getRuntime().addShutdownHook(new Thread(this::stopChild, "server-peer-stop"));

        // Now, and not before: this JVM's overlay configuration. Nothing has touched NIO yet.
        System.setProperty("overlay.identity", selfKey.toString());
        if (System.getProperty("overlay.bind") == null) {
            System.setProperty("overlay.bind", "127.0.0.1:0");
        }
        System.setProperty("overlay.peers", new PeerSpec(server.id(), childUdp).toString());
    }

    /**
     * Sets this JVM up, once; never throws (a failure is kept for {@link #get()}). Call it first
     * thing, from each test class's static initializer. Does nothing outside the nio-process
     * execution (no {@value #MARKER} property).
     */
    static synchronized void init() {
        if (!Boolean.getBoolean(MARKER) || instance != null || failure != null) {
            return;
        }
        try {
            checkProvider();
            instance = new ProcessOverlay();
        } catch (Throwable t) {
            failure = t;
        }
    }

    /**
     * The set-up, for {@code @BeforeAll}: outside the nio-process execution the calling tests are
     * skipped with a message; inside it, a failed set-up (a missing provider) fails them.
     */
    static synchronized ProcessOverlay get() {
        assumeTrue(Boolean.getBoolean(MARKER), "runs only in overlay-nio's nio-process surefire execution,"
                + " where the overlay provider is the process provider");
        init();
        if (failure != null) {
            throw new AssertionError("process overlay set-up failed: " + failure.getMessage(), failure);
        }
        return instance;
    }

    private static void checkProvider() {
        String property = System.getProperty("java.nio.channels.spi.SelectorProvider");
        if (!PROVIDER_CLASS.equals(property)) {
            throw new AssertionError("-Djava.nio.channels.spi.SelectorProvider=" + PROVIDER_CLASS
                    + " is not set (it is " + property + ")");
        }
        try {
            Class.forName(PROVIDER_CLASS, false, ClassLoader.getSystemClassLoader());
        } catch (ClassNotFoundException e) {
            throw new AssertionError("OverlaySelectorProvider not built yet: " + PROVIDER_CLASS
                    + " is not on the class path");
        }
    }

    /** The other JVM's handle: where its overlay-only servers are reached. */
    Inet6Address serverHandle() {
        return server.id().handle();
    }

    /** This JVM's handle: what the other JVM's servers see as the client address. */
    Inet6Address selfHandle() {
        return self.id().handle();
    }

    private static InetAddress loopback() {
        try {
            return InetAddress.getByAddress(new byte[] {127, 0, 0, 1});
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    private static int freeUdpPort() throws IOException {
        // DatagramSocket does not go through SelectorProvider.provider(): safe before configuration.
        try (DatagramSocket s = new DatagramSocket(0, LOOPBACK)) {
            return s.getLocalPort();
        }
    }

    private Process startChild(Path serverKey, InetSocketAddress udp) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String classPath = System.getProperty("surefire.test.class.path");
        if (classPath == null || classPath.isBlank()) {
            classPath = System.getProperty("java.class.path");
        }
        List<String> command = new ArrayList<>(List.of(
                java,
                "-Xmx256m",
                "-Djava.nio.channels.spi.SelectorProvider=" + PROVIDER_CLASS,
                "-Doverlay.identity=" + serverKey,
                "-Doverlay.bind=127.0.0.1:" + udp.getPort(),
                "-Doverlay.serve=" + HTTP_PORT + ";" + NETTY_PORT,
                "-Doverlay.allow=" + self.id().base32(),
                "-cp", classPath,
                ServerPeer.class.getName()));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().remove("JAVA_TOOL_OPTIONS");
        return pb.start();
    }

    /** Null once the child printed READY, else why not; its output goes on into {@link #childLog}. */
    private String awaitReady(Process p) throws IOException, InterruptedException {
        CountDownLatch ready = new CountDownLatch(1);
        OutputStream log = Files.newOutputStream(childLog, java.nio.file.StandardOpenOption.CREATE,
                java.nio.file.StandardOpenOption.APPEND);
        PrintStream logLines = new PrintStream(log, true, StandardCharsets.UTF_8);
        Thread pump = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
                 logLines) {
                String line;
                while ((line = r.readLine()) != null) {
                    logLines.println(line);
                    System.out.println("[server-peer] " + line);
                    if (line.startsWith("READY")) {
                        ready.countDown();
                    }
                }
            } catch (IOException e) {
                logLines.println("(output pump: " + e + ")");
            }
        }, "server-peer-output");
        pump.setDaemon(true);
        pump.start();
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        while (System.nanoTime() - deadline < 0) {
            if (ready.await(200, TimeUnit.MILLISECONDS)) {
                return null;
            }
            if (!p.isAlive()) {
                pump.join(5_000);
                return "it exited with status " + p.exitValue() + " before READY";
            }
        }
        return "no READY within " + READY_TIMEOUT.toSeconds() + " s";
    }

    private void stopChild() {
        try {
            child.getOutputStream().close(); // ServerPeer ends when its standard input ends
            if (!child.waitFor(10, TimeUnit.SECONDS)) {
                child.destroyForcibly();
            }
        } catch (IOException | InterruptedException e) {
            child.destroyForcibly();
        }
    }

    /** The last lines of {@code file}, for failure messages. */
    static String tail(Path file) {
        try {
            Deque<String> last = new ArrayDeque<>();
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                last.addLast(line);
                if (last.size() > 40) {
                    last.removeFirst();
                }
            }
            return "---- " + file + " (last lines) ----\n" + String.join("\n", last);
        } catch (IOException e) {
            return "(no output: " + e.getMessage() + ")";
        }
    }
}
