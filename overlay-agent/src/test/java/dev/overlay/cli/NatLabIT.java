package dev.overlay.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two nodes on two sides of a real Linux NAT built from network namespaces, veth pairs and
 * nftables (src/test/natlab/nat.sh): the client (lab node a) sits behind a masquerading router
 * (natA, eim) that drops unsolicited inbound packets; the server (lab node pub) has a public
 * address. Needs root and the iproute2, nftables and conntrack tools, which .ci/run installs;
 * elsewhere it is skipped with the reason.
 */
class NatLabIT {
    private static final Duration LIMIT = Duration.ofSeconds(90);
    private static final Pattern FORWARDING = Pattern.compile("out: forwarding tcp 127\\.0\\.0\\.1:(\\d+) to .*");

    @TempDir
    static Path dir;

    private static NatLab lab;
    private static String clientNs;
    private static String serverNs;

    @BeforeAll
    static void buildTheLab() throws Exception {
        NatLab.assumeAvailable(NatLabIT.class);
        lab = NatLab.up("nl");
        clientNs = lab.ns("a");
        serverNs = lab.ns("pub");
    }

    @AfterAll
    static void tearDownTheLab() throws Exception {
        if (lab != null) {
            lab.close();
        }
    }

    @Test
    void aClientBehindANatReachesAPublicServerAndTheServerSeesTheNatsAddress() throws Exception {
        String a = OverlayProcess.keygen(dir, "a.key", LIMIT);
        OverlayProcess.keygen(dir, "b.key", LIMIT);
        try (OverlayProcess server = OverlayProcess.startIn(serverNs, "serve",
                "--identity", dir.resolve("a.key").toString(), "--bind", "203.0.113.10:7000")) {
            server.awaitLine(l -> l.startsWith("out: serving"), LIMIT);
            try (OverlayProcess ping = OverlayProcess.startIn(clientNs, "ping",
                    "--identity", dir.resolve("b.key").toString(), "--peer", a + "@203.0.113.10:7000",
                    "--count", "3", "--interval", "200ms", a)) {
                assertThat(ping.awaitExit(LIMIT)).as(String.join("\n", ping.lines())).isZero();
                assertThat(ping.count(l -> l.contains("path=direct via 203.0.113.10:7000"))).isEqualTo(3);
            }
            // The server only ever saw the NAT's public address, never the client's private one.
            server.awaitLine(l -> l.contains("established") && l.contains("at 198.51.100.2:"), LIMIT);
            assertThat(server.lines()).noneMatch(l -> l.contains("192.0.2.10"));
        }
    }

    @Test
    void sixtyFourMebibytesCrossTheNatThroughServeAndForwardIntact() throws Exception {
        String a = OverlayProcess.keygen(dir, "c.key", LIMIT);
        OverlayProcess.keygen(dir, "d.key", LIMIT);
        try (OverlayProcess sink = OverlayProcess.mainIn(serverNs, HashPeers.class, "sink", "0")) {
            int sinkPort = sink.awaitPort(Pattern.compile("out: listening (\\d+)"), 1, LIMIT);
            try (OverlayProcess serve = OverlayProcess.startIn(serverNs, "serve",
                    "--identity", dir.resolve("c.key").toString(), "--bind", "203.0.113.10:7001",
                    "--port", "5432", "--to", "127.0.0.1:" + sinkPort);
                 OverlayProcess forward = startForward(a, serve)) {
                int local = forward.awaitPort(FORWARDING, 1, LIMIT);
                try (OverlayProcess source = OverlayProcess.mainIn(clientNs, HashPeers.class,
                        "source", "127.0.0.1:" + local, "64", "64")) {
                    assertThat(source.awaitExit(LIMIT)).as(String.join("\n", source.lines())).isZero();
                    String sent = source.awaitLine(l -> l.startsWith("out: sent "), LIMIT).substring(10);
                    String answer = source.awaitLine(l -> l.startsWith("out: answer "), LIMIT).substring(12);
                    assertThat(answer).as("SHA-256 seen by the server").isEqualTo(sent);
                }
            }
        }
    }

    @Test
    void whenTheClientsNatRebindsMidTransferTheServerFollowsAndNoByteIsLost() throws Exception {
        // natA symmetric, so the flush gives the client's flow a new public port: the server must
        // follow it (roaming); the transfer must lose nothing and stall for well under a second.
        String a = OverlayProcess.keygen(dir, "e.key", LIMIT);
        OverlayProcess.keygen(dir, "f.key", LIMIT);
        lab.reset("natA", "sym");
        try (OverlayProcess sink = OverlayProcess.mainIn(serverNs, HashPeers.class, "sinks", "0", "1", "256")) {
            int sinkPort = sink.awaitPort(Pattern.compile("out: listening (\\d+)"), 1, LIMIT);
            try (OverlayProcess serve = OverlayProcess.startIn(serverNs, "serve",
                    "--identity", dir.resolve("e.key").toString(), "--bind", "203.0.113.10:7002",
                    "--port", "5432", "--to", "127.0.0.1:" + sinkPort)) {
                serve.awaitLine(l -> l.startsWith("out: serving"), LIMIT);
                try (OverlayProcess forward = OverlayProcess.startIn(clientNs, "forward",
                        "--identity", dir.resolve("f.key").toString(), "--bind", "192.0.2.10:7002",
                        "--peer", a + "@203.0.113.10:7002", "--listen", "127.0.0.1:0", "--to", a + ":5432")) {
                    int local = forward.awaitPort(FORWARDING, 1, LIMIT);
                    // 64 MiB at 16 MiB/s: the flush comes at 16 MiB, with about 3 s still to go.
                    try (OverlayProcess source = OverlayProcess.mainIn(clientNs, HashPeers.class,
                            "source", "127.0.0.1:" + local, "64", "65", "16")) {
                        Timeline.awaitProgress(sink, 1, 16L << 20, LIMIT);
                        long flushedAt = System.currentTimeMillis();
                        lab.flush("natA");
                        Timeline.assertIntact(source, sink, 1, 64L << 20, LIMIT);
                        Timeline.Stall stall = Timeline.stall(sink, 1, flushedAt);
                        System.out.printf("NAT rebinding mid-transfer (natA sym, flushed): longest stall %d ms,"
                                + " next progress %d ms after the flush, %d MiB after it%n",
                                stall.longestMs(), stall.firstAfterMs(), stall.bytesAfter() >> 20);
                        assertThat(stall.bytesAfter()).as("flushed mid-transfer").isGreaterThanOrEqualTo(16L << 20);
                        assertThat(stall.longestMs()).as("longest stall (ms)").isLessThan(1000);
                    }
                }
                // The server saw the client's NAT at two ports: before and after the rebinding.
                Pattern nat = Pattern.compile("198\\.51\\.100\\.2:(\\d+)");
                assertThat(serve.lines().stream().flatMap(l -> nat.matcher(l).results()).map(m -> m.group(1)).distinct())
                        .as(String.join("\n", serve.lines())).hasSizeGreaterThanOrEqualTo(2);
            }
        } finally {
            lab.reset("natA", "eim");
        }
    }

    private static OverlayProcess startForward(String serverName, OverlayProcess serve) throws Exception {
        serve.awaitLine(l -> l.startsWith("out: serving"), LIMIT);
        return OverlayProcess.startIn(clientNs, "forward", "--identity", dir.resolve("d.key").toString(),
                "--peer", serverName + "@203.0.113.10:7001", "--listen", "127.0.0.1:0", "--to", serverName + ":5432");
    }
}
