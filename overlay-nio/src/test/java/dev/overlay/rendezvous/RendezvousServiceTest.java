package dev.overlay.rendezvous;

import static dev.overlay.rendezvous.MessagesTest.key;
import static dev.overlay.rendezvous.MessagesTest.v4;
import static dev.overlay.rendezvous.MessagesTest.v6;
import static org.assertj.core.api.Assertions.assertThat;

import dev.overlay.identity.NodeId;
import dev.overlay.rendezvous.RendezvousService.Counter;
import dev.overlay.session.Path;
import dev.overlay.wire.Control;
import dev.overlay.wire.Initiation;
import dev.overlay.wire.MessageType;
import dev.overlay.wire.Transport;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** The server logic against a fake clock and a recording sender. */
class RendezvousServiceTest {
    private static final long S = 1_000_000_000L;
    private static final long T0 = 100 * S;
    private static final NodeId SERVER = key(100);
    private static final NodeId A = key(101);
    private static final NodeId B = key(102);
    private static final InetSocketAddress ADDR_A = v4("203.0.113.1", 40001);
    private static final InetSocketAddress ADDR_B = v6("2001:db8::b", 40002);
    private static final Path VIA_A = Path.direct(ADDR_A);
    private static final Path VIA_B = Path.direct(ADDR_B);

    /** One payload the service sent. */
    record Sent(NodeId to, ByteBuffer payload) {}

    /** Records copies of what the service sends. */
    static final class Recorder implements RendezvousService.Sender {
        final List<Sent> sent = new ArrayList<>();

        @Override
        public void send(NodeId to, ByteBuffer payload) {
            ByteBuffer copy = ByteBuffer.allocate(payload.remaining()).put(payload.duplicate()).flip();
            sent.add(new Sent(to, copy));
        }

        Sent only() {
            assertThat(sent).hasSize(1);
            Sent s = sent.get(0);
            sent.clear();
            return s;
        }
    }

    private final Recorder out = new Recorder();

    static ByteBuffer payload(Consumer<ByteBuffer> writer) {
        return MessagesTest.encode(writer);
    }

    /** A datagram a device would accept: transport data of {@code len} bytes. */
    static ByteBuffer transport(int len, int fill) {
        ByteBuffer d = ByteBuffer.allocate(len);
        for (int i = 0; i < len; i++) {
            d.put(i, (byte) fill);
        }
        MessageType.write(d, MessageType.TRANSPORT);
        return d;
    }

    private void register(RendezvousService svc, long now, NodeId who, Path via, List<InetSocketAddress> locals) {
        assertThat(svc.onPayload(now, who, via, payload(b -> Messages.writeRegister(b, 1, locals)), out)).isTrue();
    }

    @Test
    void registerIsAnsweredWithTheReflexiveAddressAndTheAdvertisedTimings() {
        RendezvousService svc = new RendezvousService(SERVER);
        ByteBuffer p = payload(b -> Messages.writeRegister(b, 77, List.of(v4("192.168.1.5", 40001))));
        int pos = p.position();
        assertThat(svc.onPayload(T0, A, VIA_A, p, out)).isTrue();
        assertThat(p.position()).isEqualTo(pos);
        Sent s = out.only();
        assertThat(s.to()).isEqualTo(A);
        assertThat(Messages.readRegistered(s.payload())).isEqualTo(new Messages.Registered(77, 20, 60, ADDR_A));
        assertThat(svc.registrations()).isEqualTo(1);
        assertThat(svc.count(Counter.REGISTERED)).isEqualTo(1);
        assertThat(svc.nextDeadline()).isEqualTo(T0 + 60 * S);
    }

    @Test
    void aRelayedRegisterIsRefused() {
        RendezvousService svc = new RendezvousService(SERVER);
        Path relayed = Path.relayed(B, ADDR_B);
        register(svc, T0, A, relayed, List.of());
        assertThat(out.sent).isEmpty();
        assertThat(svc.registrations()).isZero();
        assertThat(svc.count(Counter.REGISTER_RELAYED)).isEqualTo(1);
    }

