package dev.overlay.compat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * A private PostgreSQL cluster for the compat tests (the approach of overlay-nio's test helper
 * {@code PostgresCluster}): {@code initdb} in a temporary directory, the server on a free port of
 * 127.0.0.1 with trust authentication and TLS on (self-signed, openssl), started and stopped with
 * {@code pg_ctl}. As root (CI) every command runs as the {@code postgres} user, which PostgreSQL
 * requires. {@link #restart()} is {@code pg_ctl restart -m fast}; {@link #close()} is
 * {@code pg_ctl stop -m fast} (then immediate if that overruns) and removes the directory; a
 * shutdown hook does the same if the test JVM ends first.
 */
final class PgCluster implements AutoCloseable {
    static final String APT_PACKAGES = "apt-get install -y postgresql openssl";

    final int port;
    private final Path bin;
    private final Path dir;
    private final boolean asPostgres;
    private final Thread cleanup;
    private boolean stopped;

    private PgCluster(Path bin, Path dir, int port, boolean asPostgres) {
        this.bin = bin;
        this.dir = dir;
        this.port = port;
        this.asPostgres = asPostgres;
        this.cleanup = new Thread(this::stopQuietly, "postgres-cleanup");
    }

    /**
     * The newest installed PostgreSQL's bin directory. Skips the test (saying why) when none is
     * installed, unless {@code OVERLAY_POSTGRES_REQUIRED=1} (CI), where it fails.
     */
    static Path requireBin() throws IOException {
        Path bin = findBin();
        if (bin == null && "1".equals(System.getenv("OVERLAY_POSTGRES_REQUIRED"))) {
            throw new AssertionError("PostgreSQL is required here (OVERLAY_POSTGRES_REQUIRED=1) but not installed: "
                    + APT_PACKAGES);
        }
        Assumptions.assumeTrue(bin != null, "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): "
                + APT_PACKAGES);
        return bin;
    }

    static Path findBin() throws IOException {
        Path root = Path.of("/usr/lib/postgresql");
        if (!Files.isDirectory(root)) {
            return null;
        }
        try (Stream<Path> versions = Files.list(root)) {
            return versions.map(v -> v.resolve("bin"))
                    .filter(b -> Files.isExecutable(b.resolve("initdb")) && Files.isExecutable(b.resolve("pg_ctl")))
                    .max(Comparator.comparingInt(b -> version(b.getParent().getFileName().toString())))
                    .orElse(null);
        }
    }

    private static int version(String name) {
        try {
            return Integer.parseInt(name);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    static PgCluster start(Path bin) throws Exception {
        boolean root = "root".equals(System.getProperty("user.name"));
        Path dir = Files.createTempDirectory("compat-pg");
        PgCluster c = new PgCluster(bin, dir, CompatLab.freePort(), root);
        Runtime.getRuntime().addShutdownHook(c.cleanup);
        try {
            if (root) {
                run(List.of("chown", "postgres:postgres", dir.toString()), 30);
            }
            Path data = c.data();
            c.pg(60, bin.resolve("initdb").toString(), "-D", data.toString(), "-A", "trust", "-U", "postgres",
                    "--no-sync", "-E", "UTF8", "--locale=C");
            c.pg(60, "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
                    "/CN=localhost", "-keyout", data.resolve("server.key").toString(),
                    "-out", data.resolve("server.crt").toString());
            c.pg(30, "chmod", "600", data.resolve("server.key").toString());
            c.pg(120, bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-o", c.options(),
                    "-l", dir.resolve("server.log").toString(), "-w", "-t", "60", "start");
        } catch (Exception | Error e) {
            String log = c.log();
            c.close();
            throw new IllegalStateException("PostgreSQL did not start: " + e.getMessage() + "\n" + log, e);
        }
        return c;
    }

    private Path data() {
        return dir.resolve("data");
    }

    private String options() {
        return "-p " + port + " -k " + dir + " -c listen_addresses=127.0.0.1 -c ssl=on"
                + " -c max_connections=80 -c fsync=off -c synchronous_commit=off -c full_page_writes=off";
    }

    /**
     * {@code pg_ctl restart -m fast}: every backend is terminated, the server is down for the
     * restart, and the same port serves again when this returns.
     */
    void restart() throws Exception {
        pg(120, bin.resolve("pg_ctl").toString(), "-D", data().toString(), "-o", options(),
                "-l", dir.resolve("server.log").toString(), "-m", "fast", "-w", "-t", "60", "restart");
    }

    /** Runs a command as the cluster's owner. */
    private void pg(int seconds, String... command) throws Exception {
        List<String> cmd = new ArrayList<>();
        if (asPostgres) {
            cmd.addAll(List.of("runuser", "-u", "postgres", "--"));
        }
        cmd.addAll(List.of(command));
        run(cmd, seconds);
    }

    private static void run(List<String> cmd, int seconds) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        CompletableFuture<String> out = new CompletableFuture<>();
        Thread reader = new Thread(() -> {
            try {
                out.complete(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                out.complete("(output unreadable: " + e + ")");
            }
        });
        reader.setDaemon(true);
        reader.start();
        if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException(String.join(" ", cmd) + " did not finish in " + seconds + " s");
        }
        if (p.exitValue() != 0) {
            throw new IOException(String.join(" ", cmd) + " exited " + p.exitValue() + ": "
                    + out.get(10, TimeUnit.SECONDS));
        }
    }

    String log() {
        try {
            Path log = dir.resolve("server.log");
            return Files.exists(log) ? Files.readString(log) : "(no server log)";
        } catch (IOException e) {
            return "(server log unreadable: " + e + ")";
        }
    }

    private void stopQuietly() {
        try {
            stop();
        } catch (Exception e) {
            System.err.println("stopping PostgreSQL in " + dir + " failed: " + e);
        }
    }

    private synchronized void stop() throws Exception {
        if (stopped) {
            return;
        }
        stopped = true;
        String pgCtl = bin.resolve("pg_ctl").toString();
        try {
            if (Files.exists(data().resolve("postmaster.pid"))) {
                try {
                    pg(30, pgCtl, "-D", data().toString(), "-m", "fast", "-w", "-t", "20", "stop");
                } catch (IOException e) {
                    pg(30, pgCtl, "-D", data().toString(), "-m", "immediate", "-w", "stop");
                }
            }
        } finally {
            try (Stream<Path> all = Files.walk(dir)) {
                all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Override
    public void close() throws IOException {
        try {
            Runtime.getRuntime().removeShutdownHook(cleanup);
        } catch (IllegalStateException e) {
            // shutting down already: the hook runs
        }
        try {
            stop();
        } catch (IOException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException("stopping PostgreSQL: " + e.getMessage(), e);
        }
    }
}
