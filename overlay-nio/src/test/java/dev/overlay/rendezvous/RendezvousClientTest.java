package dev.overlay.rendezvous;

import static org.assertj.core.api.Assertions.assertThat;

import dev.overlay.identity.Identity;
import dev.overlay.identity.NodeId;
import dev.overlay.testing.DeterministicRandom;
import dev.overlay.wire.Control;
import dev.overlay.wire.MessageType;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The node's side of the rendezvous protocol, driven with a fake clock and a recording transport. */
class RendezvousClientTest {
    private static final long S = 1_000_000_000L;
    private static final InetSocketAddress R1 = addr("203.0.113.10", 7000);
    private static final InetSocketAddress R2 = addr("203.0.113.11", 7000);
    private static final InetSocketAddress BIND = addr("0.0.0.0", 5555);
    private static final NodeId K1 = key(1);
    private static final NodeId K2 = key(2);
    private static final NodeId TARGET = key(3);

    private final List<String> log = new ArrayList<>();
    private final List<InetAddress> interfaces = new ArrayList<>(List.of(ip("192.0.2.10"), ip("127.0.0.1")));
    private final Recorder rec = new Recorder();
    private long now = 1_000 * S;

    private RendezvousClient client(RendezvousClient.ServerSpec... servers) {
        return new RendezvousClient(now, List.of(servers), BIND, () -> List.copyOf(interfaces), rec, rec);
    }

    @Test
    void aServerGivenWithoutAKeyIsAskedForItAndThenRegisteredWith() {
        RendezvousClient c = client(new RendezvousClient.ServerSpec(R1, null));
        c.onTimer(now);
        assertThat(rec.cleartext).hasSize(1);
        assertThat(rec.cleartext.get(0).to).isEqualTo(R1);
        assertThat(rec.cleartext.get(0).bytes.length).isEqualTo(KeyExchange.REQUEST_LENGTH);
        assertThat(rec.sealed).isEmpty();

        // An answer from another address is not believed.
        assertThat(c.onKeyResponse(now, R2, keyResponse(K1), KeyExchange.RESPONSE_LENGTH)).isFalse();
        assertThat(rec.servers).isEmpty();

        assertThat(c.onKeyResponse(now, R1, keyResponse(K1), KeyExchange.RESPONSE_LENGTH)).isTrue();
        assertThat(rec.servers).containsExactly(K1 + "@" + R1);
        Messages.Register reg = Messages.readRegister(ByteBuffer.wrap(rec.lastSealedTo(K1)));
        assertThat(reg).isNotNull();
        assertThat(reg.locals()).containsExactly(addr("192.0.2.10", 5555)); // loopback left out
    }

    @Test
    void anUnansweredKeyRequestIsRetriedWithBackoff() {
        RendezvousClient c = client(new RendezvousClient.ServerSpec(R1, null));
        List<Long> sentAt = new ArrayList<>();
        long end = now + 10 * S;
        for (int i = 0; i < 100 && now < end; i++) {
            int before = rec.cleartext.size();
            c.onTimer(now);
            if (rec.cleartext.size() > before) {
                sentAt.add(now);
            }
            now = Math.max(now + 1, c.nextDeadline());
        }
        assertThat(sentAt).hasSizeGreaterThanOrEqualTo(4);
        assertThat(sentAt.get(1) - sentAt.get(0)).isEqualTo(RendezvousClient.FIRST_RETRY_NANOS);
        assertThat(sentAt.get(2) - sentAt.get(1)).isEqualTo(2 * RendezvousClient.FIRST_RETRY_NANOS);
        assertThat(sentAt.get(3) - sentAt.get(2)).isEqualTo(4 * RendezvousClient.FIRST_RETRY_NANOS);
    }

