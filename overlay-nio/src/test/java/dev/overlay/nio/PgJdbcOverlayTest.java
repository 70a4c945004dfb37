package dev.overlay.nio;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Reader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyManager;

/**
 * The real pgjdbc driver with {@code socketFactory=dev.overlay.nio.OverlaySocketFactory} (no hook,
 * no provider property) against a real PostgreSQL exported on the overlay: the server node serves
 * overlay port 5432 and pipes each stream to PostgreSQL's kernel port, as the CLI's export does.
 * Skips, saying so, only when PostgreSQL is not installed.
 */
class PgJdbcOverlayTest {
    private static final int OVERLAY_PORT = 5432;
    private static PostgresCluster pg;
    private static NodeBackend exporter;
    private static NodeBackend client;
    private static ServerSocket exported;
    private static ExecutorService pipes;

    @BeforeAll
    static void start() throws Exception {
        Path bin = PostgresCluster.findBin();
        Assumptions.assumeTrue(bin != null, "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): "
                + PostgresCluster.APT_PACKAGES);
        pg = PostgresCluster.start(bin);
        exporter = NodeBackend.start();
        client = NodeBackend.clientOf(exporter);
        exporter.serve(OVERLAY_PORT);
        exported = new OverlayServerSocket(exporter, OVERLAY_PORT);
        pipes = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "pg-export");
            t.setDaemon(true);
            return t;
        });
        pipes.execute(PgJdbcOverlayTest::export);
        Backends.setProcess(client); // what OverlayRuntime.get() would give in a configured process
    }

    @AfterAll
    static void stop() throws Exception {
        Backends.setProcess(null);
        try {
            if (exported != null) {
                exported.close();
            }
            if (pipes != null) {
                pipes.shutdownNow();
            }
            if (client != null) {
                client.close();
            }
            if (exporter != null) {
                exporter.close();
            }
        } finally {
            if (pg != null) {
                pg.close();
            }
        }
    }

    /** Accepts overlay streams on 5432 and pipes each to PostgreSQL's kernel port. */
    private static void export() {
        while (!exported.isClosed()) {
            Socket in;
            try {
                in = exported.accept();
            } catch (IOException e) {
                return; // closed
            }
            pipes.execute(() -> {
                try (in; Socket out = new Socket(InetAddress.getLoopbackAddress(), pg.port)) {
                    out.setTcpNoDelay(true);
                    Future<?> up = pipes.submit(() -> pump(in, out));
                    pump(out, in);
                    up.get(5, TimeUnit.MINUTES);
                } catch (Exception e) {
                    // a connection ended badly; the client sees it
                }
            });
        }
    }

    private static Void pump(Socket from, Socket to) throws IOException {
        InputStream in = from.getInputStream();
        OutputStream out = to.getOutputStream();
        byte[] buf = new byte[64 * 1024];
        int n;
        try {
            while ((n = in.read(buf)) >= 0) {
                out.write(buf, 0, n);
            }
            to.shutdownOutput();
        } catch (IOException e) {
            from.close();
            to.close();
        }
        return null;
    }

    private static String url(String extra) {
        return "jdbc:postgresql://[" + exporter.handle().getHostAddress() + "]:" + OVERLAY_PORT + "/postgres"
                + "?socketFactory=dev.overlay.nio.OverlaySocketFactory&connectTimeout=20&socketTimeout=60" + extra;
    }

    private static Connection connect(String extra) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", "postgres");
        return DriverManager.getConnection(url(extra), p);
    }

    @Test
    void queriesGoThroughTheOverlayToTheExportedServer() throws Exception {
        try (Connection c = connect("&sslmode=disable"); Statement s = c.createStatement()) {
            try (ResultSet r = s.executeQuery("select version(), inet_client_addr()::text")) {
                assertThat(r.next()).isTrue();
                assertThat(r.getString(1)).startsWith("PostgreSQL");
                assertThat(r.getString(2)).startsWith("127.0.0.1"); // the exporter's pipe is the kernel client
            }
            s.execute("create table if not exists greeting (id int primary key, text text)");
            s.execute("truncate greeting");
            try (PreparedStatement ins = c.prepareStatement("insert into greeting values (?, ?)")) {
                for (int i = 0; i < 100; i++) {
                    ins.setInt(1, i);
                    ins.setString(2, "hello " + i);
                    ins.addBatch();
                }
                assertThat(ins.executeBatch()).hasSize(100);
            }
            try (ResultSet r = s.executeQuery("select count(*), max(text) from greeting")) {
                r.next();
                assertThat(r.getInt(1)).isEqualTo(100);
                assertThat(r.getString(2)).isEqualTo("hello 99");
            }
        }
    }

    @Test
    void theUrlMayNameTheServerByItsOverlayName() throws Exception {
        // pgjdbc resolves the host; with no resolver for .overlay the address stays unresolved and
        // the factory's socket takes the key from the name.
        String url = "jdbc:postgresql://" + exporter.id().name() + ":" + OVERLAY_PORT + "/postgres"
                + "?socketFactory=dev.overlay.nio.OverlaySocketFactory&sslmode=disable&user=postgres";
        try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement();
             ResultSet r = s.executeQuery("select 6 * 7")) {
            r.next();
            assertThat(r.getInt(1)).isEqualTo(42);
        }
    }

    @Test
    void aTransactionCommitsAndRollsBack() throws Exception {
        try (Connection c = connect("&sslmode=disable"); Statement s = c.createStatement()) {
            s.execute("create table if not exists ledger (v int)");
            s.execute("truncate ledger");
            c.setAutoCommit(false);
            s.execute("insert into ledger values (1)");
            c.rollback();
            s.execute("insert into ledger values (2)");
            c.commit();
            c.setAutoCommit(true);
            try (ResultSet r = s.executeQuery("select coalesce(sum(v), 0), count(*) from ledger")) {
                r.next();
                assertThat(r.getInt(1)).isEqualTo(2);
                assertThat(r.getInt(2)).isEqualTo(1);
            }
        }
    }

    @Test
    void tenMegabytesOfCopyFromStdin() throws Exception {
        int rows = 200_000;
        long expectedSum = 0;
        long expectedPayload = 0;
        StringBuilder sb = new StringBuilder(11 << 20);
        for (int i = 0; i < rows; i++) {
            String payload = "x".repeat(40) + Integer.toHexString(i * 31);
            sb.append(i).append('\t').append(payload).append('\n');
            expectedSum += i;
            expectedPayload += payload.length();
        }
        String data = sb.toString();
        assertThat(data.length()).isGreaterThan(10_000_000);
        try (Connection c = connect("&sslmode=disable"); Statement s = c.createStatement()) {
            s.execute("create table if not exists bulk (id int, payload text)");
            s.execute("truncate bulk");
            CopyManager copy = c.unwrap(PGConnection.class).getCopyAPI();
            long copied = copy.copyIn("COPY bulk FROM STDIN", new StringReaderOf(data));
            assertThat(copied).isEqualTo(rows);
            try (ResultSet r = s.executeQuery("select count(*), sum(id), sum(length(payload)) from bulk")) {
                r.next();
                assertThat(r.getLong(1)).isEqualTo(rows);
                assertThat(r.getLong(2)).isEqualTo(expectedSum);
                assertThat(r.getLong(3)).isEqualTo(expectedPayload);
            }
        }
    }

    /** A Reader over a String that hands out what is asked for (CopyManager reads in large chunks). */
    private static final class StringReaderOf extends Reader {
        private final String s;
        private int pos;

        StringReaderOf(String s) {
            this.s = s;
        }

        @Override
        public int read(char[] cbuf, int off, int len) {
            if (pos >= s.length()) {
                return -1;
            }
            int n = Math.min(len, s.length() - pos);
            s.getChars(pos, pos + n, cbuf, off);
            pos += n;
            return n;
        }

        @Override
        public void close() {
        }
    }

    @Test
    void twentyConcurrentConnectionsLikeAPool() throws Exception {
        int n = 20;
        CyclicBarrier allOpen = new CyclicBarrier(n);
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            List<Future<Integer>> pids = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int id = i;
                pids.add(pool.submit(() -> {
                    try (Connection c = connect("&sslmode=disable&ApplicationName=pool" + id);
                         Statement s = c.createStatement()) {
                        int pid;
                        try (ResultSet r = s.executeQuery("select pg_backend_pid()")) {
                            r.next();
                            pid = r.getInt(1);
                        }
                        allOpen.await(60, TimeUnit.SECONDS); // all 20 are connected at once here
                        try (ResultSet r = s.executeQuery(
                                "select count(*) from pg_stat_activity where application_name like 'pool%'")) {
                            r.next();
                            assertThat(r.getInt(1)).isGreaterThanOrEqualTo(n);
                        }
                        for (int q = 0; q < 20; q++) {
                            try (ResultSet r = s.executeQuery("select " + q + " + " + id)) {
                                r.next();
                                assertThat(r.getInt(1)).isEqualTo(q + id);
                            }
                        }
                        allOpen.await(60, TimeUnit.SECONDS); // nobody leaves before everybody counted
                        return pid;
                    }
                }));
            }
            Set<Integer> distinct = new HashSet<>();
            for (Future<Integer> f : pids) {
                distinct.add(f.get(120, TimeUnit.SECONDS));
            }
            assertThat(distinct).hasSize(n);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void tlsLayeredOnTheOverlayWithSslmodeRequire() throws Exception {
        try (Connection c = connect("&sslmode=require"); Statement s = c.createStatement();
             ResultSet r = s.executeQuery("select ssl, version from pg_stat_ssl where pid = pg_backend_pid()")) {
            assertThat(r.next()).isTrue();
            assertThat(r.getBoolean(1)).isTrue();
            assertThat(r.getString(2)).startsWith("TLS");
        }
    }
}
