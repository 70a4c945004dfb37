package dev.overlay.session;

import static dev.overlay.session.PathLab.MS;
import static dev.overlay.session.PathLab.PROBE_DATAGRAM;
import static dev.overlay.session.PathLab.RELAY;
import static dev.overlay.session.PathLab.RELAY_ADDRESS;
import static org.assertj.core.api.Assertions.assertThat;

import dev.overlay.session.PathLab.Datagram;
import dev.overlay.session.PathLab.Host;
import dev.overlay.wire.Transport;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Paths (docs/nat-traversal.md): relay, probing, NAT traversal, roaming, fallback. */
class DevicePathTest {
    private static final Path VIA_RELAY = Path.relayed(RELAY, RELAY_ADDRESS);

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

    private static long transportIndex(byte[] datagram) {
        return ByteBuffer.wrap(datagram).getInt(Transport.RECEIVER_INDEX);
    }

    @Test
    void aHandshakeAndDataGoThroughTheRelayAloneWhenNoAddressIsKnown() {
        assertThat(a.send(b, "x")).as("nothing known").isEqualTo(Device.SendResult.NO_ENDPOINT);
        a.device.setRelay(b.id(), RELAY, RELAY_ADDRESS);

        assertThat(a.send(b, "hello")).isEqualTo(Device.SendResult.STAGED);
        lab.run(200);
        assertThat(b.send(a, "hi")).as("B learned the relay from the relayed initiation")
                .isEqualTo(Device.SendResult.SENT);
        lab.run(200);

        assertThat(b.delivered).containsExactly("hello");
        assertThat(b.deliveredVia).containsExactly(VIA_RELAY);
        assertThat(a.delivered).containsExactly("hi");
        assertThat(a.sent).isEmpty();
        assertThat(b.sent).isEmpty();
        for (PeerStatus s : List.of(a.status(b), b.status(a))) {
            assertThat(s.established()).isTrue();
            assertThat(s.path()).isEqualTo(VIA_RELAY);
            assertThat(s.endpoint()).as("where packets go: the relay").isEqualTo(RELAY_ADDRESS);
            assertThat(s.validated()).isFalse();
        }
        assertThat(a.events(SessionEvent.Kind.ESTABLISHED_AS_INITIATOR)).singleElement()
                .satisfies(e -> assertThat(e.path()).isEqualTo(VIA_RELAY));
        assertThat(a.pathChanges().size() + b.pathChanges().size()).isZero();
        assertThat(a.events(SessionEvent.Kind.PATH_CHANGED)).as("the first path is reported too")
                .singleElement().satisfies(e -> assertThat(e.path()).isEqualTo(VIA_RELAY));

        a.device.setRelay(b.id(), null, null);
        assertThat(a.send(b, "x")).as("the relay forgotten, nothing left").isEqualTo(Device.SendResult.NO_ENDPOINT);
    }

    @Test
    void aPeerKnownOnlyByCandidatesIsHandshakedWithThroughThem() {
        a.device.addCandidates(lab.now, b.id(), List.of(PathLab.parse("192.0.2.77:1"), b.address), a);

        assertThat(a.send(b, "hello")).isEqualTo(Device.SendResult.STAGED);
        lab.run(100);

        assertThat(b.delivered).containsExactly("hello");
        assertThat(a.status(b).path()).isEqualTo(Path.direct(b.address));
        assertThat(a.status(b).validated()).as("rule 2b: the response came from it").isTrue();
    }

    @Test
    void whileNoDirectPathIsValidatedTheInitiationAlsoGoesToTheNewestEightCandidatesAndTheRelay() {
        List<InetSocketAddress> candidates = new ArrayList<>();
        for (int i = 0; i < 9; i++) {
            candidates.add(PathLab.parse("192.0.2." + (100 + i) + ":9"));
        }
        candidates.add(b.address); // the newest
        a.device.setRelay(b.id(), RELAY, RELAY_ADDRESS);
        a.device.addCandidates(lab.now, b.id(), candidates, a);

        a.send(b, "hello");

        assertThat(a.sent).extracting(Datagram::to).containsExactlyInAnyOrderElementsOf(candidates.subList(2, 10));
        assertThat(a.relayed).hasSize(1);
        lab.run(100);
        // The direct copy arrived first and was answered; the relayed copy is a replay to B.
        assertThat(b.delivered).containsExactly("hello");
        assertThat(b.device.counters().drops(Drop.REPLAYED_INITIATION)).isEqualTo(1);
        assertThat(a.status(b).path()).isEqualTo(Path.direct(b.address));
        assertThat(a.status(b).validated()).isTrue();
        assertThat(b.status(a).validated()).as("rule 2c: confirmed from where the response went").isTrue();
    }