    @Test
    void registeredMakesTheServerUpAndItsReflexiveAddressTheFirstCandidate() {
        RendezvousClient c = client(new RendezvousClient.ServerSpec(R1, K1));
        c.onTimer(now);
        int seq = Messages.readRegister(ByteBuffer.wrap(rec.lastSealedTo(K1))).seq();
        InetSocketAddress reflexive = addr("198.51.100.2", 40000);
        assertThat(c.onPayload(now, K1, registered(seq, 20, 60, reflexive))).isTrue();
        assertThat(c.status()).singleElement().satisfies(s -> {
            assertThat(s.up()).isTrue();
            assertThat(s.reflexive()).isEqualTo(reflexive);
        });
        assertThat(c.candidates()).containsExactly(reflexive, addr("192.0.2.10", 5555));
        assertThat(log).contains("up " + K1, "candidates " + c.candidates());
    }

    @Test
    void anAnswerToAnOlderRegisterIsIgnored() {
        RendezvousClient c = client(new RendezvousClient.ServerSpec(R1, K1));
        c.onTimer(now);
        now += RendezvousClient.FIRST_RETRY_NANOS;
        c.onTimer(now); // a retry with a new sequence number
        assertThat(rec.sealedTo(K1)).hasSize(2);
        int first = Messages.readRegister(ByteBuffer.wrap(rec.sealedTo(K1).get(0))).seq();
        c.onPayload(now, K1, registered(first, 20, 60, addr("198.51.100.2", 1)));
        assertThat(c.status().get(0).up()).isFalse();
        assertThat(c.unexpected()).isEqualTo(1);
    }

    @Test
    void registrationIsRefreshedAndAServerThatStopsAnsweringGoesDown() {
        RendezvousClient c = client(new RendezvousClient.ServerSpec(R1, K1));
        c.onTimer(now);
        answerRegister(c, K1, addr("198.51.100.2", 40000));
        long registeredAt = now;
        int sent = rec.sealedTo(K1).size();

        for (int i = 0; i < 100 && rec.sealedTo(K1).size() == sent; i++) {
            now = c.nextDeadline();
            c.onTimer(now);
        }
        assertThat(now - registeredAt).isEqualTo(20 * S); // the refresh, below NAT UDP timeouts
        assertThat(rec.sealedTo(K1)).hasSize(sent + 1);

        // Nothing answers: retries, then down at refresh + grace after the last answer.
        for (int i = 0; i < 100 && c.status().get(0).up(); i++) {
            now = c.nextDeadline();
            c.onTimer(now);
        }
        assertThat(c.status().get(0).up()).isFalse();
        assertThat(now - registeredAt).isEqualTo((20 + RendezvousClient.GRACE_SECONDS) * S);
        assertThat(log).contains("down " + K1);
        assertThat(c.candidates()).containsExactly(addr("192.0.2.10", 5555)); // its reflexive is gone
    }

    @Test
    void aNewLocalAddressIsRegisteredAtOnceAndAnnounced() {
        RendezvousClient c = client(new RendezvousClient.ServerSpec(R1, K1));
        c.onTimer(now);
        answerRegister(c, K1, addr("198.51.100.2", 40000));
        int sent = rec.sealedTo(K1).size();
        interfaces.add(ip("192.0.2.20"));
        now += RendezvousClient.LOCAL_POLL_NANOS;
        c.onTimer(now);
        assertThat(rec.sealedTo(K1)).hasSize(sent + 1);
        Messages.Register reg = Messages.readRegister(ByteBuffer.wrap(rec.lastSealedTo(K1)));
        assertThat(reg.locals()).containsExactly(addr("192.0.2.10", 5555), addr("192.0.2.20", 5555));
        assertThat(c.candidates()).contains(addr("192.0.2.20", 5555));
    }

    @Test
    void aChangedReflexiveAddressIsAnnounced() {
        RendezvousClient c = client(new RendezvousClient.ServerSpec(R1, K1));
        c.onTimer(now);
        answerRegister(c, K1, addr("198.51.100.2", 40000));
        now += 20 * S;
        c.onTimer(now);
        answerRegister(c, K1, addr("198.51.100.4", 40000)); // the NAT was renumbered
        assertThat(c.candidates().get(0)).isEqualTo(addr("198.51.100.4", 40000));
        assertThat(log).contains("candidates " + c.candidates());
    }

