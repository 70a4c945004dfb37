package dev.overlay.compat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.overlay.compat.jdbc.H2ClientApp;
import dev.overlay.compat.jdbc.H2ServerApp;
import dev.overlay.compat.jdbc.HikariApp;
import dev.overlay.compat.jdbc.PgJdbcApp;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * JDBC clients and servers, unchanged, in their own JVMs under the agent, through the lab's
 * rendezvous:
 * <ul>
 *   <li>a private PostgreSQL cluster on 127.0.0.1, exported on overlay port 5432 with
 *       {@code overlay serve --port 5432 --to 127.0.0.1:PGPORT}; pgjdbc alone ({@link PgJdbcApp}:
 *       queries, transactions, a 50 MB COPY in and out with equal bytes) and through a HikariCP
 *       pool of 20 ({@link HikariApp}: 40 threads, PostgreSQL restarted mid-run, the pool
 *       recovers and every committed row is there);
 *   <li>a second exporter of the same cluster with {@code --allow <key A>}: A gets through, B is
 *       refused with "not allowed";
 *   <li>H2's TCP server under the agent with {@code serve=<port>,allow=<client key>}
 *       ({@link H2ServerApp}): the H2 client ({@link H2ClientApp}) works over the overlay and the
 *       server records the client's IPv6 handle as its address; a kernel connect to the port is
 *       refused; a client with another key is refused.
 * </ul>
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CompatJdbcIT {
    private static final Duration RUN = Duration.ofSeconds(150);

    private CompatLab lab;
    private PgCluster pg;
    private DbSupport.Exporter pgExport;

    @BeforeAll
    void start() throws Exception {
        Path bin = PgCluster.requireBin();
        lab = CompatLab.start("jdbc");
        pg = lab.track(PgCluster.start(bin));
        pgExport = DbSupport.export(lab, "pg", 5432, "127.0.0.1:" + pg.port);
    }

    @AfterAll
    void stop() throws Exception {
        if (lab != null) {
            lab.close();
        }
    }

    private String pgUrl(CompatLab.Node server) {
        return "jdbc:postgresql://" + server.name() + ":5432/postgres?user=postgres";
    }

    @Test
    void pgjdbcAloneQueriesTransactionsAndA50MbCopyComeBackEqual() throws Exception {
        CompatLab.Node client = lab.node("pgjdbc");
        JvmProcess app = lab.app(client, "", PgJdbcApp.class, pgUrl(pgExport.node()), "50");
        app.awaitSuccess(RUN);
        DbSupport.report(app);
        DbSupport.assertPrinted(app, "DONE");
        assertThat(DbSupport.fields(app, "queries")).containsEntry("rows", "5000");
        DbSupport.assertPrinted(app, "OK transactions commit-visible rollback-invisible");
        Map<String, String> in = DbSupport.fields(app, "copy-in");
        Map<String, String> out = DbSupport.fields(app, "copy-out");
        Map<String, String> equal = DbSupport.fields(app, "copy-equal");
        assertThat(Long.parseLong(equal.get("bytes"))).isGreaterThanOrEqualTo(50_000_000L);
        assertThat(out.get("bytes")).isEqualTo(in.get("bytes")).isEqualTo(equal.get("bytes"));
        assertThat(out.get("rows")).isEqualTo(in.get("rows")).isEqualTo(equal.get("rows"));
        // The exporter authenticated the client's key: it logs the stream under the client's name.
        pgExport.process().awaitLine(l -> l.contains("stream from " + client.name() + " connected to 127.0.0.1:" + pg.port),
                Duration.ofSeconds(5));
        // For scale only (not asserted): the same program without the agent, straight to the server.
        JvmProcess kernel = lab.plainApp("pgjdbc-kernel", PgJdbcApp.class,
                "jdbc:postgresql://127.0.0.1:" + pg.port + "/postgres?user=postgres", "50");
        kernel.awaitSuccess(RUN);
        DbSupport.report(kernel);
        DbSupport.figure("pgjdbc COPY without the agent, kernel TCP: in " + DbSupport.fields(kernel, "copy-in").get("MB/s")
                + " MB/s, out " + DbSupport.fields(kernel, "copy-out").get("MB/s") + " MB/s");
        DbSupport.figure("pgjdbc COPY in " + in.get("MB/s") + " MB/s, out " + out.get("MB/s") + " MB/s, "
                + equal.get("bytes") + " bytes, " + app.lines().stream().filter(l -> l.startsWith("out: OK connect"))
                .findFirst().orElse(""));
    }

    @Test
    void hikariPoolOf20UnderLoadRecoversFromAServerRestart() throws Exception {
        JvmProcess app = lab.app(lab.node("hikari"), "", HikariApp.class, pgUrl(pgExport.node()), "40", "25", "10");
        app.awaitOut("RESTART-NOW", Duration.ofSeconds(120));
        Map<String, String> load = DbSupport.fields(app, "load");
        assertThat(load).containsEntry("pool-total", "20").containsEntry("max-active", "20")
                .containsEntry("pg_stat_activity", "20").containsEntry("errors", "0");
        long restartStart = System.nanoTime();
        pg.restart();
        double restartSeconds = (System.nanoTime() - restartStart) / 1e9;
        app.tell("restarted");
        app.awaitSuccess(RUN);
        DbSupport.report(app);
        DbSupport.assertPrinted(app, "DONE");
        Map<String, String> rec = DbSupport.fields(app, "recovered");
        assertThat(Long.parseLong(rec.get("errors"))).as("errors seen during the restart").isPositive();
        assertThat(Double.parseDouble(rec.get("all-workers-ok-after-restarted-s"))).isLessThan(30.0);
        Map<String, String> verified = DbSupport.fields(app, "verified");
        assertThat(Long.parseLong(verified.get("committed"))).isGreaterThanOrEqualTo(40L * (25 + 10));
        assertThat(verified).containsEntry("totals-consistent", "40");
        assertThat(DbSupport.fields(app, "pool-after")).containsEntry("total", "20").containsEntry("pg_stat_activity", "20");
        DbSupport.figure(String.format("Hikari %s tx/s before restart; pg_ctl restart took %.2f s; errors=%s;"
                        + " first ok %s s after restart, all 40 workers %s s; first error: %s",
                load.get("tx/s"), restartSeconds, rec.get("errors"), rec.get("first-ok-after-restarted-s"),
                rec.get("all-workers-ok-after-restarted-s"),
                app.lines().stream().filter(l -> l.startsWith("out: OK recovered")).findFirst().orElse("")
                        .replaceFirst(".*first-error=", "")));
    }

    @Test
    void aClientWhoseKeyIsNotAllowedIsRefusedAndAnAllowedOneGetsThrough() throws Exception {
        CompatLab.Node a = lab.node("pg-allowed");
        CompatLab.Node b = lab.node("pg-stranger");
        DbSupport.Exporter onlyA = DbSupport.export(lab, "pg-only-a", 5432, "127.0.0.1:" + pg.port, a.name());
        JvmProcess allowed = lab.app(a, "", PgJdbcApp.class, pgUrl(onlyA.node()), "1");
        JvmProcess refused = lab.app(b, "", PgJdbcApp.class, pgUrl(onlyA.node()), "1");
        allowed.awaitSuccess(RUN);
        DbSupport.report(allowed);
        DbSupport.assertPrinted(allowed, "DONE");
        assertThat(refused.awaitExit(RUN)).as("exit status of the refused client").isEqualTo(1);
        String fail = refused.awaitLine(l -> l.startsWith("out: FAIL connect:"), Duration.ofSeconds(1));
        assertThat(fail).contains("not allowed");
        DbSupport.figure("pgjdbc outside allow: " + fail.substring(5));
        assertThat(refused.lines()).noneMatch(l -> l.startsWith("out: OK"));
        assertThat(onlyA.process().lines()).noneMatch(l -> l.contains("stream from " + b.name()));
    }

    @Test
    void h2TcpServerUnderTheAgentServesTheOverlayOnlyAndSeesTheClientsHandle() throws Exception {
        int port = CompatLab.freePort();
        CompatLab.Node server = lab.node("h2-server");
        CompatLab.Node client = lab.node("h2-client");
        CompatLab.Node stranger = lab.node("h2-stranger");
        JvmProcess h2 = lab.app(server, "serve=" + port + ",allow=" + client.name(), H2ServerApp.class,
                Integer.toString(port));
        h2.awaitOut("READY " + port + " .*", CompatLab.START);
        DbSupport.awaitReachable(lab, server);

        // The served port exists on the overlay only: the kernel refuses it, on every local address.
        for (String host : new String[] {"127.0.0.1", "::1"}) {
            assertThatThrownBy(() -> {
                try (Socket s = new Socket()) {
                    s.connect(new InetSocketAddress(host, port), 5000);
                }
            }).as("kernel TCP connect to %s:%d", host, port).isInstanceOf(ConnectException.class);
        }

        String url = "jdbc:h2:tcp://" + server.name() + ":" + port + "/mem:compat;DB_CLOSE_DELAY=-1";
        JvmProcess app = lab.app(client, "", H2ClientApp.class, url);
        JvmProcess refused = lab.app(stranger, "", H2ClientApp.class, url);
        app.awaitSuccess(RUN);
        DbSupport.report(app);
        DbSupport.assertPrinted(app, "DONE");
        assertThat(DbSupport.fields(app, "lobs")).containsEntry("blob", "4194304").containsEntry("clob-chars", "2097152");
        assertThat(DbSupport.fields(app, "concurrent")).containsEntry("connections", "8").containsEntry("rows", "1600");
        DbSupport.assertPrinted(app, "OK transactions commit-visible rollback-invisible");

        // What the server recorded as this session's client address: the client's IPv6 handle.
        Matcher m = Pattern.compile("out: SESSION server=\\S+ client-addr=(\\S+) .*").matcher(
                app.awaitLine(l -> l.startsWith("out: SESSION "), Duration.ofSeconds(1)));
        assertThat(m.matches()).isTrue();
        String addr = m.group(1);
        String host = addr.startsWith("[") ? addr.substring(1, addr.indexOf(']')) : addr.substring(0, addr.lastIndexOf(':'));
        assertThat(InetAddress.getByName(host)).as("client address the H2 server saw (%s)", addr)
                .isEqualTo(InetAddress.getByName(client.handle()));

        assertThat(refused.awaitExit(RUN)).as("exit status of the client outside allow").isEqualTo(1);
        String fail = refused.awaitLine(l -> l.startsWith("out: FAIL connect:"), Duration.ofSeconds(1));
        assertThat(fail).contains("not allowed");
        DbSupport.figure("H2 client outside allow: " + fail.substring(5));
        DbSupport.figure("H2 server saw client address " + addr + " (client handle " + client.handle() + "), "
                + DbSupport.fields(app, "lobs"));
    }
}