    @Test
    void probingValidatesACandidateAndMovesTheSessionFromTheRelayToDirectWithTheSameKeys() {
        relaySession();
        long initiations = a.initiationsSent() + b.initiationsSent();
        byte[] lastRelayed = a.relayed.get(a.relayed.size() - 1);

        a.device.addCandidates(lab.now, b.id(), List.of(b.address), a);
        b.device.addCandidates(lab.now, a.id(), List.of(a.address), b);
        lab.run(100);

        assertThat(a.status(b).path()).isEqualTo(Path.direct(b.address));
        assertThat(a.status(b).validated()).isTrue();
        assertThat(b.status(a).path()).isEqualTo(Path.direct(a.address));
        assertThat(b.status(a).validated()).isTrue();
        assertThat(a.pathChanges()).singleElement()
                .satisfies(e -> assertThat(e.path()).isEqualTo(Path.direct(b.address)));
        assertThat(b.pathChanges()).singleElement()
                .satisfies(e -> assertThat(e.path()).isEqualTo(Path.direct(a.address)));
        assertThat(a.device.counters().challengesSent()).isPositive();
        assertThat(b.device.counters().challengesAnswered()).isPositive();
        assertThat(a.device.counters().pathsValidated()).isPositive();

        // The same session: no handshake, and the direct packet uses the relayed one's keypair.
        int relayedBefore = a.relayed.size();
        assertThat(a.send(b, "direct now")).isEqualTo(Device.SendResult.SENT);
        Datagram direct = a.sent.get(a.sent.size() - 1);
        assertThat(direct.to()).isEqualTo(b.address);
        assertThat(transportIndex(direct.bytes())).isEqualTo(transportIndex(lastRelayed));
        lab.run(50);
        assertThat(b.delivered).endsWith("direct now");
        assertThat(b.deliveredVia).endsWith(Path.direct(a.address));
        assertThat(a.relayed).hasSize(relayedBefore);
        assertThat(a.initiationsSent() + b.initiationsSent()).isEqualTo(initiations);
        assertThat(a.device.counters().handshakesCompleted()).isEqualTo(1);
    }

    @Test
    void aChallengeFromAnUnexpectedAddressIsAnsweredThereAndThatAddressValidatedFullConeBySymmetric() {
        // A's NAT is full cone (its address takes packets from anyone: here, its public address).
        // B is behind a symmetric NAT: each destination gets its own port, open to that one only.
        InetSocketAddress bReflexive = b.behindSymmetricNat(); // the mapping the rendezvous saw
        relaySession();

        a.device.addCandidates(lab.now, b.id(), List.of(bReflexive), a);
        b.device.addCandidates(lab.now, a.id(), List.of(a.address), b);
        lab.run(2000);

        // A's probes to B's reflexive address are filtered by B's NAT; B's probe to A opened a new
        // mapping, from which A saw the challenge, answered it there, and probed it in turn.
        InetSocketAddress bTowardA = b.mappings.get(a.address);
        assertThat(bTowardA).isNotEqualTo(bReflexive);
        assertThat(a.status(b).path()).isEqualTo(Path.direct(bTowardA));
        assertThat(a.status(b).validated()).isTrue();
        assertThat(b.status(a).path()).isEqualTo(Path.direct(a.address));
        assertThat(b.status(a).validated()).isTrue();
        assertThat(a.sentTo(bTowardA)).as("the answer went straight back to the source")
                .first().satisfies(d -> assertThat(d.length()).isEqualTo(PROBE_DATAGRAM));

        a.send(b, "through both NATs");
        lab.run(50);
        assertThat(b.delivered).endsWith("through both NATs");
        assertThat(b.deliveredVia).endsWith(Path.direct(a.address));
    }

    @Test
    void aDataPacketFromANewAddressMovesTheEndpointUnvalidatedAndTheThreeTimesBudgetHoldsToTheByte() {
        directSession();
        InetSocketAddress moved = PathLab.parse("198.51.100.9:4444");
        a.address = moved; // A's NAT rebound

        a.sendBytes(b, filled(100 - Transport.MIN_LENGTH)); // a 100-byte datagram from the new address
        lab.run(10);

        PeerStatus s = b.status(a);
        assertThat(s.path()).isEqualTo(Path.direct(moved));
        assertThat(s.validated()).isFalse();
        assertThat(b.pathChanges()).singleElement()
                .satisfies(e -> assertThat(e.path()).isEqualTo(Path.direct(moved)));
        assertThat(b.eventCount(SessionEvent.Kind.ENDPOINT_CHANGED)).isEqualTo(1);
        long since = lab.now;
        assertThat(b.bytesSentTo(moved, since)).as("a challenge went out at once").isEqualTo(PROBE_DATAGRAM);

        // Budget: 3 x 100 bytes. 41 (challenge) + 130 + 129 = 300 exactly; then not even 33 bytes fit.
        assertThat(b.sendBytes(a, filled(130 - Transport.MIN_LENGTH))).isEqualTo(Device.SendResult.SENT);
        assertThat(b.sendBytes(a, filled(129 - Transport.MIN_LENGTH))).isEqualTo(Device.SendResult.SENT);
        assertThat(b.sendBytes(a, filled(1))).isEqualTo(Device.SendResult.STAGED);
        assertThat(b.bytesSentTo(moved, since)).isEqualTo(300);
        assertThat(b.status(a).staged()).isEqualTo(1);

        // A answers the challenge: the address is validated and the staged payload goes out.
        lab.run(30);
        assertThat(b.status(a).validated()).isTrue();
        assertThat(b.status(a).staged()).isZero();
        assertThat(b.bytesSentTo(moved, since)).isEqualTo(300 + Transport.MIN_LENGTH + 1);
        lab.run(20);
        assertThat(a.delivered).hasSize(4);
        assertThat(b.pathChanges().size()).isEqualTo(1);
    }