    @Test
    void aLookupAsksEveryServerAndTheFirstFoundWins() {
        RendezvousClient c = client(new RendezvousClient.ServerSpec(R1, K1), new RendezvousClient.ServerSpec(R2, K2));
        c.onTimer(now);
        List<String> results = new ArrayList<>();
        c.lookup(now, TARGET, 5 * S, (found, failure) -> results.add(found != null
                ? "found " + found.key() + " via " + found.server() + " " + found.candidates() : failure));
        Messages.Lookup q1 = Messages.readLookup(ByteBuffer.wrap(rec.lastSealedTo(K1)));
        Messages.Lookup q2 = Messages.readLookup(ByteBuffer.wrap(rec.lastSealedTo(K2)));
        assertThat(q1.key()).isEqualTo(TARGET);
        assertThat(q2.key()).isEqualTo(TARGET);

        List<InetSocketAddress> cands = List.of(addr("198.51.100.3", 1000), addr("192.0.2.74", 7000));
        c.onPayload(now, K2, lookupResult(q2.req(), Messages.FOUND, TARGET, cands));
        c.onPayload(now, K1, lookupResult(q1.req(), Messages.FOUND, TARGET, cands)); // too late
        assertThat(results).containsExactly("found " + TARGET + " via " + K2 + " " + cands);
        assertThat(c.unexpected()).isEqualTo(1);
    }

    @Test
    void aLookupThatNoServerKnowsFailsWithTheReason() {
        RendezvousClient c = client(new RendezvousClient.ServerSpec(R1, K1), new RendezvousClient.ServerSpec(R2, K2));
        c.onTimer(now);
        List<String> results = new ArrayList<>();
        c.lookup(now, TARGET, 5 * S, (found, failure) -> results.add(failure));
        for (NodeId k : List.of(K1, K2)) {
            Messages.Lookup q = Messages.readLookup(ByteBuffer.wrap(rec.lastSealedTo(k)));
            c.onPayload(now, k, lookupResult(q.req(), Messages.NOT_FOUND, null, List.of()));
        }
        assertThat(results).containsExactly(TARGET.name() + " is not registered at any rendezvous (asked 2)");
    }

    @Test
    void anUnansweredLookupIsRetriedAndThenTimesOut() {
        RendezvousClient c = client(new RendezvousClient.ServerSpec(R1, K1));
        c.onTimer(now);
        List<String> results = new ArrayList<>();
        long start = now;
        c.lookup(now, TARGET, 3 * S, (found, failure) -> results.add(failure));
        for (int i = 0; i < 100 && results.isEmpty(); i++) {
            now = c.nextDeadline();
            c.onTimer(now);
        }
        assertThat(now - start).isEqualTo(3 * S);
        long lookups = rec.sealedTo(K1).stream().filter(b -> b[0] == Control.LOOKUP).count();
        assertThat(lookups).isEqualTo(3); // at 0, 1 and 2 s
        assertThat(results).containsExactly("no rendezvous answered the lookup of " + TARGET.name() + " in time");
    }

    @Test
    void aHandleLookupOnlyBelievesAKeyThatHashesToTheHandle() {
        RendezvousClient c = client(new RendezvousClient.ServerSpec(R1, K1));
        c.onTimer(now);
        List<String> results = new ArrayList<>();
        c.lookup(now, TARGET.handle(), 5 * S, (found, failure) -> results.add(found != null ? "found " + found.key() : failure));
        Messages.Lookup q = Messages.readLookup(ByteBuffer.wrap(rec.lastSealedTo(K1)));
        assertThat(q.handle()).isEqualTo(TARGET.handle());
        c.onPayload(now, K1, lookupResult(q.req(), Messages.FOUND, K2, List.of(addr("198.51.100.3", 1))));
        assertThat(results).isEmpty();
        assertThat(c.malformed()).isEqualTo(1);
        c.onPayload(now, K1, lookupResult(q.req(), Messages.FOUND, TARGET, List.of(addr("198.51.100.3", 1))));
        assertThat(results).containsExactly("found " + TARGET);
    }

