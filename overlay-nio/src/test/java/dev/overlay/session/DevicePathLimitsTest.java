package dev.overlay.session;

import static dev.overlay.session.PathLab.RELAY;
import static dev.overlay.session.PathLab.RELAY_ADDRESS;
import static org.assertj.core.api.Assertions.assertThat;

import dev.overlay.session.PathLab.Datagram;
import dev.overlay.session.PathLab.Host;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What a peer (or someone on the path) can make the path layer cost: probes to addresses nobody
 * answers from, memory for staged payloads, peer slots, and which addresses get validated
 * (docs/nat-traversal.md, "As built"). Each test is a security review finding.
 */
class DevicePathLimitsTest {
    private final PathLab lab = new PathLab();
    private final Host a = lab.host("a", "198.51.100.1:4000", 1);
    private final Host b = lab.host("b", "198.51.100.2:5000", 2);

    /** A knows B only through the relay; a handshake and one payload each way go through it. */
    private void relaySession() {
        a.device.setRelay(b.id(), RELAY, RELAY_ADDRESS);
        a.send(b, "hello");
        lab.run(200);
        b.send(a, "hi");
        lab.run(200);
        assertThat(a.delivered).containsExactly("hi");
    }

    // ---------------------------------------------------------------- bad candidate addresses

    @Test
    void candidatesThatCanNeverBeAPeerAreDroppedAndCounted() {
        relaySession();
        a.device.setAddressFamilies(true, false); // a socket bound to 0.0.0.0: IPv4 only
        List<InetSocketAddress> bad = List.of(
                new InetSocketAddress("0.0.0.0", 9),
                new InetSocketAddress("::", 9),
                new InetSocketAddress("224.0.0.1", 9),
                new InetSocketAddress("ff02::1", 9),
                new InetSocketAddress("255.255.255.255", 9),
                new InetSocketAddress("192.0.2.50", 0),
                InetSocketAddress.createUnresolved("peer.invalid", 9),
                new InetSocketAddress("2001:db8::1", 9)); // a family the socket cannot reach
        InetSocketAddress good = PathLab.parse("192.0.2.51:9");
        List<InetSocketAddress> all = new ArrayList<>(bad);
        all.add(good);
        int before = a.sent.size();

        a.device.addCandidates(lab.now, b.id(), all, a);
        lab.run(3000);

        assertThat(a.sent.subList(before, a.sent.size())).extracting(Datagram::to).containsOnly(good);
        assertThat(a.device.counters().drops(Drop.BAD_CANDIDATE)).isEqualTo(bad.size());

        // A dual-stack socket keeps IPv6 candidates.
        a.device.setAddressFamilies(true, true);
        InetSocketAddress v6 = new InetSocketAddress("2001:db8::2", 9);
        a.device.addCandidates(lab.now, b.id(), List.of(v6), a);
        assertThat(a.sentTo(v6)).hasSize(1);
        assertThat(a.device.counters().drops(Drop.BAD_CANDIDATE)).isEqualTo(bad.size());
    }
}
