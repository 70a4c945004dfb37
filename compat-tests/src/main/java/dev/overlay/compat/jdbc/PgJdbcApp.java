package dev.overlay.compat.jdbc;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HexFormat;
import java.util.SplittableRandom;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyManager;

/**
 * PostgreSQL's JDBC driver alone ({@link DriverManager}), as any application uses it: queries with
 * their results checked, transactions (a commit is seen by another connection, a rollback is not),
 * and a bulk {@code COPY ... FROM STDIN} of deterministic generated rows followed by
 * {@code COPY ... TO STDOUT}, whose bytes must equal what went in (SHA-256 and length).
 *
 * <p>Arguments: {@code JDBC-URL [COPY-MB]} (default 50). Prints {@code OK <what> ...} lines with
 * figures, and {@code DONE} at the end; on any failure {@code FAIL <what>: <exception chain>}
 * and exit status 1. Nothing here knows about the overlay: the URL's host is an ordinary name.
 */
public final class PgJdbcApp {
    private PgJdbcApp() {}

    public static void main(String[] args) {
        if (args.length < 1) {
            System.out.println("usage: PgJdbcApp JDBC-URL [COPY-MB]");
            System.exit(2);
        }
        String url = args[0];
        int copyMb = args.length > 1 ? Integer.parseInt(args[1]) : 50;
        String step = "connect";
        try (Connection c = DriverManager.getConnection(url)) {
            System.out.println("OK connect " + c.getMetaData().getDatabaseProductName() + " "
                    + c.getMetaData().getDatabaseProductVersion() + " ssl=" + ssl(c));
            step = "queries";
            queries(c);
            step = "transactions";
            transactions(url, c);
            step = "copy";
            copy(c, copyMb * 1_000_000L);
            System.out.println("DONE");
        } catch (Throwable e) {
            fail(step, e);
        }
    }

    static String ssl(Connection c) throws SQLException {
        try (Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()")) {
            return rs.next() ? (rs.getBoolean(1) ? rs.getString(2) : "off") : "unknown";
        }
    }

