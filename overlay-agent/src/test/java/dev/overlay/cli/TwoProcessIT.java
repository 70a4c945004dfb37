package dev.overlay.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Two nodes in two JVMs over real UDP on loopback, through the shipped jar. */
class TwoProcessIT {
    private static final Duration LIMIT = Duration.ofSeconds(60);
    private static final Pattern SERVING = Pattern.compile("out: serving (\\S+) on udp 127\\.0\\.0\\.1:(\\d+)");

    @TempDir
    Path dir;

    private String keygen(String file) throws Exception {
        return OverlayProcess.keygen(dir, file, LIMIT);
    }

    private static int servingPort(OverlayProcess server) throws Exception {
        return server.awaitPort(SERVING, 2, LIMIT);
    }

    @Test
    void pingHandshakesAndEveryReplyComesBackDirect() throws Exception {
        String a = keygen("a.key");
        keygen("b.key");
        try (OverlayProcess server = OverlayProcess.start("serve", "--identity", dir.resolve("a.key").toString(),
                "--bind", "127.0.0.1:0")) {
            int port = servingPort(server);
            try (OverlayProcess ping = OverlayProcess.start("ping", "--identity", dir.resolve("b.key").toString(),
                    "--bind", "127.0.0.1:0", "--peer", a + "@127.0.0.1:" + port, "--count", "3",
                    "--interval", "100ms", a)) {
                assertThat(ping.awaitExit(LIMIT)).as(String.join("\n", ping.lines())).isZero();
                assertThat(ping.count(l -> l.matches("out: reply from \\S+: seq=\\d time=[0-9.]+ ms path=direct via 127\\.0\\.0\\.1:" + port)))
                        .isEqualTo(3);
                assertThat(ping.lines()).anyMatch(l -> l.startsWith("out: 3 sent, 3 received, 0% loss, rtt min/avg/max = "));
            }
        }
    }

    @Test
    void sessionsRekeyUnderAShortenedTimerWithoutLosingAPing() throws Exception {
        String a = keygen("a.key");
        keygen("b.key");
        try (OverlayProcess server = OverlayProcess.start("serve", "--identity", dir.resolve("a.key").toString(),
                "--bind", "127.0.0.1:0", "--timer", "rekey-after=1s", "--timer", "reject-after=3s")) {
            int port = servingPort(server);
            try (OverlayProcess ping = OverlayProcess.start("ping", "--identity", dir.resolve("b.key").toString(),
                    "--bind", "127.0.0.1:0", "--peer", a + "@127.0.0.1:" + port, "--count", "12",
                    "--interval", "400ms", "--timer", "rekey-after=1s", "--timer", "reject-after=3s", a)) {
                assertThat(ping.awaitExit(LIMIT)).as(String.join("\n", ping.lines())).isZero();
                assertThat(ping.lines()).anyMatch(l -> l.startsWith("out: 12 sent, 12 received, 0% loss"));
            }
            // 12 pings over ~4.4 s with rekey-after 1 s: the pinger re-handshook several times.
            assertThat(server.count(l -> l.contains("established (we responded)"))).isGreaterThanOrEqualTo(3);
        }
    }

    @Test
    void whenTheServerRestartsThePingerReHandshakesAndRepliesResume() throws Exception {
        String a = keygen("a.key");
        keygen("b.key");
        OverlayProcess server = OverlayProcess.start("serve", "--identity", dir.resolve("a.key").toString(),
                "--bind", "127.0.0.1:0");
        int port = servingPort(server);
        try (OverlayProcess ping = OverlayProcess.start("ping", "--identity", dir.resolve("b.key").toString(),
                "--bind", "127.0.0.1:0", "--peer", a + "@127.0.0.1:" + port, "--count", "40",
                "--interval", "250ms", "--timeout", "1s",
                "--timer", "keepalive=1s", "--timer", "rekey-timeout=1s", a)) {
            ping.awaitLine(l -> l.contains("seq=3 "), LIMIT);

            // When the server dies and comes back on the same port with the same key
            server.close();
            try (OverlayProcess restarted = OverlayProcess.start("serve", "--identity", dir.resolve("a.key").toString(),
                    "--bind", "127.0.0.1:" + port)) {
                servingPort(restarted);

                // Then the pinger notices the silence, re-handshakes, and the last pings are answered
                assertThat(ping.awaitExit(LIMIT)).as(String.join("\n", ping.lines())).isZero();
                assertThat(restarted.count(l -> l.contains("established (we responded)"))).isEqualTo(1);
                assertThat(ping.lines()).anyMatch(l -> l.startsWith("out: reply from") && l.contains("seq=40 "));
                assertThat(ping.lines()).anyMatch(l -> l.startsWith("out: no reply for seq="));
            }
        }
    }
}