    @Test
    void lookupByKeyGivesReflexiveFirstThenUsableLocals() {
        RendezvousService svc = new RendezvousService(SERVER);
        List<InetSocketAddress> locals = List.of(
                v4("192.168.1.5", 40001), v4("0.0.0.0", 40001), v4("192.168.1.6", 0), v4("224.0.0.1", 5),
                v6("fd00::5", 40001), v4("192.168.1.5", 40001), ADDR_A);
        register(svc, T0, A, VIA_A, locals);
        out.sent.clear();
        assertThat(svc.onPayload(T0 + S, B, VIA_B, payload(b -> Messages.writeLookup(b, 9, A)), out)).isTrue();
        Sent s = out.only();
        assertThat(s.to()).isEqualTo(B);
        Messages.LookupResult r = Messages.readLookupResult(s.payload());
        assertThat(r.req()).isEqualTo(9);
        assertThat(r.status()).isEqualTo(Messages.FOUND);
        assertThat(r.key()).isEqualTo(A);
        assertThat(r.addresses()).containsExactly(ADDR_A, v4("192.168.1.5", 40001), v6("fd00::5", 40001));
        assertThat(svc.count(Counter.LOOKUP_FOUND)).isEqualTo(1);
    }

    @Test
    void lookupByHandleGivesTheKey() {
        RendezvousService svc = new RendezvousService(SERVER);
        register(svc, T0, A, VIA_A, List.of());
        out.sent.clear();
        // Through the wire encoding, as a client would send it.
        svc.onPayload(T0, B, VIA_B, payload(b -> Messages.writeLookup(b, 3, A.handle())), out);
        Messages.LookupResult r = Messages.readLookupResult(out.only().payload());
        assertThat(r.status()).isEqualTo(Messages.FOUND);
        assertThat(r.key()).isEqualTo(A);
        assertThat(r.addresses()).containsExactly(ADDR_A);
    }

    @Test
    void lookupOfAnUnknownOrExpiredKeyIsNotFound() {
        RendezvousService svc = new RendezvousService(SERVER);
        register(svc, T0, A, VIA_A, List.of());
        out.sent.clear();
        svc.onPayload(T0, A, VIA_A, payload(b -> Messages.writeLookup(b, 1, B)), out);
        assertThat(Messages.readLookupResult(out.only().payload()))
                .isEqualTo(new Messages.LookupResult(1, Messages.NOT_FOUND, null, List.of()));
        svc.onPayload(T0 + 60 * S, B, VIA_B, payload(b -> Messages.writeLookup(b, 2, A)), out);
        assertThat(Messages.readLookupResult(out.only().payload()).status()).isEqualTo(Messages.NOT_FOUND);
        svc.onPayload(T0 + 60 * S, B, VIA_B, payload(b -> Messages.writeLookup(b, 3, B.handle())), out);
        assertThat(Messages.readLookupResult(out.only().payload()).status()).isEqualTo(Messages.NOT_FOUND);
        assertThat(svc.count(Counter.LOOKUP_NOT_FOUND)).isEqualTo(3);
    }