    @Test
    void aLookupBeforeAnyKeyIsKnownWaitsForTheKey() {
        RendezvousClient c = client(new RendezvousClient.ServerSpec(R1, null));
        c.onTimer(now);
        List<String> results = new ArrayList<>();
        c.lookup(now, TARGET, 5 * S, (found, failure) -> results.add(found != null ? "found" : failure));
        assertThat(rec.sealed).isEmpty();
        c.onKeyResponse(now, R1, keyResponse(K1), KeyExchange.RESPONSE_LENGTH);
        assertThat(rec.sealedTo(K1)).anyMatch(b -> b[0] == Control.LOOKUP);
    }

    @Test
    void malformedAndForeignPayloadsAreCountedOrLeftAlone() {
        RendezvousClient c = client(new RendezvousClient.ServerSpec(R1, K1));
        c.onTimer(now);
        assertThat(c.onPayload(now, K1, ByteBuffer.wrap(new byte[] {Control.REGISTERED, 1, 2}))).isTrue();
        assertThat(c.onPayload(now, K1, ByteBuffer.wrap(new byte[] {Control.LOOKUP_RESULT}))).isTrue();
        assertThat(c.malformed()).isEqualTo(2);
        assertThat(c.onPayload(now, TARGET, registered(1, 20, 60, addr("198.51.100.2", 1)))).isFalse(); // not a server
        assertThat(c.onPayload(now, K1, ByteBuffer.wrap(new byte[] {0x10, 0}))).isFalse(); // stream traffic
        assertThat(c.status().get(0).up()).isFalse();
    }