    @Test
    void aRoamingEndpointThatNeverAnswersItsChallengesRevertsAfterThreeSeconds() {
        directSession();
        InetSocketAddress home = a.address;
        InetSocketAddress moved = PathLab.parse("198.51.100.9:4444");
        a.address = moved;
        lab.drop = d -> d.sender() == a && d.length() == PROBE_DATAGRAM; // A's answers never arrive

        a.sendBytes(b, filled(100 - Transport.MIN_LENGTH));
        lab.run(10);
        long roamedAt = lab.now;
        assertThat(b.status(a).path()).isEqualTo(Path.direct(moved));

        lab.run(2999);
        assertThat(b.status(a).path()).as("still waiting for an answer").isEqualTo(Path.direct(moved));
        assertThat(b.sentTo(moved)).extracting(d -> (d.at() - roamedAt) / MS)
                .as("challenges at 0, 0.2, 0.4, 0.8 and 1.6 s").containsExactly(0L, 200L, 400L, 800L, 1600L);
        lab.run(1);

        assertThat(b.status(a).path()).isEqualTo(Path.direct(home));
        assertThat(b.status(a).validated()).as("the previous endpoint, as it was").isTrue();
        assertThat(b.pathChanges()).extracting(SessionEvent::path)
                .containsExactly(Path.direct(moved), Path.direct(home));
        lab.run(10_000);
        assertThat(b.sentTo(moved)).as("no more probes to the abandoned address").hasSize(5);
    }

    @Test
    void relayedPacketsNeverDemoteAValidatedDirectPath() {
        directSession();
        b.device.setRelay(a.id(), RELAY, RELAY_ADDRESS);
        List<Datagram> captured = new ArrayList<>();
        lab.drop = d -> d.sender() == a && captured.add(d);

        a.send(b, "via the relay");
        lab.drop = d -> false;
        b.device.receiveRelayed(lab.now, RELAY, RELAY_ADDRESS, ByteBuffer.wrap(captured.get(0).bytes()), b);

        assertThat(b.delivered).endsWith("via the relay");
        assertThat(b.deliveredVia).endsWith(VIA_RELAY);
        assertThat(b.status(a).path()).isEqualTo(Path.direct(a.address));
        assertThat(b.status(a).validated()).isTrue();
        assertThat(b.pathChanges().size()).isZero();
        assertThat(b.send(a, "still direct")).isEqualTo(Device.SendResult.SENT);
        assertThat(b.sent.get(b.sent.size() - 1).to()).isEqualTo(a.address);
    }

    @Test
    void aDirectPathSilentForTheDeadPeerIntervalFallsBackToTheRelayAndProbingResumes() {
        directSession();
        a.device.setRelay(b.id(), RELAY, RELAY_ADDRESS);
        lab.drop = d -> true; // the direct path dies

        long t0 = lab.now;
        a.send(b, "lost");
        lab.run(14_999);
        assertThat(a.status(b).path()).isEqualTo(Path.direct(b.address));
        lab.run(1);

        // keepalive 10 s + rekey-timeout 5 s after the unanswered data
        assertThat(a.status(b).path()).isEqualTo(VIA_RELAY);
        assertThat(a.pathChanges()).singleElement()
                .satisfies(e -> assertThat(e.path()).isEqualTo(VIA_RELAY));
        assertThat(a.sentTo(b.address)).as("the old endpoint is probed again")
                .anySatisfy(d -> assertThat(d.at()).isEqualTo(t0 + 15_000 * MS));

        // The dead-peer re-handshake goes through the relay too, and data flows there.
        lab.run(1000);
        assertThat(a.send(b, "after")).isEqualTo(Device.SendResult.SENT);
        lab.run(100);
        assertThat(b.delivered).endsWith("after");
        assertThat(b.deliveredVia).endsWith(VIA_RELAY);
        assertThat(b.status(a).path()).as("relayed packets did not demote B's path").isEqualTo(Path.direct(a.address));
    }

