package dev.overlay.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code overlay status} against real CLI nodes in their own JVMs: it attaches, reads their
 * dev.overlay MBeans over the local JMX connector and prints the peer rows.
 */
class StatusIT {
    private static final Duration LIMIT = Duration.ofSeconds(60);
    private static final Pattern SERVING = Pattern.compile("out: serving (\\S+) on udp 127\\.0\\.0\\.1:(\\d+)");

    @TempDir
    Path dir;

    /** A peer row: name, path, remote, RTT, bytes in, bytes out, retransmitted, lost, streams. */
    private static Pattern peerRow(String name) {
        return Pattern.compile("out:\\s+" + Pattern.quote(name)
                + "\\s+(direct|relay|none)\\s+(\\S+)\\s+([0-9.]+|-)\\s+(\\d+)\\s+(\\d+)\\s+(\\d+)\\s+(\\d+)\\s+(\\d+)/(\\d+)");
    }

    @Test
    void statusOfAServingNodeShowsItsPingingPeerOnADirectPathWithBytes() throws Exception {
        String a = OverlayProcess.keygen(dir, "a.key", LIMIT);
        String b = OverlayProcess.keygen(dir, "b.key", LIMIT);
        try (OverlayProcess server = OverlayProcess.start("serve", "--identity", dir.resolve("a.key").toString(),
                "--bind", "127.0.0.1:0")) {
            int port = server.awaitPort(SERVING, 2, LIMIT);
            try (OverlayProcess ping = OverlayProcess.start("ping", "--identity", dir.resolve("b.key").toString(),
                    "--bind", "127.0.0.1:0", "--peer", a + "@127.0.0.1:" + port, "--count", "600",
                    "--interval", "100ms", a)) {
                ping.awaitLine(l -> l.contains("seq=3 "), LIMIT);

                // The server's JVM, by PID
                try (OverlayProcess status = OverlayProcess.start("status", Long.toString(server.pid()))) {
                    assertThat(status.awaitExit(LIMIT)).as(String.join("\n", status.lines())).isZero();
                    List<String> out = status.lines();
                    assertThat(out.get(0)).startsWith("out: JVM " + server.pid() + " (" + System.getProperty("overlaytest.jar")
                            + " serve --identity ");
                    assertThat(out).contains("out:   node " + a);
                    assertThat(out).anyMatch(l -> l.equals("out:     udp         127.0.0.1:" + port));
                    String row = out.stream().filter(l -> peerRow(b).matcher(l).matches()).findFirst()
                            .orElseThrow(() -> new AssertionError("no row for peer " + b + " in:\n" + String.join("\n", out)));
                    Matcher m = peerRow(b).matcher(row);
                    assertThat(m.matches()).isTrue();
                    assertThat(m.group(1)).isEqualTo("direct");
                    assertThat(m.group(2)).startsWith("127.0.0.1:");
                    assertThat(Double.parseDouble(m.group(3))).isPositive();
                    assertThat(Long.parseLong(m.group(4))).as("bytes in").isPositive();
                    assertThat(Long.parseLong(m.group(5))).as("bytes out").isPositive();
                    assertThat(status.lines()).noneMatch(l -> l.startsWith("err: "));
                }

                // Every JVM with a node, as JSON: both ends, each seeing the other direct.
                try (OverlayProcess status = OverlayProcess.start("status", "--json")) {
                    assertThat(status.awaitExit(LIMIT)).as(String.join("\n", status.lines())).isZero();
                    String json = status.awaitLine(l -> l.startsWith("out: {"), LIMIT);
                    assertThat(json).contains("{\"pid\":" + server.pid() + ",").contains("{\"pid\":" + ping.pid() + ",");
                    assertThat(json).contains("\"name\":\"" + b + "\",\"handle\"");
                    assertThat(json).contains("\"name\":\"" + a + "\",\"handle\"");
                    assertThat(json).contains("\"pathKind\":\"direct\"");
                }
            }
        }
    }

    @Test
    void aPidThatIsNoProcessFailsWithOneLineNamingIt() throws Exception {
        long gone;
        try (OverlayProcess p = OverlayProcess.start("--version")) {
            assertThat(p.awaitExit(LIMIT)).isZero();
            gone = p.pid();
        }
        try (OverlayProcess status = OverlayProcess.start("status", Long.toString(gone))) {
            assertThat(status.awaitExit(LIMIT)).isEqualTo(1);
            assertThat(status.lines()).containsExactly("err: overlay status: no process with PID " + gone);
        }
    }

    @Test
    void aJvmWithoutANodeFailsWithOneLineNamingIt() throws Exception {
        // A JVM of this user that runs no overlay node: an idle helper from the test class path.
        try (OverlayProcess idle = OverlayProcess.java(List.of("-cp", System.getProperty("java.class.path"),
                IdleMain.class.getName()))) {
            idle.awaitLine(l -> l.equals("out: ready"), LIMIT);
            try (OverlayProcess status = OverlayProcess.start("status", Long.toString(idle.pid()))) {
                assertThat(status.awaitExit(LIMIT)).isEqualTo(1);
                assertThat(status.lines()).containsExactly("err: overlay status: JVM " + idle.pid()
                        + " runs no overlay node (no dev.overlay MBeans)");
            }
        }
    }

    /** A JVM that prints "ready" and waits for its standard input to close. */
    public static final class IdleMain {
        public static void main(String[] args) throws Exception {
            System.out.println("ready");
            System.out.flush();
            System.in.read();
        }
    }
}
