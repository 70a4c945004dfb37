package dev.overlay.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The NAT lab's routers behave as their labels say (src/test/natlab/nat.sh), measured with
 * {@link UdpTool} from inside the namespaces: reflectors on the "internet" report the source
 * address they see, as STUN servers do. The traversal tests ({@link NatTraversalIT}) rely on
 * exactly these properties. Needs root and ip, nft, conntrack; skipped with the reason elsewhere.
 */
class NatBehaviourIT {
    private static final Duration LIMIT = Duration.ofSeconds(30);
    private static final String R1 = "203.0.113.10:3478";
    private static final String R2 = "203.0.113.11:3478";
    private static final String SERVER = "203.0.113.20";
    private static final Map<String, String> HOST = Map.of("natA", "a", "natB", "b");
    private static final Map<String, String> WAN = Map.of("natA", "198.51.100.2", "natB", "198.51.100.3");

    private static NatLab lab;
    private static OverlayProcess reflector;

    @BeforeAll
    static void buildTheLab() throws Exception {
        NatLab.assumeAvailable(NatBehaviourIT.class);
        lab = NatLab.up("nb");
        reflector = OverlayProcess.mainIn(lab.ns("pub"), UdpTool.class, "reflect", R1, R2);
        reflector.awaitLine(l -> l.equals("out: reflecting " + R1), LIMIT);
        reflector.awaitLine(l -> l.equals("out: reflecting " + R2), LIMIT);
    }

    @AfterAll
    static void tearDownTheLab() throws Exception {
        NatLab.closeAll(reflector, lab);
    }

    private static String other(String nat) {
        return nat.equals("natA") ? "natB" : "natA";
    }

    /** {@code UdpTool probe}: from one local port, how each reflector sees us. */
    private static Map<String, String> probe(String node, int localPort, String... reflectors) throws Exception {
        String[] args = new String[reflectors.length + 2];
        args[0] = "probe";
        args[1] = "0.0.0.0:" + localPort;
        System.arraycopy(reflectors, 0, args, 2, reflectors.length);
        try (OverlayProcess p = OverlayProcess.mainIn(lab.ns(node), UdpTool.class, args)) {
            assertThat(p.awaitExit(LIMIT)).as(String.join("\n", p.lines())).isZero();
            Map<String, String> mapped = new HashMap<>();
            for (String l : p.lines()) {
                String[] w = l.split(" ");
                if (w[0].equals("out:") && w[1].equals("mapped")) {
                    mapped.put(w[2], w[3]);
                }
            }
            return mapped;
        }
    }

    private static int port(String hostPort) {
        return Integer.parseInt(hostPort.substring(hostPort.lastIndexOf(':') + 1));
    }

    private static String host(String hostPort) {
        return hostPort.substring(0, hostPort.lastIndexOf(':'));
    }

    /** A {@code UdpTool socket} in a namespace, driven line by line. */
    private static final class Sock implements AutoCloseable {
        private final OverlayProcess p;

        Sock(String node, String bind) throws Exception {
            p = OverlayProcess.mainIn(lab.ns(node), UdpTool.class, "socket", bind);
            try {
                p.awaitLine(l -> l.startsWith("out: bound "), LIMIT);
            } catch (AssertionError | InterruptedException e) {
                p.close();
                throw e;
            }
        }

        void send(String to, String text) throws Exception {
            p.tell("send " + to + " " + text);
            p.awaitLine(l -> l.equals("out: sent " + to + " " + text), LIMIT);
        }

        /** Sends {@code token} to a reflector and returns the source address it saw. */
        String ask(String reflector, String token) throws Exception {
            send(reflector, token);
            String l = p.awaitLine(x -> x.startsWith("out: got " + reflector + " seen ") && x.endsWith(" " + token), LIMIT);
            return l.split(" ")[4];
        }

        /** Waits for datagram {@code text}; returns where it came from. */
        String awaitGot(String text) throws Exception {
            return p.awaitLine(l -> l.startsWith("out: got ") && l.endsWith(" " + text), LIMIT).split(" ")[2];
        }

        boolean got(String text) {
            return p.lines().stream().anyMatch(l -> l.startsWith("out: got ") && l.endsWith(" " + text));
        }

