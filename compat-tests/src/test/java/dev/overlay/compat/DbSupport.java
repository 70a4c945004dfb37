package dev.overlay.compat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;

/**
 * What the JDBC and Redis compat tests share on top of {@link CompatLab}: exporting a local TCP
 * service with {@code overlay serve --port --to [--allow]}, waiting until a node is reachable
 * through the lab's rendezvous, a private {@code redis-server}, and reading the programs'
 * {@code OK <what> key=value ...} lines.
 */
final class DbSupport {
    private DbSupport() {}

    /** An {@code overlay serve} exporter: its node and process. */
    record Exporter(CompatLab.Node node, JvmProcess process) {}

    /**
     * Starts {@code overlay serve --identity <label>.key --bind 127.0.0.1:0 --rendezvous <lab's>
     * --port PORT --to TARGET [--allow KEY]...} and waits until it serves and is reachable by name.
     */
    static Exporter export(CompatLab lab, String label, int port, String target, String... allow) throws Exception {
        CompatLab.Node node = lab.node(label);
        List<String> args = new ArrayList<>(List.of("serve", "--identity", node.keyFile().toString(),
                "--bind", "127.0.0.1:0", "--rendezvous", lab.rendezvous(), "--port", Integer.toString(port),
                "--to", target));
        for (String key : allow) {
            args.add("--allow");
            args.add(key);
        }
        JvmProcess p = lab.cli(label + " (overlay serve)", args.toArray(new String[0]));
        p.awaitOut("serving " + Pattern.quote(node.name()) + " on udp 127\\.0\\.0\\.1:\\d+", CompatLab.START);
        awaitReachable(lab, node);
        return new Exporter(node, p);
    }

    /**
     * Pings {@code node} by name through the lab's rendezvous (CLI {@code ping --count 1}) until
     * one reply comes, at most 5 attempts: a node that has just started may not be registered yet,
     * and a client that looks it up before then is told it is unknown.
     */
    static String awaitReachable(CompatLab lab, CompatLab.Node node) throws Exception {
        CompatLab.Node pinger = lab.node("pinger-" + node.label());
        AssertionError last = null;
        for (int attempt = 1; attempt <= 5; attempt++) {
            JvmProcess ping = lab.cli("ping " + node.label(), "ping", "--identity", pinger.keyFile().toString(),
                    "--bind", "127.0.0.1:0", "--rendezvous", lab.rendezvous(), "--count", "1", "--timeout", "5s",
                    node.name());
            int code = ping.awaitExit(Duration.ofSeconds(30));
            if (code == 0) {
                return ping.lines().stream().filter(l -> l.contains("reply from")).findFirst().orElse("");
            }
            last = new AssertionError(node.label() + " not reachable by name; ping output:\n" + ping.output());
        }
        throw last;
    }

    /** A {@code redis-server} on a free port of 127.0.0.1, no persistence, tracked by the lab. */
    static int startRedis(CompatLab lab) throws Exception {
        Path server = Path.of("/usr/bin/redis-server");
        if (!Files.isExecutable(server)) {
            if ("1".equals(System.getenv("OVERLAY_REDIS_REQUIRED"))) {
                throw new AssertionError("redis-server is required here (OVERLAY_REDIS_REQUIRED=1) but /usr/bin/redis-server"
                        + " is missing: apt-get install -y redis-server");
            }
            Assumptions.assumeTrue(false, "redis-server is not installed (apt-get install -y redis-server)");
        }
        int port = CompatLab.freePort();
        ProcessBuilder pb = new ProcessBuilder(server.toString(), "--port", Integer.toString(port),
                "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no",
                "--dir", lab.dir().toString(), "--logfile", "");
        JvmProcess redis = lab.command("redis-server", pb);
        redis.awaitLine(l -> l.contains("Ready to accept connections"), Duration.ofSeconds(30));
        return port;
    }

    /** The {@code key=value} fields of the first stdout line starting with {@code "OK " + what + " "}. */
    static Map<String, String> fields(JvmProcess p, String what) {
        String prefix = "out: OK " + what + " ";
        for (String line : p.lines()) {
            if (line.startsWith(prefix)) {
                Map<String, String> m = new TreeMap<>();
                Matcher kv = Pattern.compile("(\\S+?)=(\\S*)").matcher(line.substring(prefix.length()));
                while (kv.find()) {
                    m.put(kv.group(1), kv.group(2));
                }
                return m;
            }
        }
        throw new AssertionError(p.label() + " printed no 'OK " + what + "' line; output:\n" + p.output());
    }

    /** Fails with the whole output unless {@code p} printed a stdout line equal to {@code line}. */
    static void assertPrinted(JvmProcess p, String line) {
        if (!p.lines().contains("out: " + line)) {
            throw new AssertionError(p.label() + " did not print '" + line + "'; output:\n" + p.output());
        }
    }

    static String javaVersion() {
        return System.getProperty("java.version");
    }

    static void figure(String what) throws IOException {
        System.out.println("[figure] JDK " + javaVersion() + " " + what);
    }

    /** Echoes a program's result lines ({@code OK}, {@code TRANSPORT}, {@code SESSION}) into the test output. */
    static void report(JvmProcess p) {
        for (String l : p.lines()) {
            if (l.startsWith("out: OK ") || l.startsWith("out: TRANSPORT ") || l.startsWith("out: SESSION ")) {
                System.out.println("[" + p.label() + "] " + l.substring(5));
            }
        }
    }
}
