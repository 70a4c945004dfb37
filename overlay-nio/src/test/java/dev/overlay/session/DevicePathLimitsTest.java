package dev.overlay.session;

import static dev.overlay.session.PathLab.PROBE_DATAGRAM;
import static dev.overlay.session.PathLab.RELAY;
import static dev.overlay.session.PathLab.RELAY_ADDRESS;
import static org.assertj.core.api.Assertions.assertThat;

import dev.overlay.session.PathLab.Datagram;
import dev.overlay.session.PathLab.Host;
import dev.overlay.wire.Response;
import dev.overlay.wire.Transport;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
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

    /** A knows B's address; both sides validate it in the handshake. */
    private void directSession() {
        a.device.addPeer(b.id(), b.address);
        a.send(b, "hello");
        lab.run(100);
        b.send(a, "hi");
        lab.run(100);
        assertThat(a.status(b).validated()).isTrue();
        assertThat(b.status(a).validated()).isTrue();
    }

    /** A payload of {@code n} bytes that no layer claims (first byte 0x7f). */
    private static byte[] filled(int n) {
        byte[] bytes = new byte[n];
        Arrays.fill(bytes, (byte) 0x7f);
        return bytes;
    }

    // ---------------------------------------------------------------- handshake response source

    @Test
    void aResponseFromAnAddressTheInitiationNeverWentToIsARoamNotAValidation() {
        InetSocketAddress spoofed = PathLab.parse("203.0.113.66:6666");
        a.device.addPeer(b.id(), b.address);
        List<Datagram> captured = new ArrayList<>();
        lab.drop = d -> d.sender() == b && captured.add(d); // B's genuine response is held back
        a.send(b, "hello");
        lab.run(15);
        lab.drop = d -> false;
        assertThat(captured).singleElement().satisfies(d -> assertThat(d.length()).isEqualTo(Response.LENGTH));

        // An on-path attacker races the response from a source of its choosing.
        a.device.receive(lab.now, spoofed, ByteBuffer.wrap(captured.get(0).bytes()), a);
        lab.run(1);

        PeerStatus s = a.status(b);
        assertThat(s.established()).as("the response itself is genuine").isTrue();
        assertThat(s.path()).isEqualTo(Path.direct(spoofed));
        assertThat(s.validated()).as("the initiation never went there").isFalse();
        assertThat(a.sentTo(spoofed)).as("challenged").anySatisfy(d -> assertThat(d.length()).isEqualTo(PROBE_DATAGRAM));
        assertThat(a.bytesSentTo(spoofed, 0)).as("held to 3x the response").isLessThanOrEqualTo(3L * Response.LENGTH);

        lab.run(3000);
        assertThat(a.status(b).path()).as("the genuine address answered its probe")
                .isEqualTo(Path.direct(b.address));
        assertThat(a.status(b).validated()).isTrue();
        assertThat(a.bytesSentTo(spoofed, 0)).isLessThanOrEqualTo(3L * Response.LENGTH);
    }

    // ---------------------------------------------------------------- roaming back

    @Test
    void aPacketFromTheAddressARoamingPeerLeftRestoresThatAddressAtOnceValidated() {
        directSession();
        InetSocketAddress home = a.address;
        InetSocketAddress moved = PathLab.parse("198.51.100.9:4444");
        lab.drop = d -> d.sender() == a && d.length() == PROBE_DATAGRAM; // A answers no challenge
        a.address = moved;
        a.sendBytes(b, filled(100 - Transport.MIN_LENGTH));
        lab.run(10);
        assertThat(b.status(a).path()).isEqualTo(Path.direct(moved));
        assertThat(b.status(a).validated()).isFalse();

        a.address = home; // back where it was validated
        a.send(b, "back");
        lab.run(10);

        assertThat(b.status(a).path()).isEqualTo(Path.direct(home));
        assertThat(b.status(a).validated()).as("restored as it was, without a challenge").isTrue();
        assertThat(b.pathChanges()).extracting(SessionEvent::path)
                .containsExactly(Path.direct(moved), Path.direct(home));
        assertThat(b.eventCount(SessionEvent.Kind.ENDPOINT_CHANGED)).isEqualTo(2);
        int before = b.sent.size();
        assertThat(b.sendBytes(a, filled(5000))).as("no budget").isEqualTo(Device.SendResult.SENT);
        assertThat(b.sent.subList(before, b.sent.size())).extracting(Datagram::to).containsExactly(home);
        lab.run(5000);
        assertThat(b.status(a).path()).as("nothing left to revert").isEqualTo(Path.direct(home));
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