    @Test
    void lookupsOverTheSourceBudgetAreAnsweredRateLimitedAndRecover() {
        RendezvousService svc = new RendezvousService(SERVER,
                RendezvousService.Config.DEFAULTS.withLookupLimit(1, 3));
        register(svc, T0, A, VIA_A, List.of());
        out.sent.clear();
        List<Integer> statuses = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            int req = i;
            svc.onPayload(T0, B, VIA_B, payload(b -> Messages.writeLookup(b, req, A)), out);
            statuses.add(Messages.readLookupResult(out.only().payload()).status());
        }
        assertThat(statuses).containsExactly(0, 0, 0, 2, 2);
        // Another source is not affected, even with the same key asking.
        Path elsewhere = Path.direct(v4("198.51.100.9", 1));
        svc.onPayload(T0, B, elsewhere, payload(b -> Messages.writeLookup(b, 9, A)), out);
        assertThat(Messages.readLookupResult(out.only().payload()).status()).isEqualTo(Messages.FOUND);
        svc.onPayload(T0 + S, B, VIA_B, payload(b -> Messages.writeLookup(b, 10, A)), out);
        Messages.LookupResult later = Messages.readLookupResult(out.only().payload());
        assertThat(later.status()).isEqualTo(Messages.FOUND);
        assertThat(later.req()).isEqualTo(10);
        assertThat(svc.count(Counter.LOOKUP_RATE_LIMITED)).isEqualTo(2);
    }

    @Test
    void relayToARegisteredNodeForwardsRelayedWithTheSourceKey() {
        RendezvousService svc = new RendezvousService(SERVER);
        register(svc, T0, B, VIA_B, List.of());
        out.sent.clear();
        ByteBuffer sealed = transport(100, 0x33);
        ByteBuffer p = payload(b -> Messages.writeRelay(b, Control.RELAY, B, sealed.duplicate()));
        assertThat(svc.onPayload(T0, A, VIA_A, p, out)).isTrue();
        Sent s = out.only();
        assertThat(s.to()).isEqualTo(B);
        assertThat(s.payload().get(0)).isEqualTo(Control.RELAYED);
        assertThat(s.payload().remaining()).isEqualTo(p.remaining());
        Messages.Relay r = Messages.readRelay(s.payload());
        assertThat(r.key()).isEqualTo(A);
        assertThat(r.datagram()).isEqualTo(sealed);
        assertThat(svc.count(Counter.RELAYED)).isEqualTo(1);
        assertThat(svc.count(Counter.RELAYED_BYTES)).isEqualTo(100);
    }

    @Test
    void relayOfHandshakeMessagesIsForwardedToo() {
        RendezvousService svc = new RendezvousService(SERVER);
        register(svc, T0, B, VIA_B, List.of());
        out.sent.clear();
        ByteBuffer init = ByteBuffer.allocate(Initiation.LENGTH);
        MessageType.write(init, MessageType.INITIATION);
        svc.onPayload(T0, A, VIA_A, payload(b -> Messages.writeRelay(b, Control.RELAY, B, init.duplicate())), out);
        assertThat(out.only().to()).isEqualTo(B);
    }

    @Test
    void relayToAnUnregisteredNodeIsAnsweredRelayFailed() {
        RendezvousService svc = new RendezvousService(SERVER);
        register(svc, T0, B, VIA_B, List.of());
        out.sent.clear();
        svc.onPayload(T0 + 60 * S, A, VIA_A,
                payload(b -> Messages.writeRelay(b, Control.RELAY, B, transport(40, 1))), out);
        Sent s = out.only();
        assertThat(s.to()).isEqualTo(A);
        assertThat(Messages.readRelayFailed(s.payload())).isEqualTo(new Messages.RelayFailed(B));
        assertThat(svc.count(Counter.RELAY_NOT_REGISTERED)).isEqualTo(1);
    }

    @Test
    void relayOfSomethingNoDeviceWouldAcceptIsMalformed() {
        RendezvousService svc = new RendezvousService(SERVER);
        register(svc, T0, B, VIA_B, List.of());
        out.sent.clear();
        List<ByteBuffer> junk = List.of(
                ByteBuffer.wrap(new byte[] {9, 9, 9}),                      // not a datagram
                transport(Transport.MIN_LENGTH - 1, 0),                     // short transport
                ByteBuffer.allocate(Initiation.LENGTH - 1).put(0, MessageType.INITIATION), // short initiation
                ByteBuffer.allocate(64).put(0, MessageType.KEY_REQUEST));   // cleartext, not relayable
        for (ByteBuffer d : junk) {
            svc.onPayload(T0, A, VIA_A, payload(b -> Messages.writeRelay(b, Control.RELAY, B, d.duplicate())), out);
        }
        assertThat(out.sent).isEmpty();
        assertThat(svc.count(Counter.MALFORMED)).isEqualTo(junk.size());
    }

    @Test
    void relayOverTheSourceByteBudgetIsDropped() {
        RendezvousService svc = new RendezvousService(SERVER,
                RendezvousService.Config.DEFAULTS.withRelayLimit(1000, 2000));
        register(svc, T0, B, VIA_B, List.of());
        out.sent.clear();
        int forwarded = 0;
        for (int i = 0; i < 10; i++) {
            svc.onPayload(T0, A, VIA_A, payload(b -> Messages.writeRelay(b, Control.RELAY, B, transport(500, 2))), out);
            forwarded += out.sent.size();
            out.sent.clear();
        }
        assertThat(forwarded).isEqualTo(4);
        assertThat(svc.count(Counter.RELAY_RATE_LIMITED)).isEqualTo(6);
        svc.onPayload(T0 + S, A, VIA_A, payload(b -> Messages.writeRelay(b, Control.RELAY, B, transport(500, 2))), out);
        assertThat(out.only().to()).isEqualTo(B);
    }

    @Test
    void manySourcesRelayingToOneDestinationShareItsByteBudget() {
        RendezvousService svc = new RendezvousService(SERVER,
                RendezvousService.Config.DEFAULTS.withRelayLimit(1000, 2000));
        register(svc, T0, B, VIA_B, List.of());
        out.sent.clear();
        int forwarded = 0;
        for (int i = 0; i < 10; i++) {
            // Ten different keys at ten different addresses: each has its own source budget.
            Path via = Path.direct(v4("198.51.100." + (10 + i), 5000));
            svc.onPayload(T0, key(200 + i), via, payload(b -> Messages.writeRelay(b, Control.RELAY, B, transport(500, 2))), out);
            forwarded += out.sent.size();
            out.sent.clear();
        }
        assertThat(forwarded).as("the destination's 2000-byte burst").isEqualTo(4);
        assertThat(svc.count(Counter.RELAY_TO_RATE_LIMITED)).isEqualTo(6);
    }

    @Test
    void relayedInitiationsAreLimitedPerSourceAndPerDestination() {
        RendezvousService svc = new RendezvousService(SERVER);
        register(svc, T0, B, VIA_B, List.of());
        out.sent.clear();
        ByteBuffer init = ByteBuffer.allocate(Initiation.LENGTH);
        MessageType.write(init, MessageType.INITIATION);
        int burst = (int) RendezvousService.Config.DEFAULTS.initiationBurst();
        int forwarded = 0;
        for (int i = 0; i < 2 * burst; i++) {
            svc.onPayload(T0, key(300 + i), VIA_A, payload(b -> Messages.writeRelay(b, Control.RELAY, B, init.duplicate())), out);
            forwarded += out.sent.size();
            out.sent.clear();
        }
        assertThat(forwarded).as("one source: its initiation burst").isEqualTo(burst);
        assertThat(svc.count(Counter.INITIATION_RATE_LIMITED)).isEqualTo(burst);
        for (int i = 0; i < 2 * burst; i++) {
            Path via = Path.direct(v4("198.51.100." + (i % 200 + 1), 6000 + i));
            svc.onPayload(T0, key(400 + i), via, payload(b -> Messages.writeRelay(b, Control.RELAY, B, init.duplicate())), out);
            forwarded += out.sent.size();
            out.sent.clear();
        }
        assertThat(forwarded).as("many sources: the destination's initiation burst, already spent").isEqualTo(burst);
        assertThat(svc.count(Counter.RELAY_TO_RATE_LIMITED)).isEqualTo(2 * burst);
    }

    @Test
    void aZeroRelayRateMeansNoRelayLimit() {
        RendezvousService svc = new RendezvousService(SERVER,
                RendezvousService.Config.DEFAULTS.withRelayLimit(0, 1));
        register(svc, T0, B, VIA_B, List.of());
        out.sent.clear();
        for (int i = 0; i < 1000; i++) {
            svc.onPayload(T0, A, VIA_A, payload(b -> Messages.writeRelay(b, Control.RELAY, B, transport(1400, 2))), out);
        }
        assertThat(out.sent).hasSize(1000);
    }

    @Test
    void payloadsForOtherLayersAreLeftAlone() {
        RendezvousService svc = new RendezvousService(SERVER);
        List<ByteBuffer> others = new ArrayList<>();
        others.add(ByteBuffer.allocate(0));
        ByteBuffer ping = ByteBuffer.allocate(Control.PING_LENGTH);
        Control.writePing(ping, Control.PING, 1, 2);
        others.add(ping.flip());
        others.add(ByteBuffer.wrap(new byte[] {0x10, 1, 2, 3})); // stream layer
        others.add(payload(b -> Messages.writeCandidates(b, List.of(ADDR_A))));
        others.add(payload(b -> Messages.writeRegistered(b, 1, 20, 60, ADDR_A)));
        others.add(payload(b -> Messages.writeLookupResult(b, 1, Messages.NOT_FOUND, null, List.of())));
        others.add(payload(b -> Messages.writeRelay(b, Control.RELAYED, B, transport(40, 0))));
        others.add(payload(b -> Messages.writeRelayFailed(b, B)));
        for (ByteBuffer p : others) {
            assertThat(svc.onPayload(T0, A, VIA_A, p, out)).isFalse();
        }
        assertThat(out.sent).isEmpty();
        assertThat(svc.totalDrops()).isZero();
    }

    @Test
    void malformedServerPayloadsAreConsumedCountedAndUnanswered() {
        RendezvousService svc = new RendezvousService(SERVER);
        byte[][] bad = {
            {Control.REGISTER}, {Control.REGISTER, 0, 0, 0, 1, 17},
            {Control.LOOKUP, 0, 0, 0, 1, 0}, {Control.LOOKUP, 0, 0, 0, 1, 2},
            {Control.RELAY, 1, 2, 3},
        };
        for (byte[] b : bad) {
            assertThat(svc.onPayload(T0, A, VIA_A, ByteBuffer.wrap(b), out)).isTrue();
        }
        assertThat(out.sent).isEmpty();
        assertThat(svc.count(Counter.MALFORMED)).isEqualTo(bad.length);
        assertThat(svc.totalDrops()).isEqualTo(bad.length);
    }

    @Test
    void registrationsExpireOnTheTimer() {
        RendezvousService svc = new RendezvousService(SERVER);
        register(svc, T0, A, VIA_A, List.of());
        register(svc, T0 + 10 * S, B, VIA_B, List.of());
        svc.onTimer(T0 + 59 * S);
        assertThat(svc.registrations()).isEqualTo(2);
        svc.onTimer(svc.nextDeadline());
        assertThat(svc.registrations()).isEqualTo(1);
        assertThat(svc.nextDeadline()).isEqualTo(T0 + 70 * S);
        svc.onTimer(T0 + 70 * S);
        assertThat(svc.registrations()).isZero();
        assertThat(svc.nextDeadline()).isEqualTo(Long.MAX_VALUE);
        assertThat(svc.count(Counter.EXPIRED)).isEqualTo(2);
    }

    @Test
    void refreshesAreNeverRateLimitedOnlyNewKeysAre() {
        RendezvousService svc = new RendezvousService(SERVER,
                RendezvousService.Config.DEFAULTS.withRegisterLimit(0.1, 2));
        register(svc, T0, A, VIA_A, List.of());
        register(svc, T0, B, VIA_A, List.of());
        register(svc, T0, key(7), VIA_A, List.of());
        assertThat(svc.registrations()).isEqualTo(2);
        assertThat(svc.count(Counter.REGISTER_RATE_LIMITED)).isEqualTo(1);
        for (int i = 0; i < 100; i++) {
            register(svc, T0 + i * S / 10, A, VIA_A, List.of());
        }
        assertThat(svc.count(Counter.REGISTER_RATE_LIMITED)).isEqualTo(1);
        assertThat(svc.count(Counter.REGISTERED)).isEqualTo(102);
    }

    @Test
    void aFloodOfRegistrationsFromManyKeysAndSourcesStaysBounded() throws UnknownHostException {
        RendezvousService svc = new RendezvousService(SERVER,
                RendezvousService.Config.DEFAULTS.withMaxEntries(500));
        Random random = new Random(3);
        ByteBuffer p = payload(b -> Messages.writeRegister(b, 1, MessagesTest.many(16)));
        int answered = 0;
        for (int i = 0; i < 100_000; i++) {
            byte[] k = new byte[32];
            random.nextBytes(k);
            InetAddress ip = InetAddress.getByAddress(new byte[] {100, (byte) (i >> 16), (byte) (i >> 8), (byte) i});
            svc.onPayload(T0 + i * 100_000L, NodeId.of(k), Path.direct(new InetSocketAddress(ip, 9)), p.duplicate(), out);
            answered += out.sent.size();
            out.sent.clear();
        }
        assertThat(svc.registrations()).isEqualTo(500);
        assertThat(svc.registry().handleCount()).isEqualTo(500);
        assertThat(answered).isEqualTo(500);
        assertThat(svc.count(Counter.REGISTRY_FULL)).isEqualTo(100_000 - 500);
        // Time moves on: the flood expires and a real node gets in.
        long later = T0 + 100_000 * 100_000L + 61 * S;
        svc.onTimer(later);
        register(svc, later, A, VIA_A, List.of());
        assertThat(svc.registry().lookup(later, A)).isNotNull();
    }

    @Test
    void aFloodOfNewKeysFromOneSourceIsRateLimited() {
        RendezvousService svc = new RendezvousService(SERVER);
        Random random = new Random(4);
        for (int i = 0; i < 100_000; i++) {
            byte[] k = new byte[32];
            random.nextBytes(k);
            svc.onPayload(T0 + i * 1_000_000L, NodeId.of(k), VIA_A, payload(b -> Messages.writeRegister(b, 1, List.of())), out);
        }
        // 100 s of flood at 5 new keys/s plus a burst of 100; the rest are refused.
        assertThat(svc.registrations()).isBetween(590, 610);
        assertThat(svc.count(Counter.REGISTER_RATE_LIMITED)).isEqualTo(100_000 - svc.count(Counter.REGISTERED));
    }

    @Test
    void keyRequestsAreAnsweredWithTheServerKeyWithinTheirBudget() {
        RendezvousService svc = new RendezvousService(SERVER);
        ByteBuffer req = ByteBuffer.allocate(KeyExchange.REQUEST_LENGTH);
        KeyExchange.writeRequest(req);
        List<ByteBuffer> answers = new ArrayList<>();
        List<InetSocketAddress> to = new ArrayList<>();
        RendezvousService.KeySender keys = (addr, d) -> {
            to.add(addr);
            answers.add(ByteBuffer.allocate(d.remaining()).put(d.duplicate()).flip());
        };
        InetSocketAddress asker = v4("198.51.100.50", 5555);
        int ok = 0;
        for (int i = 0; i < 20; i++) {
            if (svc.onKeyRequest(T0, asker, req, KeyExchange.REQUEST_LENGTH, keys)) {
                ok++;
            }
        }
        assertThat(ok).isEqualTo(10);
        assertThat(answers).hasSize(10);
        assertThat(to).containsOnly(asker);
        assertThat(answers.get(0).remaining()).isEqualTo(KeyExchange.RESPONSE_LENGTH);
        assertThat(KeyExchange.readResponse(answers.get(0), answers.get(0).remaining())).isEqualTo(SERVER);
        assertThat(svc.count(Counter.KEY_REQUEST_RATE_LIMITED)).isEqualTo(10);
        assertThat(svc.onKeyRequest(T0 + S, asker, req, KeyExchange.REQUEST_LENGTH, keys)).isTrue();
        assertThat(svc.onKeyRequest(T0 + S, asker, req, 63, keys)).isFalse();
        assertThat(svc.count(Counter.KEY_REQUEST_MALFORMED)).isEqualTo(1);
    }

    @Test
    void initiationsArePacedPerSource() {
        RendezvousService svc = new RendezvousService(SERVER);
        InetAddress ip = MessagesTest.ip("198.51.100.60");
        int ok = 0;
        for (int i = 0; i < 100; i++) {
            if (svc.allowInitiation(T0, ip)) {
                ok++;
            }
        }
        assertThat(ok).isEqualTo(50);
        assertThat(svc.count(Counter.INITIATION_RATE_LIMITED)).isEqualTo(50);
        assertThat(svc.allowInitiation(T0 + S / 20, ip)).isTrue();
    }

    @Test
    void theSnapshotHasEveryCounter() {
        RendezvousService svc = new RendezvousService(SERVER);
        register(svc, T0, A, VIA_A, List.of());
        Map<Counter, Long> snap = svc.snapshot();
        assertThat(snap).hasSize(Counter.values().length);
        assertThat(snap.get(Counter.REGISTERED)).isEqualTo(1);
        register(svc, T0, A, VIA_A, List.of());
        assertThat(snap.get(Counter.REGISTERED)).isEqualTo(1); // a copy
        for (Counter c : Counter.values()) {
            assertThat(c.meaning()).isNotBlank();
        }
    }

    @Test
    void randomPayloadsNeverThrow() {
        RendezvousService svc = new RendezvousService(SERVER, RendezvousService.Config.DEFAULTS.withMaxEntries(50));
        Random random = new Random(9);
        byte[] kinds = {Control.REGISTER, Control.LOOKUP, Control.RELAY};
        for (int i = 0; i < 50_000; i++) {
            byte[] bytes = new byte[random.nextInt(200)];
            random.nextBytes(bytes);
            if (bytes.length > 0) {
                bytes[0] = kinds[random.nextInt(kinds.length)];
            }
            NodeId from = random.nextBoolean() ? A : key(random.nextInt(100));
            svc.onPayload(T0 + i, from, random.nextBoolean() ? VIA_A : VIA_B, ByteBuffer.wrap(bytes), out);
            out.sent.clear();
        }
        assertThat(svc.registrations()).isLessThanOrEqualTo(50);
    }
}