    @Test
    void candidatesAreProbedOnTheFastScheduleThenEveryFiveSecondsOnlyWhileTheSessionIsInUse() {
        relaySession();
        InetSocketAddress nobody = PathLab.parse("192.0.2.99:9");
        long t0 = lab.now;

        a.device.addCandidates(lab.now, b.id(), List.of(nobody), a);
        for (int i = 0; i < 12; i++) {
            a.send(b, "tick " + i);
            lab.run(1000);
        }
        lab.run(30_000); // last data at 11 s: in use until 21 s

        assertThat(a.sentTo(nobody)).extracting(d -> (d.at() - t0) / MS)
                .containsExactly(0L, 200L, 400L, 800L, 1600L, 6600L, 11_600L, 16_600L);
        assertThat(a.sentTo(nobody)).allSatisfy(d -> assertThat(d.length()).isEqualTo(PROBE_DATAGRAM));
    }

    @Test
    void atMostSixteenCandidatesAreKeptTheNewest() {
        relaySession();
        List<InetSocketAddress> many = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            many.add(PathLab.parse("192.0.2." + (100 + i) + ":9"));
        }
        int before = a.sent.size();

        a.device.addCandidates(lab.now, b.id(), many, a);
        a.device.addCandidates(lab.now, b.id(), many.subList(10, 20), a); // duplicates change nothing

        assertThat(a.sent.subList(before, a.sent.size())).extracting(Datagram::to)
                .containsExactlyElementsOf(many.subList(4, 20));
    }

    @Test
    void malformedProbesAreDroppedCountedAndNeitherAnsweredNorDelivered() {
        directSession();
        int sentBefore = b.sent.size();

        a.sendBytes(b, new byte[] {0x03, 1, 2, 3, 4, 5, 6, 7, 8, 9}); // a challenge one byte too long
        a.sendBytes(b, new byte[] {0x04, 1, 2, 3, 4, 5, 6, 7});       // a response one byte short
        lab.run(50);

        assertThat(b.device.counters().drops(Drop.MALFORMED_PROBE)).isEqualTo(2);
        assertThat(b.delivered).containsExactly("hello");
        assertThat(b.device.counters().challengesAnswered()).isZero();
        assertThat(b.sent).hasSize(sentBefore);
    }

    @Test
    void aPathResponseWithWrongBytesValidatesNothing() {
        relaySession();
        b.device.addPeer(a.id(), a.address); // B sends straight to A's address (configured)
        lab.drop = d -> d.sender() == b && d.length() == PROBE_DATAGRAM; // B's probes are lost
        a.device.addCandidates(lab.now, b.id(), List.of(b.address), a);
        lab.run(50);

        // A PATH_RESPONSE from the probed address, but not echoing A's challenge
        lab.drop = d -> false;
        b.sendBytes(a, new byte[] {0x04, 0, 0, 0, 0, 0, 0, 0, 1});
        lab.drop = d -> d.sender() == b && d.length() == PROBE_DATAGRAM;
        lab.run(50);

        assertThat(a.device.counters().drops(Drop.UNEXPECTED_PATH_RESPONSE)).isEqualTo(1);
        assertThat(a.device.counters().pathsValidated()).isZero();
        assertThat(a.status(b).path()).isEqualTo(VIA_RELAY);
        assertThat(a.delivered).containsExactly("hi");

        // The genuine answer to a later challenge does validate it.
        lab.drop = d -> false;
        lab.run(1000);
        assertThat(a.status(b).path()).isEqualTo(Path.direct(b.address));
        assertThat(a.status(b).validated()).isTrue();
    }

    @Test
    void aDatagramTooLargeToRelayIsDroppedAndCounted() {
        relaySession();
        int fits = Device.MAX_DATAGRAM - Constants.RELAY_OVERHEAD - Transport.MIN_LENGTH;
        int relayedBefore = a.relayed.size();

        a.sendBytes(b, new byte[fits + 1]);
        assertThat(a.device.counters().drops(Drop.RELAY_TOO_BIG)).isEqualTo(1);
        assertThat(a.relayed).hasSize(relayedBefore);

        a.sendBytes(b, new byte[fits]);
        assertThat(a.relayed).hasSize(relayedBefore + 1);
        assertThat(a.relayed.get(relayedBefore)).hasSize(Device.MAX_DATAGRAM - Constants.RELAY_OVERHEAD);
        assertThat(a.device.counters().drops(Drop.RELAY_TOO_BIG)).isEqualTo(1);
    }

    /** A payload of {@code n} bytes that no layer claims (first byte 0x7f). */
    private static byte[] filled(int n) {
        byte[] b = new byte[n];
        Arrays.fill(b, (byte) 0x7f);
        return b;
    }
}
