package dev.overlay.compat.jdbc;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.HikariPoolMXBean;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;

/**
 * A HikariCP pool of 20 PostgreSQL connections under concurrent load, through a server restart.
 *
 * <p>Arguments: {@code JDBC-URL THREADS TX-BEFORE TX-AFTER}. Each of {@code THREADS} workers
 * loops until told to stop: one transaction inserts its row {@code (thread, seq, value)} and adds
 * the value to its thread's line of a totals table. Every commit that returned is remembered;
 * one that threw is "uncertain". Steps, each bounded:
 * <ol>
 *   <li>each worker commits {@code TX-BEFORE} transactions, and the load goes on until the pool
 *       has opened 20 connections (Hikari opens them one at a time) and lent all 20 at once; the
 *       server must see 20 backends of the pool ({@code pg_stat_activity});
 *   <li>with the load still running it prints {@code RESTART-NOW} and waits for the line
 *       {@code restarted} on standard input (the test restarts PostgreSQL meanwhile);
 *   <li>every worker must commit again within 30 s of {@code restarted}, then
 *       {@code TX-AFTER} more each; the load stops;
 *   <li>the data is checked: every remembered commit is in the table, nothing else is except
 *       uncertain ones, and each thread's totals line equals its rows' count and sum; the pool
 *       is back to 20 connections.
 * </ol>
 * Prints {@code OK ...} lines with figures (errors seen during the outage, recovery times),
 * {@code DONE}; on failure {@code FAIL <step>: <cause>} and exit status 1.
 */
public final class HikariApp {
    static final int POOL = 20;
    static final String APP_NAME = "hikari-compat";
    private static final long RECOVERY_LIMIT_NANOS = TimeUnit.SECONDS.toNanos(30);

    private final HikariDataSource ds;
    private final int threads;
    private volatile boolean stop;
    private final AtomicInteger maxActive = new AtomicInteger();
    private final AtomicLong errors = new AtomicLong();
    private final AtomicReference<String> firstError = new AtomicReference<>();
    private final AtomicLong firstErrorAt = new AtomicLong();
    /** The longest getConnection before the restart was announced, nanoseconds. */
    private final AtomicLong maxAcquireNanos = new AtomicLong();
    /** Set when the restart is announced: only errors after it count as the outage's. */
    private volatile long restartAnnouncedAt = Long.MAX_VALUE;
    private final Worker[] workers;

