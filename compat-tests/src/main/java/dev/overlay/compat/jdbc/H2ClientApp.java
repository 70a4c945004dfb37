package dev.overlay.compat.jdbc;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.Reader;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * H2's JDBC driver against an H2 TCP server, unchanged: queries, transactions, a BLOB and a CLOB
 * of a few MB read back equal, and concurrent connections each writing its own rows.
 *
 * <p>Argument: {@code JDBC-URL} (e.g. {@code jdbc:h2:tcp://HOST:PORT/mem:compat;DB_CLOSE_DELAY=-1}),
 * user {@code sa}, no password. Prints {@code SESSION server=... client-addr=...} (what the server
 * recorded for this session in {@code INFORMATION_SCHEMA.SESSIONS}), {@code OK ...} lines,
 * {@code DONE}; on failure {@code FAIL <step>: <cause>} and exit status 1.
 */
public final class H2ClientApp {
    private static final int CONNECTIONS = 8;

    private H2ClientApp() {}

    public static void main(String[] args) {
        if (args.length != 1) {
            System.out.println("usage: H2ClientApp JDBC-URL");
            System.exit(2);
        }
        String url = args[0];
        String step = "connect";
        try (Connection c = DriverManager.getConnection(url, "sa", "")) {
            System.out.println("OK connect " + c.getMetaData().getDatabaseProductName() + " "
                    + c.getMetaData().getDatabaseProductVersion());
            step = "session";
            session(c);
            step = "queries";
            queries(c);
            step = "transactions";
            transactions(url, c);
            step = "lobs";
            lobs(c);
            step = "concurrent";
            concurrent(url);
            System.out.println("DONE");
        } catch (Throwable e) {
            PgJdbcApp.fail(step, e);
        }
    }

    private static void session(Connection c) throws Exception {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
                "SELECT SERVER, CLIENT_ADDR, CLIENT_INFO FROM INFORMATION_SCHEMA.SESSIONS WHERE SESSION_ID = SESSION_ID()")) {
            if (!rs.next()) {
                throw new IllegalStateException("no line for this session in INFORMATION_SCHEMA.SESSIONS");
            }
            System.out.println("SESSION server=" + rs.getString(1) + " client-addr=" + rs.getString(2)
                    + " client-info=" + rs.getString(3));
        }
    }

    private static void queries(Connection c) throws Exception {
        try (Statement s = c.createStatement()) {
            s.execute("DROP TABLE IF EXISTS h2_items");
            s.execute("CREATE TABLE h2_items (id INT PRIMARY KEY, name VARCHAR(100) NOT NULL, qty BIGINT NOT NULL)");
        }
        int rows = 2000;
        try (PreparedStatement ins = c.prepareStatement("INSERT INTO h2_items VALUES (?, ?, ?)")) {
            for (int i = 1; i <= rows; i++) {
                ins.setInt(1, i);
                ins.setString(2, "h2-" + i + "-\u00fc\u65e5");
                ins.setLong(3, i * 3L);
                ins.addBatch();
            }
            PgJdbcApp.expect("batch size", rows, ins.executeBatch().length);
        }
        try (Statement s = c.createStatement()) {
            PgJdbcApp.expect("count", (long) rows, PgJdbcApp.single(s, "SELECT COUNT(*) FROM h2_items"));
            PgJdbcApp.expect("sum of qty", 3L * rows * (rows + 1) / 2, PgJdbcApp.single(s, "SELECT SUM(qty) FROM h2_items"));
            try (ResultSet rs = s.executeQuery("SELECT id, name FROM h2_items WHERE id > 1990 ORDER BY id")) {
                int expected = 1991;
                while (rs.next()) {
                    PgJdbcApp.expect("id", expected, rs.getInt(1));
                    PgJdbcApp.expect("name", "h2-" + expected + "-\u00fc\u65e5", rs.getString(2));
                    expected++;
                }
                PgJdbcApp.expect("last id + 1", rows + 1, expected);
            }
        }
        System.out.println("OK queries rows=" + rows);
    }

    private static void transactions(String url, Connection c) throws Exception {
        try (Statement s = c.createStatement()) {
            s.execute("DROP TABLE IF EXISTS h2_tx");
            s.execute("CREATE TABLE h2_tx (id INT PRIMARY KEY, v VARCHAR(20))");
        }
        try (Connection other = DriverManager.getConnection(url, "sa", ""); Statement o = other.createStatement()) {
            c.setAutoCommit(false);
            try (Statement s = c.createStatement()) {
                s.executeUpdate("INSERT INTO h2_tx VALUES (1, 'committed'), (2, 'committed')");
                PgJdbcApp.expect("uncommitted rows seen by another connection", 0L,
                        PgJdbcApp.single(o, "SELECT COUNT(*) FROM h2_tx"));
                c.commit();
                PgJdbcApp.expect("committed rows seen by another connection", 2L,
                        PgJdbcApp.single(o, "SELECT COUNT(*) FROM h2_tx"));
                s.executeUpdate("INSERT INTO h2_tx VALUES (3, 'rolled back')");
                PgJdbcApp.expect("rows inside the transaction", 3L, PgJdbcApp.single(s, "SELECT COUNT(*) FROM h2_tx"));
                c.rollback();
                PgJdbcApp.expect("rows after rollback", 2L, PgJdbcApp.single(s, "SELECT COUNT(*) FROM h2_tx"));
                PgJdbcApp.expect("rows after rollback, other connection", 2L,
                        PgJdbcApp.single(o, "SELECT COUNT(*) FROM h2_tx"));
            } finally {
                c.setAutoCommit(true);
            }
        }
        System.out.println("OK transactions commit-visible rollback-invisible");
    }

    private static void lobs(Connection c) throws Exception {
        byte[] blob = new byte[4 * 1024 * 1024];
        new SplittableRandom(42).nextBytes(blob);
        StringBuilder text = new StringBuilder(2 * 1024 * 1024);
        SplittableRandom r = new SplittableRandom(7);
        String alphabet = "abcdefghij \u00e9\u00df\u4e2d\u6587\n";
        while (text.length() < 2 * 1024 * 1024) {
            text.append(alphabet.charAt(r.nextInt(alphabet.length())));
        }
        String clob = text.toString();
        try (Statement s = c.createStatement()) {
            s.execute("DROP TABLE IF EXISTS h2_lobs");
            s.execute("CREATE TABLE h2_lobs (id INT PRIMARY KEY, b BLOB, t CLOB)");
        }
        long start = System.nanoTime();
        try (PreparedStatement ins = c.prepareStatement("INSERT INTO h2_lobs VALUES (1, ?, ?)")) {
            ins.setBinaryStream(1, new ByteArrayInputStream(blob), blob.length);
            ins.setCharacterStream(2, new StringReader(clob), clob.length());
            ins.executeUpdate();
        }
        byte[] blobBack;
        String clobBack;
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT b, t FROM h2_lobs WHERE id = 1")) {
            rs.next();
            try (InputStream in = rs.getBinaryStream(1)) {
                blobBack = in.readAllBytes();
            }
            try (Reader in = rs.getCharacterStream(2)) {
                StringBuilder b = new StringBuilder();
                char[] buf = new char[8192];
                int n;
                while ((n = in.read(buf)) > 0) {
                    b.append(buf, 0, n);
                }
                clobBack = b.toString();
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        PgJdbcApp.expect("BLOB length", blob.length, blobBack.length);
        PgJdbcApp.expect("BLOB SHA-256", sha(blob), sha(blobBack));
        PgJdbcApp.expect("CLOB length", clob.length(), clobBack.length());
        PgJdbcApp.expect("CLOB SHA-256", sha(clob.getBytes(StandardCharsets.UTF_8)),
                sha(clobBack.getBytes(StandardCharsets.UTF_8)));
        System.out.printf("OK lobs blob=%d clob-chars=%d sha256-equal seconds=%.2f%n", blob.length, clob.length(), seconds);
    }

    private static void concurrent(String url) throws Exception {
        try (Connection c = DriverManager.getConnection(url, "sa", ""); Statement s = c.createStatement()) {
            s.execute("DROP TABLE IF EXISTS h2_conc");
            s.execute("CREATE TABLE h2_conc (conn INT, seq INT, v BIGINT, PRIMARY KEY (conn, seq))");
        }
        int perConnection = 200;
        ExecutorService pool = Executors.newFixedThreadPool(CONNECTIONS);
        try {
            List<Future<Long>> results = new ArrayList<>();
            for (int k = 0; k < CONNECTIONS; k++) {
                int conn = k;
                results.add(pool.submit(() -> {
                    try (Connection c = DriverManager.getConnection(url, "sa", "");
                         PreparedStatement ins = c.prepareStatement("INSERT INTO h2_conc VALUES (?, ?, ?)")) {
                        c.setAutoCommit(false);
                        long sum = 0;
                        for (int i = 1; i <= perConnection; i++) {
                            ins.setInt(1, conn);
                            ins.setInt(2, i);
                            ins.setLong(3, conn * 10_000L + i);
                            ins.executeUpdate();
                            sum += conn * 10_000L + i;
                            if (i % 10 == 0) {
                                c.commit();
                            }
                        }
                        try (PreparedStatement q = c.prepareStatement("SELECT COUNT(*), SUM(v) FROM h2_conc WHERE conn = ?")) {
                            q.setInt(1, conn);
                            try (ResultSet rs = q.executeQuery()) {
                                rs.next();
                                PgJdbcApp.expect("rows of connection " + conn, (long) perConnection, rs.getLong(1));
                                PgJdbcApp.expect("sum of connection " + conn, sum, rs.getLong(2));
                            }
                        }
                        return sum;
                    }
                }));
            }
            long total = 0;
            for (Future<Long> f : results) {
                total += f.get(60, TimeUnit.SECONDS);
            }
            try (Connection c = DriverManager.getConnection(url, "sa", ""); Statement s = c.createStatement()) {
                PgJdbcApp.expect("all rows", (long) CONNECTIONS * perConnection, PgJdbcApp.single(s, "SELECT COUNT(*) FROM h2_conc"));
                PgJdbcApp.expect("sum of all rows", total, PgJdbcApp.single(s, "SELECT SUM(v) FROM h2_conc"));
            }
            System.out.println("OK concurrent connections=" + CONNECTIONS + " rows=" + CONNECTIONS * perConnection);
        } finally {
            pool.shutdownNow();
        }
    }

    static String sha(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }
}
