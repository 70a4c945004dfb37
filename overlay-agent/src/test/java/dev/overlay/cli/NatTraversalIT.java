package dev.overlay.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The NAT traversal matrix on the two-NAT lab (src/test/natlab/nat.sh): a {@code forward} on lab
 * node a (behind natA) reaches a {@code serve} on b (behind natB), or on a2 (a's own LAN), by name
 * through the rendezvous on pub, with no --peer. Every case moves 64 MiB through serve/forward,
 * compares SHA-256, asserts the path kind from the nodes' "path to NAME is now ..." lines, and
 * prints its time to first byte (and, where the network changes mid-transfer, the stall).
 *
 * <p>The NAT types are set per test; {@link NatLab#reset} flushes conntrack after a type change,
 * because Linux applies new NAT rules to new flows only (see NatBehaviourIT).
 *
 * <p>Skipped with the reason when the lab cannot run (root, ip, nft, conntrack), except where the
 * lab is required (OVERLAY_NATLAB_REQUIRED=1, as in CI): there it fails.
 */
@Timeout(value = 150, unit = TimeUnit.SECONDS)
class NatTraversalIT {
    private static final Duration LIMIT = Duration.ofSeconds(60);
    /** Relay to direct needs the sym side's next REGISTER (every 20 s) and a probe round (every 5 s). */
    private static final Duration UPGRADE_LIMIT = Duration.ofSeconds(60);
    private static final int MIB = 64;
    private static final long BYTES = (long) MIB << 20;
    /** MiB/s of the transfers the network changes under: 64 MiB then take about 4 s. */
    private static final int PACED = 16;
    /** The network changes once the sink has this much. */
    private static final long CHANGE_AT = 16L << 20;
    private static final int PROGRESS_KIB = 256;
    /** The longest the data may stop after a rebinding or a renumbering. */
    private static final long STALL_LIMIT_MS = 1000;

    private static final String R1 = "203.0.113.10:7000";
    private static final String R2 = "203.0.113.11:7000";
    private static final String SERVICE_PORT = "5432";
    private static final String RELAY = "203\\.0\\.113\\.1[01]:7000";
    private static final Pattern PATH =
            Pattern.compile("path to (\\S+) is now (direct|relay) (\\d+\\.\\d+\\.\\d+\\.\\d+:\\d+)");
    private static final Pattern FORWARDING = Pattern.compile("out: forwarding tcp 127\\.0\\.0\\.1:(\\d+) to .*");

    /** Measurements of the whole class, printed again at the end so they sit together in the log. */
    private static final List<String> SUMMARY = Collections.synchronizedList(new ArrayList<>());

    @TempDir
    static Path dir;

    private static NatLab lab;
    /** Key file -> node name. */
    private static final Map<String, String> NAMES = new LinkedHashMap<>();

    /** Every process a test started, closed in reverse order after it, pass or fail. */
    private final List<OverlayProcess> running = new ArrayList<>();

    @BeforeAll
    static void buildTheLab() throws Exception {
        NatLab.assumeAvailable(NatTraversalIT.class);
        lab = NatLab.up("nt");
        // Keys made in parallel: one JVM each.
        Map<String, OverlayProcess> keygens = new LinkedHashMap<>();
        try {
            for (String k : List.of("a", "a2", "b", "c", "r1", "r2")) {
                keygens.put(k, OverlayProcess.start("keygen", "--out", key(k)));
            }
            for (Map.Entry<String, OverlayProcess> e : keygens.entrySet()) {
                assertThat(e.getValue().awaitExit(LIMIT)).as(String.join("\n", e.getValue().lines())).isZero();
                NAMES.put(e.getKey(), e.getValue().awaitLine(l -> l.startsWith("out: "), LIMIT).substring(5));
            }
        } finally {
            NatLab.closeAll(keygens.values().toArray(new AutoCloseable[0]));
        }
    }

    @AfterAll
    static void tearDownTheLab() throws Exception {
        if (!SUMMARY.isEmpty()) {
            System.out.println("NAT traversal matrix:");
            SUMMARY.forEach(l -> System.out.println("  " + l));
        }
        if (lab != null) {
            lab.close();
        }
    }

    @AfterEach
    void stopEverything() throws Exception {
        List<OverlayProcess> reversed = new ArrayList<>(running);
        Collections.reverse(reversed);
        running.clear();
        try {
            NatLab.closeAll(reversed.toArray(new AutoCloseable[0]));
        } finally {
            if (lab != null && !lab.show("natA").endsWith(" 198.51.100.2")) {
                lab.renumber("natA", "198.51.100.2");
            }
        }
    }

    private static String key(String k) {
        return dir.resolve(k + ".key").toString();
    }

    private static void report(String line) {
        System.out.println(line);
        SUMMARY.add(line);
    }

    // ---------------------------------------------------------------- processes

    private OverlayProcess track(OverlayProcess p) {
        running.add(p);
        return p;
    }

    /** {@code overlay rendezvous} on pub at {@code hostPort}, identity {@code k}. */
    private OverlayProcess rendezvous(String hostPort, String k) throws Exception {
        OverlayProcess r = track(OverlayProcess.startIn(lab.ns("pub"), "rendezvous", "--bind", hostPort,
                "--identity", key(k)));
        r.awaitLine(l -> l.matches("out: rendezvous \\S+ on udp " + Pattern.quote(hostPort)), LIMIT);
        return r;
    }

    /** The timing sink ({@link HashPeers} sinks) on {@code node}: returns it; its port via {@link #port}. */
    private OverlayProcess sink(String node, int connections) throws Exception {
        return track(OverlayProcess.mainIn(lab.ns(node), HashPeers.class, "sinks", "0",
                Integer.toString(connections), Integer.toString(PROGRESS_KIB)));
    }

    private static int port(OverlayProcess sink) throws Exception {
        return sink.awaitPort(Pattern.compile("out: listening (\\d+)"), 1, LIMIT);
    }

    /** {@code overlay serve} of identity {@code k} on {@code node}, exporting the sink as port 5432. */
    private OverlayProcess serve(String node, String k, String bind, String rendezvous, OverlayProcess sink)
            throws Exception {
        int sinkPort = port(sink);
        OverlayProcess s = track(OverlayProcess.startIn(lab.ns(node), "serve", "--identity", key(k), "--bind", bind,
                "--rendezvous", rendezvous, "--port", SERVICE_PORT, "--to", "127.0.0.1:" + sinkPort));
        s.awaitLine(l -> l.startsWith("out: serving "), LIMIT);
        return s;
    }

    /** A running {@code overlay forward}, when it was started, and its local TCP port. */
    private record Forward(OverlayProcess process, long startedMillis, int localPort) {}

    /** {@code overlay forward} of identity {@code k} on {@code node} to {@code target}'s port 5432. */
    private Forward forward(String node, String k, String bind, String rendezvous, String target) throws Exception {
        long started = System.currentTimeMillis();
        OverlayProcess f = track(OverlayProcess.startIn(lab.ns(node), "forward", "--identity", key(k), "--bind", bind,
                "--rendezvous", rendezvous, "--listen", "127.0.0.1:0", "--to", NAMES.get(target) + ":" + SERVICE_PORT));
        return new Forward(f, started, f.awaitPort(FORWARDING, 1, LIMIT));
    }

    /** {@link HashPeers} source on {@code node} into a forward: MIB mebibytes, paced if {@code mibPerS > 0}. */
    private OverlayProcess source(String node, Forward f, long seed, int mibPerS) throws Exception {
        List<String> args = new ArrayList<>(List.of("source", "127.0.0.1:" + f.localPort(), Integer.toString(MIB),
                Long.toString(seed)));
        if (mibPerS > 0) {
            args.add(Integer.toString(mibPerS));
        }
        return track(OverlayProcess.mainIn(lab.ns(node), HashPeers.class, args.toArray(new String[0])));
    }

    private static void assertIntact(OverlayProcess source, OverlayProcess sink, int index) throws Exception {
        Timeline.assertIntact(source, sink, index, BYTES, LIMIT.multipliedBy(2));
    }

    private static void awaitProgress(OverlayProcess sink, int index, long bytes) throws Exception {
        Timeline.awaitProgress(sink, index, bytes, LIMIT);
    }

    /** Time to first byte of sink connection {@code index}: forward start -> first byte; also from the TCP connect. */
    private static void reportTtfb(String label, Forward f, OverlayProcess source, OverlayProcess sink, int index)
            throws Exception {
        long first = Timeline.firstByte(sink, index, LIMIT);
        long connected = Timeline.connected(source, LIMIT);
        report(String.format("TTFB %s: %d ms (forward started -> first byte at the sink; %d ms from the TCP connect)",
                label, first - f.startedMillis(), first - connected));
    }

    // ---------------------------------------------------------------- paths

    /** One "path to NAME is now KIND ADDRESS" line about {@code peer}. */
    private record PathLine(String kind, String address) {
        @Override
        public String toString() {
            return kind + " " + address;
        }
    }

    /** The log may name a node in full or by its short name. */
    private static boolean names(String token, String name) {
        String t = token.replaceAll("[^a-z0-9.]+$", "");
        return t.length() >= 8 && name.startsWith(t);
    }

    private static List<PathLine> paths(OverlayProcess node, String peerName) {
        List<PathLine> list = new ArrayList<>();
        for (String l : node.lines()) {
            Matcher m = PATH.matcher(l);
            if (m.find() && names(m.group(1), peerName)) {
                list.add(new PathLine(m.group(2), m.group(3)));
            }
        }
        return list;
    }

    /** Waits until {@code node} logs that its path to {@code peer} is now {@code kind} to an address matching {@code address}. */
    private static void awaitPath(OverlayProcess node, String peer, String kind, String address, Duration limit)
            throws Exception {
        String peerName = NAMES.get(peer);
        node.awaitLine(l -> {
            Matcher m = PATH.matcher(l);
            return m.find() && names(m.group(1), peerName) && m.group(2).equals(kind) && m.group(3).matches(address);
        }, limit);
    }

    /** The path {@code node} uses to {@code peer} now is {@code kind} to {@code address} (a regex). */
    private static void assertPathNow(OverlayProcess node, String peer, String kind, String address) throws Exception {
        awaitPath(node, peer, kind, address, LIMIT);
        List<PathLine> history = paths(node, NAMES.get(peer));
        assertThat(history).as("path history to " + peer).isNotEmpty();
        PathLine last = history.get(history.size() - 1);
        assertThat(last.kind()).as("path to " + peer + " now; history " + history).isEqualTo(kind);
        assertThat(last.address()).as("path to " + peer + " now; history " + history).matches(address);
    }

    /**
     * Once relayed, the path to {@code peer} never went direct. (An unvalidated direct attempt
     * before the relay, say to a candidate from the lookup, is allowed: the path log does not say
     * whether a direct path was validated.)
     */
    private static void assertStaysRelayed(OverlayProcess node, String peer) {
        List<PathLine> history = paths(node, NAMES.get(peer));
        int firstRelay = -1;
        for (int i = 0; i < history.size() && firstRelay < 0; i++) {
            if (history.get(i).kind().equals("relay")) {
                firstRelay = i;
            }
        }
        assertThat(firstRelay).as("path history to " + peer + ": " + history).isNotNegative();
        assertThat(history.subList(firstRelay, history.size())).as("path history to " + peer + ": " + history)
                .noneMatch(p -> p.kind().equals("direct"));
    }

    // ---------------------------------------------------------------- the basic cases

    /**
     * One plain case: natA and natB set, rendezvous R1, serve on {@code server} (b, or a2 on a's
     * LAN), forward on a; 64 MiB; returns the forward and serve so the test can check paths.
     */
    private record Basic(OverlayProcess forward, OverlayProcess serve) {}

    private Basic basic(String label, String natA, String natB, String server, String serverBind) throws Exception {
        lab.reset("natA", natA);
        lab.reset("natB", natB);
        rendezvous(R1, "r1");
        OverlayProcess sink = sink(server, 1);
        OverlayProcess serve = serve(server, server, serverBind, R1, sink);
        Forward f = forward("a", "a", "192.0.2.10:7000", R1, server);
        OverlayProcess source = source("a", f, 1, 0);
        reportTtfb(label, f, source, sink, 1);
        assertIntact(source, sink, 1);
        return new Basic(f.process(), serve);
    }

    @Test
    void eimAndEimGoDirect() throws Exception {
        Basic c = basic("eim x eim", "eim", "eim", "b", "192.0.2.74:7000");
        // Linux masquerade keeps the port: each side sees the other's NAT at port 7000.
        assertPathNow(c.forward(), "b", "direct", "198\\.51\\.100\\.3:7000");
        assertPathNow(c.serve(), "a", "direct", "198\\.51\\.100\\.2:7000");
        // ping (another node on a) agrees once its own hole is punched: its last replies come direct.
        try (OverlayProcess ping = track(OverlayProcess.startIn(lab.ns("a"), "ping", "--identity", key("c"),
                "--rendezvous", R1, "--count", "10", "--interval", "200ms", NAMES.get("b")))) {
            assertThat(ping.awaitExit(LIMIT)).as(String.join("\n", ping.lines())).isZero();
            List<String> replies = ping.lines().stream().filter(l -> l.contains(" path=")).toList();
            assertThat(replies).as("ping replies").isNotEmpty();
            assertThat(replies.get(replies.size() - 1)).endsWith("path=direct via 198.51.100.3:7000");
        }
    }

    @Test
    void fullConeAndSymmetricGoDirect() throws Exception {
        // The symmetric side's mapping towards a is only learned from its own probe (rule 4).
        Basic c = basic("fullcone x sym", "fullcone", "sym", "b", "192.0.2.74:7000");
        assertPathNow(c.forward(), "b", "direct", "198\\.51\\.100\\.3:\\d+");
        assertPathNow(c.serve(), "a", "direct", "198\\.51\\.100\\.2:7000");
    }

    @Test
    void eimAndSymmetricAreRelayed() throws Exception {
        Basic c = basic("eim x sym", "eim", "sym", "b", "192.0.2.74:7000");
        assertPathNow(c.forward(), "b", "relay", RELAY);
        assertPathNow(c.serve(), "a", "relay", RELAY);
        assertStaysRelayed(c.forward(), "b");
        assertStaysRelayed(c.serve(), "a");
        try (OverlayProcess ping = track(OverlayProcess.startIn(lab.ns("a"), "ping", "--identity", key("c"),
                "--rendezvous", R1, "--count", "3", "--interval", "200ms", NAMES.get("b")))) {
            assertThat(ping.awaitExit(LIMIT)).as(String.join("\n", ping.lines())).isZero();
            assertThat(ping.lines().stream().filter(l -> l.contains(" path=")))
                    .isNotEmpty()
                    .allMatch(l -> l.matches(".* path=relay via " + RELAY));
        }
    }

    @Test
    void symmetricAndSymmetricAreRelayed() throws Exception {
        Basic c = basic("sym x sym", "sym", "sym", "b", "192.0.2.74:7000");
        assertPathNow(c.forward(), "b", "relay", RELAY);
        assertPathNow(c.serve(), "a", "relay", RELAY);
        assertStaysRelayed(c.forward(), "b");
        assertStaysRelayed(c.serve(), "a");
    }

    @Test
    void twoNodesOnOneLanGoDirectOverTheirLanAddresses() throws Exception {
        // natA does no hairpinning: only the LAN candidates can work.
        Basic c = basic("same LAN", "eim", "eim", "a2", "192.0.2.11:7000");
        assertPathNow(c.forward(), "a2", "direct", "192\\.0\\.2\\.11:7000");
        assertPathNow(c.serve(), "a", "direct", "192\\.0\\.2\\.10:7000");
    }

    // ---------------------------------------------------------------- changes mid-transfer

    /** What a change mid-transfer did: the stall, and the two nodes for their path logs. */
    private record Changed(Timeline.Stall stall, OverlayProcess forward, OverlayProcess serve) {}

    /** A paced 64 MiB transfer from a to b with {@code change} run once the sink has 16 MiB. */
    private Changed changeMidTransfer(String label, String natA, String natB, ThrowingRunnable change) throws Exception {
        lab.reset("natA", natA);
        lab.reset("natB", natB);
        rendezvous(R1, "r1");
        OverlayProcess sink = sink("b", 1);
        OverlayProcess serve = serve("b", "b", "192.0.2.74:7000", R1, sink);
        Forward f = forward("a", "a", "192.0.2.10:7000", R1, "b");
        OverlayProcess source = source("a", f, 2, PACED);
        reportTtfb(label, f, source, sink, 1);
        awaitProgress(sink, 1, CHANGE_AT);
        long changeAt = System.currentTimeMillis();
        change.run();
        long changeTook = System.currentTimeMillis() - changeAt;
        assertIntact(source, sink, 1);
        Timeline.Stall s = Timeline.stall(sink, 1, changeAt);
        report(String.format("STALL %s: %d ms longest without progress after the change, next progress %d ms after it"
                + " (the change itself took %d ms; %d MiB arrived after it)", label, s.longestMs(), s.firstAfterMs(),
                changeTook, s.bytesAfter() >> 20));
        assertThat(s.bytesAfter()).as("the change happened mid-transfer").isGreaterThanOrEqualTo(BYTES / 4);
        return new Changed(s, f.process(), serve);
    }

    @FunctionalInterface
    private interface ThrowingRunnable {
        void run() throws Exception;
    }

    @Test
    void portRebindingOnEimLosesNoByteAndStallsUnderASecond() throws Exception {
        // Linux gives the flushed flow its old port back: a short blackout towards a, same address.
        Changed c = changeMidTransfer("rebinding eim x eim", "eim", "eim", () -> lab.flush("natA"));
        assertThat(c.stall().longestMs()).as("stall").isLessThan(STALL_LIMIT_MS);
        assertPathNow(c.forward(), "b", "direct", "198\\.51\\.100\\.3:7000");
        assertPathNow(c.serve(), "a", "direct", "198\\.51\\.100\\.2:7000");
    }

    @Test
    void portRebindingToANewPortLosesNoByteAndStallsUnderASecond() throws Exception {
        // natA symmetric: the flush gives a's flow to b a new random port; natB full cone admits it
        // and b must roam to it (rule 6).
        Changed c = changeMidTransfer("rebinding sym x fullcone", "sym", "fullcone", () -> lab.flush("natA"));
        assertThat(c.stall().longestMs()).as("stall").isLessThan(STALL_LIMIT_MS);
        List<PathLine> atB = paths(c.serve(), NAMES.get("a"));
        assertThat(atB.stream().filter(p -> p.kind().equals("direct")).map(PathLine::address).distinct().count())
                .as("b moved to a's new port; history " + atB).isGreaterThanOrEqualTo(2);
        assertPathNow(c.serve(), "a", "direct", "198\\.51\\.100\\.2:\\d+");
        assertPathNow(c.forward(), "b", "direct", "198\\.51\\.100\\.3:7000");
    }

    @Test
    void wanRenumberingLosesNoByteAndStallsUnderASecond() throws Exception {
        // natB full cone admits a's packets from the new address; b roams to it (rule 6). Under
        // eim x eim natB would filter the new address until a new hole is punched.
        Changed c = changeMidTransfer("renumber eim x fullcone", "eim", "fullcone",
                () -> lab.renumber("natA", "198.51.100.4"));
        assertThat(c.stall().longestMs()).as("stall").isLessThan(STALL_LIMIT_MS);
        assertPathNow(c.serve(), "a", "direct", "198\\.51\\.100\\.4:7000");
        assertPathNow(c.forward(), "b", "direct", "198\\.51\\.100\\.3:7000");
    }

    // ---------------------------------------------------------------- relay -> direct, two rendezvous

    @Test
    void aRelayedSessionGoesDirectWhenTheSymmetricNatBecomesEim() throws Exception {
        lab.reset("natA", "eim");
        lab.reset("natB", "sym");
        rendezvous(R1, "r1");
        OverlayProcess sink = sink("b", 2);
        OverlayProcess serve = serve("b", "b", "192.0.2.74:7000", R1, sink);
        Forward f = forward("a", "a", "192.0.2.10:7000", R1, "b");
        // A slow stream that lives across the upgrade: 64 MiB at 2 MiB/s.
        OverlayProcess slow = source("a", f, 3, 2);
        reportTtfb("relay -> direct (eim x sym)", f, slow, sink, 1);
        awaitPath(f.process(), "b", "relay", RELAY, LIMIT);
        awaitProgress(sink, 1, 4L << 20);
        assertStaysRelayed(f.process(), "b");

        long switchedAt = System.currentTimeMillis();
        lab.type("natB", "eim");
        // natB forgets every flow but b's flow to the rendezvous, whose mapping eim now hands to
        // every new flow from b's socket (nf_nat reuses a source's existing mapping; see
        // NatBehaviourIT): b's next probe comes from the address a already probes, and the
        // background probing (rule 3) finds the direct path. A full flush would instead also
        // rebind b, the receiving side, under the relayed stream.
        lab.flushExcept("natB", "203.0.113.10");
        awaitPath(f.process(), "b", "direct", "198\\.51\\.100\\.3:\\d+", UPGRADE_LIMIT);
        long upgradedAt = System.currentTimeMillis();
        awaitPath(serve, "a", "direct", "198\\.51\\.100\\.2:7000", LIMIT);
        assertIntact(slow, sink, 1);
        Timeline.Stall s = Timeline.stall(sink, 1, switchedAt);
        report(String.format("UPGRADE relay -> direct: %d ms after natB went sym -> eim;"
                + " the stream across it stalled at most %d ms", upgradedAt - switchedAt, s.longestMs()));
        assertThat(Timeline.stall(sink, 1, upgradedAt).bytesAfter()).as("the stream outlived the upgrade").isPositive();
        assertThat(s.longestMs()).as("a path change does not disturb streams (rule 5)").isLessThan(STALL_LIMIT_MS);

        // A new connection over the same session now goes direct.
        OverlayProcess fast = source("a", f, 4, 0);
        assertIntact(fast, sink, 2);
        assertPathNow(f.process(), "b", "direct", "198\\.51\\.100\\.3:\\d+");
        assertPathNow(serve, "a", "direct", "198\\.51\\.100\\.2:7000");
    }

    @Test
    void withTwoRendezvousLosingOneGoesUnnoticed() throws Exception {
        lab.reset("natA", "eim");
        lab.reset("natB", "eim");
        String both = R1 + ";" + R2;
        OverlayProcess r1 = rendezvous(R1, "r1");
        rendezvous(R2, "r2");
        OverlayProcess sink = sink("b", 3);
        OverlayProcess serve = serve("b", "b", "192.0.2.74:7000", both, sink);
        Forward f = forward("a", "a", "192.0.2.10:7000", both, "b");
        OverlayProcess first = source("a", f, 5, PACED);
        reportTtfb("two rendezvous (eim x eim)", f, first, sink, 1);
        awaitProgress(sink, 1, CHANGE_AT);

        long killedAt = System.currentTimeMillis();
        r1.kill();
        assertIntact(first, sink, 1);
        Timeline.Stall s = Timeline.stall(sink, 1, killedAt);
        report(String.format("STALL rendezvous R1 killed mid-transfer: %d ms longest without progress", s.longestMs()));
        assertThat(s.bytesAfter()).as("R1 died mid-transfer").isGreaterThanOrEqualTo(BYTES / 4);
        assertThat(s.longestMs()).as("the existing transfer never notices").isLessThan(STALL_LIMIT_MS);

        // A new connection through the running forward, and a new forward (a new node, which has
        // to look b up through R2 alone).
        OverlayProcess second = source("a", f, 6, 0);
        assertIntact(second, sink, 2);
        Forward newcomer = forward("a", "c", "192.0.2.10:7001", both, "b");
        OverlayProcess third = source("a", newcomer, 7, 0);
        reportTtfb("new forward after R1 died", newcomer, third, sink, 3);
        assertIntact(third, sink, 3);
        assertPathNow(f.process(), "b", "direct", "198\\.51\\.100\\.3:7000");
        assertPathNow(newcomer.process(), "b", "direct", "198\\.51\\.100\\.3:7000");
        assertThat(serve.lines()).as("serve kept running").noneMatch(l -> l.contains("Exception in thread"));
    }
}