        @Override
        public void close() throws InterruptedException {
            p.close();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"natA", "natB"})
    void eimKeepsOnePublicPortForEveryDestination(String nat) throws Exception {
        lab.reset(nat, "eim");
        Map<String, String> mapped = probe(HOST.get(nat), 41000, R1, R2);
        System.out.printf("%s eim: local port 41000 seen as %s by R1, %s by R2%n", nat, mapped.get(R1), mapped.get(R2));
        assertThat(mapped.get(R1)).as("R1 and R2 see one mapping").isEqualTo(mapped.get(R2));
        // Linux masquerade keeps the source port when it is free: the mapping is the local port.
        assertThat(mapped.get(R1)).isEqualTo(WAN.get(nat) + ":41000");
    }

    @ParameterizedTest
    @ValueSource(strings = {"natA", "natB"})
    void symGivesEachDestinationItsOwnPort(String nat) throws Exception {
        lab.reset(nat, "sym");
        Map<String, String> mapped = probe(HOST.get(nat), 41010, R1, R2);
        System.out.printf("%s sym: local port 41010 seen as %s by R1, %s by R2%n", nat, mapped.get(R1), mapped.get(R2));
        assertThat(host(mapped.get(R1))).isEqualTo(WAN.get(nat));
        assertThat(host(mapped.get(R2))).isEqualTo(WAN.get(nat));
        assertThat(port(mapped.get(R1))).as("one port per destination").isNotEqualTo(port(mapped.get(R2)));
    }

    @ParameterizedTest
    @CsvSource({"natA, eim", "natA, sym", "natB, eim", "natB, sym"})
    void unsolicitedInboundIsDropped(String nat, String type) throws Exception {
        lab.reset(nat, type);
        try (Sock inside = new Sock(HOST.get(nat), "0.0.0.0:41100");
             Sock elsewhere = new Sock("pub", SERVER + ":41101");
             Sock r1OtherPort = new Sock("pub", "203.0.113.10:41102")) {
            String mapped = inside.ask(R1, "open");
            assertThat(host(mapped)).isEqualTo(WAN.get(nat));
            // To the port the NAT opened towards R1, from another address and from R1's address
            // but another port: both unsolicited (filtering is address- and port-dependent).
            elsewhere.send(mapped, "from-elsewhere");
            r1OtherPort.send(mapped, "from-r1-other-port");
            // And to a port nothing ever sent from.
            elsewhere.send(WAN.get(nat) + ":41103", "to-a-closed-port");
            // The control takes the same links after them: once its answer is in, they would be too.
            assertThat(inside.ask(R1, "control")).isEqualTo(mapped);
            assertThat(inside.got("from-elsewhere")).as("from another address").isFalse();
            assertThat(inside.got("from-r1-other-port")).as("from R1's address, other port").isFalse();
            System.out.printf("%s %s: mapping %s admits only R1's answers%n", nat, type, mapped);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"natA", "natB"})
    void fullConeAdmitsInboundFromAnyAddressToTheMappedPort(String nat) throws Exception {
        lab.reset(nat, "fullcone");
        lab.reset(other(nat), "eim");
        try (Sock inside = new Sock(HOST.get(nat), "0.0.0.0:41200");
             Sock cold = new Sock(HOST.get(nat), "0.0.0.0:41203");
             Sock server = new Sock("pub", SERVER + ":41201");
             Sock behindTheOtherNat = new Sock(HOST.get(other(nat)), "0.0.0.0:41202")) {
            String mapped = inside.ask(R1, "open");
            assertThat(mapped).as("port preserving").isEqualTo(WAN.get(nat) + ":41200");
            server.send(mapped, "from-server");
            behindTheOtherNat.send(mapped, "from-other-nat");
            assertThat(inside.awaitGot("from-server")).isEqualTo(SERVER + ":41201");
            assertThat(inside.awaitGot("from-other-nat")).isEqualTo(WAN.get(other(nat)) + ":41202");
            // The DNAT is static: a port that never sent anything is open too.
            server.send(WAN.get(nat) + ":41203", "cold");
            assertThat(cold.awaitGot("cold")).isEqualTo(SERVER + ":41201");
            System.out.printf("%s fullcone: %s admits %s and %s:41202%n", nat, mapped, SERVER, WAN.get(other(nat)));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"eim", "fullcone"})
    void renumberChangesTheSourceAddressTheReflectorSees(String type) throws Exception {
        lab.reset("natA", type);
        try (Sock inside = new Sock("a", "0.0.0.0:41300")) {
            assertThat(inside.ask(R1, "before")).isEqualTo("198.51.100.2:41300");
            long start = System.nanoTime();
            lab.renumber("natA", "198.51.100.4");
            long took = (System.nanoTime() - start) / 1_000_000;
            assertThat(lab.show("natA")).isEqualTo(type + " 198.51.100.4");
            // The same socket, the same flow: the NAT forgot the old mapping with the old address.
            assertThat(inside.ask(R1, "after")).isEqualTo("198.51.100.4:41300");
            if (type.equals("fullcone")) {
                try (Sock server = new Sock("pub", SERVER + ":41301")) {
                    server.send("198.51.100.4:41300", "to-the-new-address");
                    inside.awaitGot("to-the-new-address");
                }
            }
            System.out.printf("natA %s: renumbered 198.51.100.2 -> 198.51.100.4 in %d ms, R1 now sees 198.51.100.4:41300%n",
                    type, took);
        } finally {
            lab.renumber("natA", "198.51.100.2");
        }
    }