    private HikariApp(String url, int threads) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(url);
        config.setPoolName("compat");
        config.setMaximumPoolSize(POOL);
        config.setMinimumIdle(POOL);
        // How long getConnection may wait. 40 threads share 2 shared cores with PostgreSQL and
        // both overlay nodes while Hikari opens its 20 TLS connections one at a time; at 2 s a
        // starved waiter occasionally timed out before the restart (1 run in 12). 10 s keeps a
        // real stall (a stream stuck for seconds) an error; the slowest wait is printed.
        config.setConnectionTimeout(10_000);
        config.setValidationTimeout(1000);
        config.addDataSourceProperty("ApplicationName", APP_NAME);
        this.ds = new HikariDataSource(config);
        this.threads = threads;
        this.workers = new Worker[threads];
    }

    public static void main(String[] args) {
        if (args.length != 4) {
            System.out.println("usage: HikariApp JDBC-URL THREADS TX-BEFORE TX-AFTER");
            System.exit(2);
        }
        String step = "start";
        HikariApp app = null;
        try {
            app = new HikariApp(args[0], Integer.parseInt(args[1]));
            step = "schema";
            app.schema();
            step = "load";
            app.run(Integer.parseInt(args[2]), Integer.parseInt(args[3]));
            System.out.println("DONE");
        } catch (Throwable e) {
            PgJdbcApp.fail(step, e);
        } finally {
            if (app != null) {
                app.stop = true;
                app.ds.close();
            }
        }
    }

    private void schema() throws SQLException {
        try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
            s.execute("DROP TABLE IF EXISTS hk_rows, hk_totals");
            s.execute("CREATE TABLE hk_rows (thread int, seq int, value bigint NOT NULL, PRIMARY KEY (thread, seq))");
            s.execute("CREATE TABLE hk_totals (thread int PRIMARY KEY, n bigint NOT NULL, total bigint NOT NULL)");
            s.execute("INSERT INTO hk_totals SELECT t, 0, 0 FROM generate_series(0, " + (threads - 1) + ") AS t");
        }
    }

    private void run(int before, int after) throws Exception {
        for (int t = 0; t < threads; t++) {
            workers[t] = new Worker(t);
            workers[t].start();
        }
        long start = System.nanoTime();
        await("every worker committed " + before + " transactions", 120,
                () -> allWorkers(w -> w.ok.get() >= before));
        // Hikari opens connections one at a time in the background: keep the load on until all
        // 20 exist and have been lent at once.
        await("the pool to open " + POOL + " connections and lend them all at once", 60,
                () -> ds.getHikariPoolMXBean().getTotalConnections() == POOL && maxActive.get() == POOL);
        double filled = (System.nanoTime() - start) / 1e9;
        double seconds = (System.nanoTime() - start) / 1e9;
        long total = 0;
        for (Worker w : workers) {
            total += w.ok.get();
        }
        HikariPoolMXBean pool = ds.getHikariPoolMXBean();
        int backends = backends();
        System.out.printf("OK load threads=%d tx=%d seconds=%.2f tx/s=%.0f pool-filled-s=%.2f pool-total=%d"
                        + " max-active=%d pg_stat_activity=%d errors=%d max-acquire-ms=%.0f%n", threads, total, seconds,
                total / seconds, filled, pool.getTotalConnections(), maxActive.get(), backends, errors.get(),
                maxAcquireNanos.get() / 1e6);
        PgJdbcApp.expect("errors before the restart", 0L, errors.get());
        PgJdbcApp.expect("pool connections (Hikari)", POOL, pool.getTotalConnections());
        PgJdbcApp.expect("connections lent at once", POOL, maxActive.get());
        PgJdbcApp.expect("server backends of the pool (pg_stat_activity)", POOL, backends);

        CompletableFuture<Void> restarted = new CompletableFuture<>();
        Thread stdin = new Thread(() -> {
            try {
                BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
                String line;
                while ((line = in.readLine()) != null) {
                    if (line.trim().equals("restarted")) {
                        restarted.complete(null);
                        return;
                    }
                }
                restarted.completeExceptionally(new IllegalStateException("standard input closed before 'restarted'"));
            } catch (Exception e) {
                restarted.completeExceptionally(e);
            }
        }, "stdin");
        stdin.setDaemon(true);
        stdin.start();
        restartAnnouncedAt = System.nanoTime();
        System.out.println("RESTART-NOW");
        System.out.flush();
        restarted.get(120, TimeUnit.SECONDS);
        long restartedAt = System.nanoTime();
        long errorsAtRestarted = errors.get();
        System.out.println("OK told restarted errors-so-far=" + errorsAtRestarted);
        await("every worker committed again within 30 s of the restart", 30,
                () -> allWorkers(w -> w.lastOkAt.get() > restartedAt));
        long recovered = System.nanoTime();
        long firstOk = Long.MAX_VALUE;
        for (Worker w : workers) {
            firstOk = Math.min(firstOk, w.firstOkAfter(restartedAt));
        }
        Map<Worker, Long> base = new HashMap<>();
        for (Worker w : workers) {
            base.put(w, w.ok.get());
        }
        await("every worker committed " + after + " more", 60,
                () -> allWorkers(w -> w.ok.get() >= base.get(w) + after));
        stop = true;
        for (Worker w : workers) {
            w.join(TimeUnit.SECONDS.toMillis(30));
            if (w.isAlive()) {
                throw new IllegalStateException("worker " + w.index + " did not stop within 30 s");
            }
        }
        long outageErrors = errors.get();
        double firstErr = firstErrorAt.get() == 0 ? Double.NaN : (firstErrorAt.get() - restartAnnouncedAt) / 1e9;
        System.out.printf("OK recovered errors=%d first-error-after-announce-s=%.2f first-ok-after-restarted-s=%.2f"
                        + " all-workers-ok-after-restarted-s=%.2f outage-to-first-ok-s=%.2f first-error=%s%n",
                outageErrors, firstErr, (firstOk - restartedAt) / 1e9, (recovered - restartedAt) / 1e9,
                firstErrorAt.get() == 0 ? Double.NaN : (firstOk - firstErrorAt.get()) / 1e9, firstError.get());
        if (outageErrors == 0) {
            throw new IllegalStateException("no error at all during the restart: the pool's connections did not"
                    + " see the server go away, so recovery was not exercised");
        }
        verify();
        int refilled = awaitPool();
        System.out.println("OK pool-after total=" + ds.getHikariPoolMXBean().getTotalConnections()
                + " pg_stat_activity=" + refilled);
    }

    private void verify() throws SQLException {
        Map<Integer, Set<Integer>> rows = new HashMap<>();
        Map<Integer, long[]> sums = new HashMap<>();
        long count = 0;
        try (Connection c = ds.getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT thread, seq, value FROM hk_rows")) {
            while (rs.next()) {
                int t = rs.getInt(1);
                int seq = rs.getInt(2);
                long v = rs.getLong(3);
                PgJdbcApp.expect("value of row " + t + "/" + seq, value(t, seq), v);
                rows.computeIfAbsent(t, k -> new java.util.HashSet<>()).add(seq);
                long[] sum = sums.computeIfAbsent(t, k -> new long[2]);
                sum[0]++;
                sum[1] += v;
                count++;
            }
        }
        long committed = 0;
        long uncertainPresent = 0;
        for (Worker w : workers) {
            Set<Integer> present = rows.getOrDefault(w.index, Set.of());
            for (int seq : w.committed) {
                if (!present.contains(seq)) {
                    throw new IllegalStateException("committed row " + w.index + "/" + seq + " is missing");
                }
            }
            for (int seq : present) {
                if (!w.committed.contains(seq)) {
                    if (!w.uncertain.contains(seq)) {
                        throw new IllegalStateException("row " + w.index + "/" + seq + " was never committed");
                    }
                    uncertainPresent++;
                }
            }
            committed += w.committed.size();
        }
        try (Connection c = ds.getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT thread, n, total FROM hk_totals")) {
            while (rs.next()) {
                int t = rs.getInt(1);
                long[] sum = sums.getOrDefault(t, new long[2]);
                PgJdbcApp.expect("count in the totals of thread " + t, sum[0], rs.getLong(2));
                PgJdbcApp.expect("sum in the totals of thread " + t, sum[1], rs.getLong(3));
            }
        }
        long uncertain = 0;
        for (Worker w : workers) {
            uncertain += w.uncertain.size();
        }
        System.out.println("OK verified rows=" + count + " committed=" + committed + " uncertain=" + uncertain
                + " uncertain-present=" + uncertainPresent + " totals-consistent=" + threads);
    }

    private int awaitPool() throws Exception {
        int[] seen = new int[1];
        await("the pool back at " + POOL + " connections", 30, () -> {
            if (ds.getHikariPoolMXBean().getTotalConnections() != POOL) {
                return false;
            }
            try {
                seen[0] = backends();
            } catch (SQLException e) {
                return false;
            }
            return seen[0] == POOL;
        });
        return seen[0];
    }

    private int backends() throws SQLException {
        try (Connection c = ds.getConnection(); PreparedStatement s = c.prepareStatement(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = ?")) {
            s.setString(1, APP_NAME);
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        }
    }

    static long value(int thread, int seq) {
        return thread * 1_000_000L + seq * 7L + 3;
    }

    private boolean allWorkers(java.util.function.Predicate<Worker> p) {
        for (Worker w : workers) {
            if (!w.isAlive() && !stop) {
                throw new IllegalStateException("worker " + w.index + " died");
            }
            if (!p.test(w)) {
                return false;
            }
        }
        return true;
    }

    /** Waits (polling every 20 ms) until {@code done}, failing after {@code seconds}. */
    private static void await(String what, int seconds, BooleanSupplier done) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        Object lock = new Object();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new IllegalStateException("timed out after " + seconds + " s waiting for " + what);
            }
            synchronized (lock) {
                lock.wait(20);
            }
        }
    }

    private final class Worker extends Thread {
        final int index;
        final AtomicLong ok = new AtomicLong();
        final AtomicLong lastOkAt = new AtomicLong();
        final Set<Integer> committed = ConcurrentHashMap.newKeySet();
        final Set<Integer> uncertain = ConcurrentHashMap.newKeySet();
        /** Start times of successes after the restart was announced, to find the first one. */
        final List<Long> okTimes = new ArrayList<>();
        private int seq;

        Worker(int index) {
            super("worker-" + index);
            this.index = index;
            setDaemon(true);
        }

        synchronized long firstOkAfter(long t) {
            for (long at : okTimes) {
                if (at > t) {
                    return at;
                }
            }
            return Long.MAX_VALUE;
        }

        @Override
        public void run() {
            while (!stop) {
                int s = ++seq;
                boolean begun = false;
                long asked = System.nanoTime();
                try (Connection c = ds.getConnection()) {
                    if (asked < restartAnnouncedAt) {
                        maxAcquireNanos.accumulateAndGet(System.nanoTime() - asked, Math::max);
                    }
                    maxActive.accumulateAndGet(ds.getHikariPoolMXBean().getActiveConnections(), Math::max);
                    c.setAutoCommit(false);
                    begun = true;
                    try (PreparedStatement ins = c.prepareStatement("INSERT INTO hk_rows VALUES (?, ?, ?)");
                         PreparedStatement upd = c.prepareStatement(
                                 "UPDATE hk_totals SET n = n + 1, total = total + ? WHERE thread = ?")) {
                        ins.setInt(1, index);
                        ins.setInt(2, s);
                        ins.setLong(3, value(index, s));
                        ins.executeUpdate();
                        upd.setLong(1, value(index, s));
                        upd.setInt(2, index);
                        PgJdbcApp.expect("totals lines updated", 1, upd.executeUpdate());
                    }
                    c.commit();
                    committed.add(s);
                    long now = System.nanoTime();
                    if (now > restartAnnouncedAt) {
                        synchronized (this) {
                            okTimes.add(now);
                        }
                    }
                    lastOkAt.set(now);
                    ok.incrementAndGet();
                } catch (SQLException e) {
                    if (begun) {
                        uncertain.add(s);
                    }
                    long now = System.nanoTime();
                    if (now < restartAnnouncedAt) {
                        System.out.println("ERROR before the restart: " + e);
                    } else if (firstError.compareAndSet(null, (e.getClass().getSimpleName() + ": " + e.getMessage()).replace('\n', ' '))) {
                        firstErrorAt.set(now);
                    }
                    errors.incrementAndGet();
                }
            }
        }
    }
}