    private static void queries(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            expect("sum 1..100000", 5_000_050_000L,
                    single(s, "SELECT sum(x)::bigint FROM generate_series(1, 100000) AS x"));
            s.execute("DROP TABLE IF EXISTS pg_items");
            s.execute("CREATE TABLE pg_items (id int PRIMARY KEY, name text NOT NULL, price numeric(12,2) NOT NULL)");
        }
        int rows = 5000;
        try (PreparedStatement ins = c.prepareStatement("INSERT INTO pg_items VALUES (?, ?, ?)")) {
            for (int i = 1; i <= rows; i++) {
                ins.setInt(1, i);
                ins.setString(2, "item-" + i + "-\u00e9\u00df\u4e2d");
                ins.setBigDecimal(3, java.math.BigDecimal.valueOf(i * 7L, 2));
                ins.addBatch();
            }
            int[] counts = ins.executeBatch();
            expect("batch size", rows, counts.length);
        }
        try (PreparedStatement q = c.prepareStatement("SELECT id, name, price FROM pg_items WHERE id % ? = 0 ORDER BY id")) {
            q.setInt(1, 7);
            int n = 0;
            try (ResultSet rs = q.executeQuery()) {
                while (rs.next()) {
                    n++;
                    int id = rs.getInt(1);
                    expect("id", 7 * n, id);
                    expect("name of " + id, "item-" + id + "-\u00e9\u00df\u4e2d", rs.getString(2));
                    expect("price of " + id, java.math.BigDecimal.valueOf(id * 7L, 2), rs.getBigDecimal(3));
                }
            }
            expect("rows with id % 7 = 0", rows / 7, n);
        }
        try (Statement s = c.createStatement()) {
            expect("sum of prices", "875175.00", singleString(s, "SELECT sum(price)::text FROM pg_items"));
        }
        System.out.println("OK queries rows=" + rows);
    }

    private static void transactions(String url, Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute("DROP TABLE IF EXISTS pg_tx");
            s.execute("CREATE TABLE pg_tx (id int PRIMARY KEY, v text)");
        }
        try (Connection other = DriverManager.getConnection(url); Statement o = other.createStatement()) {
            c.setAutoCommit(false);
            try (Statement s = c.createStatement()) {
                s.executeUpdate("INSERT INTO pg_tx VALUES (1, 'committed'), (2, 'committed')");
                expect("uncommitted rows seen by another connection", 0L, single(o, "SELECT count(*) FROM pg_tx"));
                c.commit();
                expect("committed rows seen by another connection", 2L, single(o, "SELECT count(*) FROM pg_tx"));
                s.executeUpdate("INSERT INTO pg_tx VALUES (3, 'rolled back')");
                s.executeUpdate("UPDATE pg_tx SET v = 'changed' WHERE id = 1");
                expect("rows inside the open transaction", 3L, single(s, "SELECT count(*) FROM pg_tx"));
                c.rollback();
                expect("rows after rollback", 2L, single(s, "SELECT count(*) FROM pg_tx"));
                expect("rows after rollback, other connection", 2L, single(o, "SELECT count(*) FROM pg_tx"));
                expect("value after rollback", "committed", singleString(o, "SELECT v FROM pg_tx WHERE id = 1"));
            } finally {
                c.setAutoCommit(true);
            }
        }
        System.out.println("OK transactions commit-visible rollback-invisible");
    }

    private static void copy(Connection c, long targetBytes) throws Exception {
        try (Statement s = c.createStatement()) {
            s.execute("DROP TABLE IF EXISTS pg_copy");
            s.execute("CREATE TABLE pg_copy (id bigint PRIMARY KEY, name text NOT NULL, payload text NOT NULL)");
        }
        CopyManager copy = c.unwrap(PGConnection.class).getCopyAPI();
        RowSource source = new RowSource(targetBytes);
        long start = System.nanoTime();
        long rowsIn = copy.copyIn("COPY pg_copy (id, name, payload) FROM STDIN", source, 65536);
        double inSeconds = (System.nanoTime() - start) / 1e9;
        expect("rows copied in", source.rows, rowsIn);
        String shaIn = HexFormat.of().formatHex(source.digest.digest());
        System.out.printf("OK copy-in rows=%d bytes=%d seconds=%.2f MB/s=%.1f%n",
                rowsIn, source.bytes, inSeconds, source.bytes / 1e6 / inSeconds);

        DigestOut sink = new DigestOut();
        start = System.nanoTime();
        long rowsOut = copy.copyOut("COPY (SELECT id, name, payload FROM pg_copy ORDER BY id) TO STDOUT", sink);
        double outSeconds = (System.nanoTime() - start) / 1e9;
        String shaOut = HexFormat.of().formatHex(sink.digest.digest());
        System.out.printf("OK copy-out rows=%d bytes=%d seconds=%.2f MB/s=%.1f%n",
                rowsOut, sink.bytes, outSeconds, sink.bytes / 1e6 / outSeconds);
        expect("rows copied out", rowsIn, rowsOut);
        expect("bytes copied out", source.bytes, sink.bytes);
        expect("SHA-256 of the bytes out", shaIn, shaOut);
        try (Statement s = c.createStatement()) {
            expect("rows in the table", rowsIn, single(s, "SELECT count(*) FROM pg_copy"));
        }
        System.out.println("OK copy-equal rows=" + rowsIn + " bytes=" + source.bytes + " sha256=" + shaIn);
        try (Statement s = c.createStatement()) {
            s.execute("DROP TABLE pg_copy");
        }
    }

    /**
     * COPY text-format rows, generated on demand: {@code id TAB name TAB payload NEWLINE} with a
     * 200-character payload from a generator seeded by the id, so the table's own text output
     * ordered by id is byte for byte the same. Stops after the first row that reaches the target.
     */
    static final class RowSource extends InputStream {
        private static final char[] ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789".toCharArray();
        final MessageDigest digest = sha256();
        private final long target;
        private byte[] row = new byte[0];
        private int pos;
        long rows;
        long bytes;

        RowSource(long target) {
            this.target = target;
        }

        private boolean next() {
            if (bytes >= target) {
                return false;
            }
            long id = rows + 1;
            SplittableRandom r = new SplittableRandom(id * 0x9E3779B97F4A7C15L);
            StringBuilder b = new StringBuilder(240);
            b.append(id).append('\t').append("row-").append(Long.toHexString(id)).append('\t');
            for (int i = 0; i < 200; i++) {
                b.append(ALPHABET[r.nextInt(ALPHABET.length)]);
            }
            b.append('\n');
            row = b.toString().getBytes(StandardCharsets.UTF_8);
            pos = 0;
            rows++;
            bytes += row.length;
            digest.update(row);
            return true;
        }

        @Override
        public int read() {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            int n = 0;
            while (n < len) {
                if (pos == row.length && !next()) {
                    break;
                }
                int k = Math.min(len - n, row.length - pos);
                System.arraycopy(row, pos, b, off + n, k);
                pos += k;
                n += k;
            }
            return n == 0 && len > 0 ? -1 : n;
        }
    }

    static final class DigestOut extends OutputStream {
        final MessageDigest digest = sha256();
        long bytes;

        @Override
        public void write(int b) {
            digest.update((byte) b);
            bytes++;
        }

        @Override
        public void write(byte[] b, int off, int len) {
            digest.update(b, off, len);
            bytes += len;
        }
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static long single(Statement s, String sql) throws SQLException {
        try (ResultSet rs = s.executeQuery(sql)) {
            if (!rs.next()) {
                throw new IllegalStateException("no row from " + sql);
            }
            return rs.getLong(1);
        }
    }

    static String singleString(Statement s, String sql) throws SQLException {
        try (ResultSet rs = s.executeQuery(sql)) {
            if (!rs.next()) {
                throw new IllegalStateException("no row from " + sql);
            }
            return rs.getString(1);
        }
    }

    static void expect(String what, Object expected, Object actual) {
        if (!expected.equals(actual)) {
            throw new IllegalStateException(what + ": expected " + expected + " but got " + actual);
        }
    }

    /** Prints {@code FAIL step: chain} (every cause's class and message) and exits with status 1. */
    static void fail(String step, Throwable e) {
        StringBuilder chain = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (chain.length() > 0) {
                chain.append(" <- ");
            }
            chain.append(t.getClass().getName()).append(": ").append(t.getMessage());
        }
        System.out.println("FAIL " + step + ": " + chain);
        e.printStackTrace(System.err);
        System.out.flush();
        System.exit(1);
    }
}