    @Test
    void flushOnSymMakesANewMappingWithAnotherPort() throws Exception {
        lab.reset("natA", "sym");
        try (Sock inside = new Sock("a", "0.0.0.0:41400")) {
            String first = inside.ask(R1, "one");
            assertThat(inside.ask(R1, "two")).as("the mapping holds while it is used").isEqualTo(first);
            lab.flush("natA");
            String second = inside.ask(R1, "three");
            System.out.printf("natA sym: flush moved the mapping for R1 from %s to %s%n", first, second);
            assertThat(host(second)).isEqualTo("198.51.100.2");
            assertThat(port(second)).as("a new random port").isNotEqualTo(port(first));
        }
    }

    @Test
    void flushOnEimForgetsTheMappingAndLinuxMakesTheSamePortAgain() throws Exception {
        lab.reset("natA", "eim");
        try (Sock inside = new Sock("a", "0.0.0.0:41500");
             Sock server = new Sock("pub", SERVER + ":41501")) {
            inside.send(SERVER + ":41501", "hello");
            String first = server.awaitGot("hello");
            server.send(first, "through-the-hole");
            inside.awaitGot("through-the-hole");

            lab.flush("natA");
            server.send(first, "after-flush");
            inside.send(SERVER + ":41501", "again");
            String second = server.awaitGot("again");
            server.send(second, "reopened");
            inside.awaitGot("reopened");
            assertThat(inside.got("after-flush")).as("the mapping was gone until the inside sent again").isFalse();
            // masquerade keeps a free source port, so the new mapping has the old port: a flush under
            // eim interrupts the inbound direction but does not move the peer's address.
            assertThat(second).isEqualTo(first).isEqualTo("198.51.100.2:41500");
            System.out.printf("natA eim: flush dropped inbound until the inside sent again; new mapping %s (was %s)%n",
                    second, first);
        }
    }

    @Test
    void aTypeChangeKeepsExistingMappingsUntilFlushed() throws Exception {
        lab.reset("natA", "sym");
        try (Sock inside = new Sock("a", "0.0.0.0:41600")) {
            String symmetric = inside.ask(R1, "one");
            lab.type("natA", "eim");
            assertThat(inside.ask(R1, "two")).as("the flow keeps its conntrack entry and its sym mapping")
                    .isEqualTo(symmetric);
            // Linux's endpoint independence: a new flow from a source that already has a mapping
            // reuses that mapping (nf_nat's find_appropriate_src), even one the sym rule made.
            assertThat(inside.ask(R2, "three")).as("a new flow reuses the socket's existing mapping")
                    .isEqualTo(symmetric);
            // Forgetting every flow but the one to R1 keeps R1's mapping, which new flows reuse.
            lab.flushExcept("natA", host(R1));
            assertThat(inside.ask(R2, "three-again")).as("after flushing all but the flow to R1").isEqualTo(symmetric);
            lab.flush("natA");
            assertThat(inside.ask(R1, "four")).as("after the flush").isEqualTo("198.51.100.2:41600");
            assertThat(inside.ask(R2, "five")).isEqualTo("198.51.100.2:41600");
            System.out.printf("natA sym -> eim: R1 and R2 saw %s until a flush, then 198.51.100.2:41600%n", symmetric);
        }
    }
}
