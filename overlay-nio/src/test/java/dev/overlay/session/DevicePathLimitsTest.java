package dev.overlay.session;

import static dev.overlay.session.PathLab.PROBE_DATAGRAM;
import static dev.overlay.session.PathLab.RELAY;
import static dev.overlay.session.PathLab.RELAY_ADDRESS;
import static org.assertj.core.api.Assertions.assertThat;

import dev.overlay.identity.Identity;
import dev.overlay.identity.NodeId;
import dev.overlay.session.PathLab.Datagram;
import dev.overlay.session.PathLab.Host;
import dev.overlay.testing.DeterministicRandom;
import dev.overlay.wire.MessageType;
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

    // ---------------------------------------------------------------- learned peers

    @Test
    void peersLearnedFromARelayOrCandidatesCountAgainstMaxPeersAndIdleOnesGiveWay() {
        Host c = lab.host("c", "198.51.100.3:6000", 3, new DeviceConfig(SessionTimers.DEFAULTS, 2, k -> true));
        NodeId x1 = Identity.generate(new DeterministicRandom(401)).id();
        NodeId x2 = Identity.generate(new DeterministicRandom(402)).id();
        NodeId x3 = Identity.generate(new DeterministicRandom(403)).id();
        NodeId x4 = Identity.generate(new DeterministicRandom(404)).id();

        // Idle learned peers (nothing but a relay or candidates) give way to new ones.
        assertThat(c.device.setRelay(x1, RELAY, RELAY_ADDRESS)).isTrue();
        assertThat(c.device.addCandidates(lab.now, x2, List.of(PathLab.parse("192.0.2.9:9")), c)).isTrue();
        assertThat(c.device.setRelay(x3, RELAY, RELAY_ADDRESS)).isTrue();
        assertThat(c.device.peers()).extracting(PeerStatus::id).containsExactlyInAnyOrder(x2, x3);

        // Peers with something under way (a handshake, staged payloads) are kept: a new one is refused.
        c.device.send(lab.now, x2, ByteBuffer.wrap(filled(10)), c);
        c.device.send(lab.now, x3, ByteBuffer.wrap(filled(10)), c);
        assertThat(c.device.setRelay(x4, RELAY, RELAY_ADDRESS)).isFalse();
        assertThat(c.device.addCandidates(lab.now, x4, List.of(PathLab.parse("192.0.2.9:9")), c)).isFalse();
        assertThat(c.device.peers()).extracting(PeerStatus::id).containsExactlyInAnyOrder(x2, x3);
        assertThat(c.device.counters().drops(Drop.PEER_LIMIT)).isEqualTo(2);

        // A configured peer never gives way, and is not counted twice.
        c.device.addPeer(x2, PathLab.parse("192.0.2.9:9"));
        assertThat(c.device.peers()).hasSize(2);
    }

    @Test
    void aPeerLearnedFromARelayIsForgottenWhenItsSessionEndsLikeAResponderLearnedOne() {
        relaySession();
        assertThat(a.device.peerStatus(b.id())).isNotNull();

        lab.run(200_000); // idle-timeout is 180 s

        assertThat(a.device.peerStatus(b.id())).as("learned, idle: forgotten").isNull();
        assertThat(b.device.peerStatus(a.id())).as("as B forgot A").isNull();
        assertThat(a.device.indexedSessions()).isZero();
    }

    @Test
    void forgetPeerDropsALearnedPeerAndEverythingItHoldsButNeverAConfiguredOne() {
        relaySession();
        b.device.send(lab.now, a.id(), ByteBuffer.wrap(filled(10)), b);
        a.device.addPeer(PathLab.RELAY, RELAY_ADDRESS); // configured
        NodeId waiting = Identity.generate(new DeterministicRandom(500)).id();
        a.device.setRelay(waiting, RELAY, RELAY_ADDRESS);
        a.device.send(lab.now, waiting, ByteBuffer.wrap(filled(1000)), a); // staged, handshaking

        assertThat(a.device.forgetPeer(b.id())).isTrue();
        assertThat(a.device.forgetPeer(waiting)).isTrue();
        assertThat(a.device.forgetPeer(PathLab.RELAY)).as("configured").isFalse();
        assertThat(a.device.forgetPeer(waiting)).as("already gone").isFalse();

        assertThat(a.device.peers()).extracting(PeerStatus::id).containsExactly(PathLab.RELAY);
        assertThat(a.device.indexedSessions()).as("keys and the pending handshake erased").isZero();
        assertThat(a.device.stagedBytes()).isZero();
        assertThat(a.device.counters().drops(Drop.FORGOTTEN)).isEqualTo(1);
        lab.run(100);
        assertThat(a.delivered).as("B's packet under the erased keys opens nothing").containsExactly("hi");
        assertThat(a.send(b, "x")).isEqualTo(Device.SendResult.NO_ENDPOINT);
    }

    // ---------------------------------------------------------------- staging

    /** A peer configured at an address nobody answers from: everything sent to it is staged. */
    private NodeId unreachablePeer(long seed) {
        NodeId id = Identity.generate(new DeterministicRandom(seed)).id();
        a.device.addPeer(id, PathLab.parse("192.0.2.200:" + (1000 + seed)));
        return id;
    }

    @Test
    void stagedBytesAreBoundedPerPeerTheOldestDropped() {
        NodeId c = unreachablePeer(100);
        int big = Device.MAX_PAYLOAD;
        for (int i = 0; i < 10; i++) {
            byte[] payload = filled(big);
            payload[1] = (byte) i;
            assertThat(a.device.send(lab.now, c, ByteBuffer.wrap(payload), a)).isEqualTo(Device.SendResult.STAGED);
        }

        int fit = Constants.MAX_STAGED_BYTES_PER_PEER / big; // 4 of the largest payloads
        assertThat(a.device.peerStatus(c).staged()).isEqualTo(fit);
        assertThat(a.device.stagedBytes()).isEqualTo((long) fit * big);
        assertThat(a.device.counters().drops(Drop.STAGED_OVERFLOW)).isEqualTo(10 - fit);
    }

    @Test
    void stagedBytesAreBoundedAcrossAllPeers() {
        int big = Device.MAX_PAYLOAD;
        int peers = (int) (Constants.MAX_STAGED_BYTES / Constants.MAX_STAGED_BYTES_PER_PEER) + 6;
        long refused = 0;
        for (int n = 0; n < peers; n++) {
            NodeId c = unreachablePeer(200 + n);
            for (int i = 0; i < 5; i++) {
                if (a.device.send(lab.now, c, ByteBuffer.wrap(filled(big)), a) == Device.SendResult.NO_ROUTE) {
                    refused++;
                }
            }
        }

        long staged = a.device.peers().stream().mapToLong(PeerStatus::staged).sum();
        assertThat(staged * big).isLessThanOrEqualTo(Constants.MAX_STAGED_BYTES);
        assertThat(a.device.stagedBytes()).isEqualTo(staged * big);
        assertThat(refused).isPositive();
        assertThat(a.device.counters().drops(Drop.STAGED_LIMIT)).isEqualTo(refused);
    }

    @Test
    void aSendThatMayNotStageReportsNoRouteAndKeepsNothing() {
        // No keys yet: a handshake starts, nothing waits for it.
        NodeId c = unreachablePeer(300);
        assertThat(a.device.send(lab.now, c, ByteBuffer.wrap(filled(10)), a, false)).isEqualTo(Device.SendResult.NO_ROUTE);
        assertThat(a.device.peerStatus(c).staged()).isZero();
        assertThat(a.device.peerStatus(c).handshaking()).isTrue();

        // Keys, but the only path is a roaming endpoint over its budget.
        directSession();
        InetSocketAddress moved = PathLab.parse("198.51.100.9:4444");
        lab.drop = d -> d.sender() == a && d.length() == PROBE_DATAGRAM; // A answers no challenge
        a.address = moved;
        a.sendBytes(b, filled(100 - Transport.MIN_LENGTH)); // budget: 300 bytes
        lab.run(10);
        assertThat(b.device.send(lab.now, a.id(), ByteBuffer.wrap(filled(1000)), b, false))
                .isEqualTo(Device.SendResult.NO_ROUTE);
        assertThat(b.status(a).staged()).isZero();
        assertThat(b.device.send(lab.now, a.id(), ByteBuffer.wrap(filled(100)), b, false))
                .as("within the budget it goes").isEqualTo(Device.SendResult.SENT);
        assertThat(b.device.stagedBytes()).isZero();
    }

    @Test
    void aResponderWhosePeerConfirmsFromAnotherAddressValidatesTheFirstAndRoamsFromIt() {
        a.device.addPeer(b.id(), b.address);
        InetSocketAddress first = a.address;
        InetSocketAddress moved = PathLab.parse("198.51.100.9:4444");
        List<Datagram> held = new ArrayList<>();
        lab.drop = d -> d.sender() == a && d.bytes()[0] == MessageType.TRANSPORT && held.add(d);
        a.send(b, "hello");
        lab.run(25); // B answered the initiation from `first`; A's confirmation (at 20 ms) is held
        // A's NAT rebinds before the confirmation leaves, and nothing gets into the new mapping.
        a.address = moved;
        lab.drop = d -> d.to().equals(moved);
        b.device.receive(lab.now, moved, ByteBuffer.wrap(held.get(0).bytes()), b);
        lab.run(1);

        assertThat(b.delivered).containsExactly("hello");
        assertThat(b.status(a).path()).isEqualTo(Path.direct(moved));
        assertThat(b.status(a).validated()).isFalse();
        for (int i = 0; i < 20; i++) {
            b.sendBytes(a, filled(1000)); // as a rendezvous relaying to it would
        }

        lab.run(3000);
        // Our response went to `first` and the peer answered it (from anywhere): `first` reaches it.
        assertThat(b.status(a).path()).as("reverted").isEqualTo(Path.direct(first));
        assertThat(b.status(a).validated()).isTrue();
        assertThat(b.status(a).staged()).as("the staged payloads went out").isZero();
        assertThat(b.device.stagedBytes()).isZero();
    }

    @Test
    void anUnvalidatedEndpointWithNothingToRevertToIsGivenUpAfterThreeSeconds() {
        // A knows B only as a candidate; B's genuine response is raced from a spoofed source, and
        // nothing of B's reaches A afterwards.
        InetSocketAddress spoofed = PathLab.parse("203.0.113.66:6666");
        a.device.addCandidates(lab.now, b.id(), List.of(b.address), a);
        List<Datagram> captured = new ArrayList<>();
        lab.drop = d -> d.sender() == b && captured.add(d);
        a.send(b, "hello");
        lab.run(15);
        a.device.receive(lab.now, spoofed, ByteBuffer.wrap(captured.get(0).bytes()), a);
        lab.run(1);
        assertThat(a.status(b).path()).isEqualTo(Path.direct(spoofed));
        assertThat(a.status(b).validated()).isFalse();

        lab.run(3000);

        assertThat(a.status(b).path()).as("no path rather than a budgeted one forever").isNull();
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

    // ---------------------------------------------------------------- probe amplification

    private static List<InetSocketAddress> victims(int subnet, int n) {
        List<InetSocketAddress> list = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            list.add(PathLab.parse("192.0." + subnet + "." + (10 + i) + ":9"));
        }
        return list;
    }

    private static long challengesTo(Host from, List<InetSocketAddress> to) {
        return from.sent.stream().filter(d -> d.length() == PROBE_DATAGRAM && to.contains(d.to())).count();
    }

    @Test
    void aPeerThatNeverAnswersCannotMakeUsProbeMoreThanThePerPeerAllowance() {
        // A rekeys every 2 s (each completed handshake used to restart every schedule); the peer
        // keeps the session in use and sends 16 new victim addresses every second.
        PathLab lab = new PathLab();
        SessionTimers quickRekey = SessionTimers.DEFAULTS.with("rekey-after", java.time.Duration.ofSeconds(2));
        Host us = lab.host("us", "198.51.100.1:4000", 1, DeviceConfig.DEFAULTS.withTimers(quickRekey));
        Host peer = lab.host("peer", "198.51.100.2:5000", 2);
        us.device.setRelay(peer.id(), RELAY, RELAY_ADDRESS);
        us.send(peer, "hello");
        lab.run(200);
        List<InetSocketAddress> odd = victims(2, 16);
        List<InetSocketAddress> even = victims(3, 16);
        List<InetSocketAddress> all = new ArrayList<>(odd);
        all.addAll(even);
        int seconds = 60;
        long handshakesBefore = us.device.counters().handshakesCompleted();

        for (int s = 0; s < seconds; s++) {
            us.device.addCandidates(lab.now, peer.id(), s % 2 == 0 ? even : odd, us); // its CANDIDATES
            us.send(peer, "data " + s);
            peer.send(us, "data " + s);
            lab.run(1000);
        }

        assertThat(us.device.counters().handshakesCompleted() - handshakesBefore).as("rekeys").isGreaterThanOrEqualTo(15);
        long allowance = Constants.PROBE_BURST + seconds * 1_000_000_000L / Constants.PROBE_TOKEN_NANOS;
        assertThat(challengesTo(us, all)).isLessThanOrEqualTo(allowance);
        assertThat(us.device.counters().challengesSkipped()).isPositive();
    }

    @Test
    void backgroundProbesOfACandidateThatNeverAnswersStopAfterTwelveRounds() {
        relaySession();
        InetSocketAddress nobody = PathLab.parse("192.0.2.99:9");
        long t0 = lab.now;
        a.device.addCandidates(lab.now, b.id(), List.of(nobody), a);
        for (int s = 0; s < 100; s++) { // in use throughout; no rekey before 120 s
            a.send(b, "tick " + s);
            lab.run(1000);
        }

        List<Long> at = a.sentTo(nobody).stream().map(d -> (d.at() - t0) / PathLab.MS).toList();
        assertThat(at).hasSize(5 + Constants.BACKGROUND_ROUNDS);
        assertThat(at.get(at.size() - 1)).isEqualTo(1600L + Constants.BACKGROUND_ROUNDS * 5000L);
    }

    @Test
    void aCandidateThatStartsAnsweringWithinTheBackgroundRoundsStillTakesTheSessionDirect() {
        relaySession();
        lab.drop = d -> true; // no direct path at first
        a.device.addCandidates(lab.now, b.id(), List.of(b.address), a);
        b.device.addCandidates(lab.now, a.id(), List.of(a.address), b);
        for (int s = 0; s < 30; s++) {
            if (s == 20) {
                lab.drop = d -> false; // the network starts to allow it
            }
            a.send(b, "tick " + s);
            lab.run(1000);
        }
        assertThat(a.status(b).path()).isEqualTo(Path.direct(b.address));
        assertThat(a.status(b).validated()).isTrue();
    }

    @Test
    void theSourceOfAChallengeIsProbedOnlyWithinThreeTimesTheBytesReceivedFromIt() {
        relaySession();
        // B (the attacker) sends A sealed challenges straight from addresses it spoofs.
        b.device.addPeer(a.id(), a.address);
        InetSocketAddress home = b.address;
        List<InetSocketAddress> spoofed = victims(2, 8);
        for (InetSocketAddress v : spoofed) {
            b.address = v;
            b.sendBytes(a, new byte[] {0x03, 1, 2, 3, 4, 5, 6, 7, 8});
            b.address = home;
            lab.run(1);
        }
        for (int s = 0; s < 30; s++) { // in use: background probes would run
            a.send(b, "tick " + s);
            lab.run(1000);
        }

        assertThat(a.device.counters().challengesAnswered()).isEqualTo(spoofed.size());
        for (InetSocketAddress v : spoofed) {
            assertThat(a.bytesSentTo(v, 0)).as("to " + v).isLessThanOrEqualTo(3L * PROBE_DATAGRAM);
            assertThat(a.sentTo(v).get(0).length()).as("the answer first").isEqualTo(PROBE_DATAGRAM);
        }
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