    @Test
    void lookupsOfOneKeyInFlightAreMergedIntoOne() {
        RendezvousClient c = client(new RendezvousClient.ServerSpec(R1, K1));
        c.onTimer(now);
        List<String> results = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            c.lookup(now, TARGET, 5 * S, (found, failure) -> results.add(found != null ? "found" : failure));
        }
        List<byte[]> asked = rec.sealedTo(K1).stream().filter(b -> b[0] == Control.LOOKUP).toList();
        assertThat(asked).as("one LOOKUP on the wire").hasSize(1);
        Messages.Lookup q = Messages.readLookup(ByteBuffer.wrap(asked.get(0)));
        c.onPayload(now, K1, lookupResult(q.req(), Messages.FOUND, TARGET, List.of(addr("198.51.100.3", 1))));
        assertThat(results).containsExactly("found", "found", "found", "found", "found");
    }

    @Test
    void closingFailsEveryLookupInFlight() {
        RendezvousClient c = client(new RendezvousClient.ServerSpec(R1, K1));
        c.onTimer(now);
        List<String> results = new ArrayList<>();
        c.lookup(now, TARGET, 5 * S, (found, failure) -> results.add(failure));
        c.lookup(now, TARGET.handle(), 5 * S, (found, failure) -> results.add(failure));
        c.failAll("node closed");
        assertThat(results).containsExactly("node closed", "node closed");
        assertThat(c.nextDeadline()).isGreaterThan(now); // nothing left due at once
    }

    @Test
    void aLearnedKeyThatNeverRegistersUsIsAskedForAgainButAPinnedOneIsNot() {
        RendezvousClient learned = client(new RendezvousClient.ServerSpec(R1, null));
        learned.onTimer(now);
        learned.onKeyResponse(now, R1, keyResponse(K1), KeyExchange.RESPONSE_LENGTH); // forged, or the old key
        long learnedAt = now;
        int requests = rec.cleartext.size();
        for (int i = 0; i < 200 && rec.cleartext.size() == requests; i++) {
            now = learned.nextDeadline();
            learned.onTimer(now);
        }
        assertThat(now - learnedAt).isEqualTo(RendezvousClient.REDISCOVER_AFTER_REFRESHES * 20 * S);
        assertThat(rec.cleartext).hasSize(requests + 1);
        assertThat(learned.status().get(0).key()).isNull();

        RendezvousClient pinned = client(new RendezvousClient.ServerSpec(R2, K2));
        long start = now;
        for (int i = 0; i < 200 && now - start < 200 * S; i++) {
            pinned.onTimer(now);
            now = Math.max(now + 1, pinned.nextDeadline());
        }
        assertThat(pinned.status().get(0).key()).isEqualTo(K2);
        assertThat(rec.cleartext.stream().filter(x -> x.to().equals(R2))).isEmpty();
    }

    @Test
    void relayFailedIsReported() {
        RendezvousClient c = client(new RendezvousClient.ServerSpec(R1, K1));
        ByteBuffer b = ByteBuffer.allocate(64);
        Messages.writeRelayFailed(b, TARGET);
        b.flip();
        assertThat(c.onPayload(now, K1, b)).isTrue();
        assertThat(log).contains("relay failed " + K1 + " " + TARGET);
    }

    // ---------------------------------------------------------------- helpers

    private void answerRegister(RendezvousClient c, NodeId server, InetSocketAddress reflexive) {
        int seq = Messages.readRegister(ByteBuffer.wrap(rec.lastSealedTo(server))).seq();
        assertThat(c.onPayload(now, server, registered(seq, 20, 60, reflexive))).isTrue();
    }

    private static ByteBuffer registered(int seq, int refresh, int ttl, InetSocketAddress reflexive) {
        ByteBuffer b = ByteBuffer.allocate(64);
        Messages.writeRegistered(b, seq, refresh, ttl, reflexive);
        return b.flip();
    }

    private static ByteBuffer lookupResult(int req, int status, NodeId key, List<InetSocketAddress> addrs) {
        ByteBuffer b = ByteBuffer.allocate(Messages.MAX_LENGTH);
        Messages.writeLookupResult(b, req, status, key, addrs);
        return b.flip();
    }

    private static ByteBuffer keyResponse(NodeId key) {
        ByteBuffer b = ByteBuffer.allocate(KeyExchange.RESPONSE_LENGTH);
        KeyExchange.writeResponse(b, key);
        assertThat(b.get(0)).isEqualTo(MessageType.KEY_RESPONSE);
        return b;
    }

    private static NodeId key(long seed) {
        return Identity.generate(new DeterministicRandom(seed)).id();
    }

    private static InetSocketAddress addr(String ip, int port) {
        return new InetSocketAddress(ip(ip), port);
    }

    private static InetAddress ip(String ip) {
        try {
            return InetAddress.getByName(ip);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    private record Sent(InetSocketAddress to, NodeId key, byte[] bytes) {}

    private final class Recorder implements RendezvousClient.Transport, RendezvousClient.Listener {
        final List<Sent> cleartext = new ArrayList<>();
        final List<Sent> sealed = new ArrayList<>();
        final List<String> servers = new ArrayList<>();

        @Override
        public void sendCleartext(InetSocketAddress to, ByteBuffer datagram) {
            cleartext.add(new Sent(to, null, bytes(datagram)));
        }

        @Override
        public void addServer(NodeId key, InetSocketAddress address) {
            servers.add(key + "@" + address);
        }

        @Override
        public void send(NodeId server, ByteBuffer payload) {
            sealed.add(new Sent(null, server, bytes(payload)));
        }

        List<byte[]> sealedTo(NodeId k) {
            return sealed.stream().filter(s -> s.key.equals(k)).map(Sent::bytes).toList();
        }

        byte[] lastSealedTo(NodeId k) {
            List<byte[]> l = sealedTo(k);
            assertThat(l).as("payloads sealed to " + k).isNotEmpty();
            return l.get(l.size() - 1);
        }

        @Override
        public void candidatesChanged(List<InetSocketAddress> candidates) {
            log.add("candidates " + candidates);
        }

        @Override
        public void serverStateChanged(NodeId server, InetSocketAddress address, boolean up) {
            log.add((up ? "up " : "down ") + server);
        }

        @Override
        public void relayFailed(NodeId server, NodeId destination) {
            log.add("relay failed " + server + " " + destination);
        }

        private byte[] bytes(ByteBuffer b) {
            byte[] a = new byte[b.remaining()];
            b.get(a);
            return a;
        }
    }
}
