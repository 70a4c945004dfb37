package dev.overlay.rendezvous;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.overlay.identity.NodeId;
import dev.overlay.wire.Control;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** Round trips, truncations, malformed fields and random bytes for every rendezvous payload. */
class MessagesTest {
    private static final NodeId ALICE = key(1);
    private static final NodeId BOB = key(2);

    static NodeId key(int seed) {
        byte[] k = new byte[NodeId.KEY_LENGTH];
        new Random(seed).nextBytes(k);
        return NodeId.of(k);
    }

    static InetSocketAddress v4(String ip, int port) {
        return new InetSocketAddress(ip(ip), port);
    }

    static InetSocketAddress v6(String ip, int port) {
        return new InetSocketAddress(ip(ip), port);
    }

    static InetAddress ip(String literal) {
        try {
            return InetAddress.getByName(literal);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    static List<InetSocketAddress> many(int n) {
        List<InetSocketAddress> list = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            list.add(i % 2 == 0 ? v4("10.0.0." + i, 1000 + i) : v6("2001:db8::" + Integer.toHexString(i), 65535 - i));
        }
        return list;
    }

    private static final List<InetSocketAddress> MIXED = List.of(
            v4("192.0.2.1", 7000), v6("2001:db8::1", 7001), v4("0.0.0.0", 0), v6("::", 65535));

    /** Encodes with {@code writer} into a buffer, returns the payload (position 0, limit = length). */
    static ByteBuffer encode(java.util.function.Consumer<ByteBuffer> writer) {
        ByteBuffer b = ByteBuffer.allocate(2048);
        writer.accept(b);
        b.flip();
        return b;
    }

    /** The same bytes at a non-zero position inside a larger buffer, with junk around them. */
    static ByteBuffer shifted(ByteBuffer p) {
        ByteBuffer big = ByteBuffer.allocate(p.remaining() + 20);
        Arrays.fill(big.array(), (byte) 0x5a);
        big.position(7);
        big.put(p.duplicate());
        big.limit(big.position()).position(7);
        return big;
    }

    static <T> T read(Function<ByteBuffer, T> reader, ByteBuffer p) {
        ByteBuffer s = shifted(p);
        int pos = s.position();
        int lim = s.limit();
        T t = reader.apply(s);
        assertThat(s.position()).isEqualTo(pos);
        assertThat(s.limit()).isEqualTo(lim);
        return t;
    }

    @Test
    void constantsMatchTheDesign() {
        assertThat(Messages.MAX_ADDRESSES).isEqualTo(16);
        assertThat(Messages.RELAY_OVERHEAD).isEqualTo(33);
        assertThat(Messages.FOUND).isZero();
        assertThat(Messages.NOT_FOUND).isEqualTo(1);
        assertThat(Messages.RATE_LIMITED).isEqualTo(2);
    }

    @Test
    void candidatesRoundTripWithZeroMixedAndSixteenAddresses() {
        for (List<InetSocketAddress> list : List.of(List.<InetSocketAddress>of(), MIXED, many(16))) {
            ByteBuffer p = encode(b -> Messages.writeCandidates(b, list));
            assertThat(p.get(0)).isEqualTo(Control.CANDIDATES);
            assertThat(read(Messages::readCandidates, p)).isEqualTo(new Messages.Candidates(list));
        }
    }

    @Test
    void candidatesLayoutIsByteExact() {
        ByteBuffer p = encode(b -> Messages.writeCandidates(b, List.of(v4("192.0.2.1", 0x1b58))));
        assertThat(Arrays.copyOf(p.array(), p.limit()))
                .containsExactly(0x05, 1, 4, 192 - 256, 0, 2, 1, 0x1b, 0x58);
        ByteBuffer q = encode(b -> Messages.writeCandidates(b, List.of(v6("2001:db8::1", 1))));
        assertThat(q.limit()).isEqualTo(1 + 1 + 19);
        assertThat(q.get(2)).isEqualTo((byte) 6);
    }

    @Test
    void registerRoundTrips() {
        for (List<InetSocketAddress> list : List.of(List.<InetSocketAddress>of(), MIXED, many(16))) {
            ByteBuffer p = encode(b -> Messages.writeRegister(b, 0xfedcba98, list));
            assertThat(read(Messages::readRegister, p)).isEqualTo(new Messages.Register(0xfedcba98, list));
        }
    }

    @Test
    void registeredRoundTripsWithIpv4AndIpv6() {
        for (InetSocketAddress a : List.of(v4("198.51.100.7", 40000), v6("2001:db8::7", 40001))) {
            ByteBuffer p = encode(b -> Messages.writeRegistered(b, -1, 20, 65535, a));
            assertThat(read(Messages::readRegistered, p)).isEqualTo(new Messages.Registered(-1, 20, 65535, a));
        }
    }

    @Test
    void lookupRoundTripsByKeyAndByHandle() {
        ByteBuffer byKey = encode(b -> Messages.writeLookup(b, 42, ALICE));
        assertThat(byKey.limit()).isEqualTo(1 + 4 + 1 + 32);
        assertThat(read(Messages::readLookup, byKey)).isEqualTo(new Messages.Lookup(42, ALICE, null));

        ByteBuffer byHandle = encode(b -> Messages.writeLookup(b, 43, ALICE.handle()));
        assertThat(byHandle.limit()).isEqualTo(1 + 4 + 1 + 16);
        Messages.Lookup l = read(Messages::readLookup, byHandle);
        assertThat(l.req()).isEqualTo(43);
        assertThat(l.key()).isNull();
        assertThat(l.handle()).isEqualTo(ALICE.handle());
    }

    @Test
    void lookupResultRoundTripsForEveryStatus() {
        for (List<InetSocketAddress> list : List.of(List.<InetSocketAddress>of(), MIXED, many(16))) {
            ByteBuffer p = encode(b -> Messages.writeLookupResult(b, 9, Messages.FOUND, BOB, list));
            assertThat(read(Messages::readLookupResult, p))
                    .isEqualTo(new Messages.LookupResult(9, Messages.FOUND, BOB, list));
        }
        for (int status : new int[] {Messages.NOT_FOUND, Messages.RATE_LIMITED}) {
            ByteBuffer p = encode(b -> Messages.writeLookupResult(b, 10, status, null, List.of()));
            assertThat(p.limit()).isEqualTo(1 + 4 + 1 + 32 + 1);
            assertThat(read(Messages::readLookupResult, p))
                    .isEqualTo(new Messages.LookupResult(10, status, null, List.of()));
            // A key given with a non-FOUND status is not sent: the key field is zeros.
            ByteBuffer q = encode(b -> Messages.writeLookupResult(b, 10, status, BOB, null));
            assertThat(q).isEqualTo(p);
        }
    }

    @Test
    void relayAndRelayedRoundTripAndConsumeTheDatagram() {
        for (byte kind : new byte[] {Control.RELAY, Control.RELAYED}) {
            byte[] sealed = new byte[200];
            new Random(kind).nextBytes(sealed);
            ByteBuffer datagram = ByteBuffer.wrap(sealed);
            ByteBuffer p = encode(b -> Messages.writeRelay(b, kind, ALICE, datagram));
            assertThat(datagram.hasRemaining()).isFalse();
            assertThat(p.limit()).isEqualTo(Messages.RELAY_OVERHEAD + sealed.length);
            assertThat(p.get(0)).isEqualTo(kind);
            Messages.Relay r = read(Messages::readRelay, p);
            assertThat(r.key()).isEqualTo(ALICE);
            byte[] out = new byte[r.datagram().remaining()];
            r.datagram().duplicate().get(out);
            assertThat(out).isEqualTo(sealed);
        }
    }

    @Test
    void relayOfAOneByteDatagramRoundTripsAndAnEmptyOneIsMalformed() {
        ByteBuffer p = encode(b -> Messages.writeRelay(b, Control.RELAY, BOB, ByteBuffer.wrap(new byte[] {4})));
        assertThat(read(Messages::readRelay, p).datagram().remaining()).isEqualTo(1);
        ByteBuffer empty = ByteBuffer.allocate(Messages.RELAY_OVERHEAD).put(0, Control.RELAY);
        assertThat(Messages.readRelay(empty)).isNull();
        assertThatThrownBy(() -> Messages.writeRelay(ByteBuffer.allocate(64), Control.RELAY, BOB, ByteBuffer.allocate(0)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Messages.writeRelay(ByteBuffer.allocate(64), Control.LOOKUP, BOB, ByteBuffer.allocate(1)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void relayFailedRoundTrips() {
        ByteBuffer p = encode(b -> Messages.writeRelayFailed(b, BOB));
        assertThat(p.limit()).isEqualTo(33);
        assertThat(read(Messages::readRelayFailed, p)).isEqualTo(new Messages.RelayFailed(BOB));
    }

    /** One encoded sample of every message, with the reader that should accept it. */
    record Sample(String name, ByteBuffer payload, int readerIndex) {
        Function<ByteBuffer, Object> reader() {
            return READERS.get(readerIndex);
        }

        /** RELAY and RELAYED: the sealed datagram runs to the end of the payload. */
        boolean openEnded() {
            return readerIndex == RELAY;
        }
    }

    static final int CANDIDATES = 0;
    static final int REGISTER = 1;
    static final int REGISTERED = 2;
    static final int LOOKUP = 3;
    static final int LOOKUP_RESULT = 4;
    static final int RELAY = 5;
    static final int RELAY_FAILED = 6;

    static List<Sample> samples() {
        List<Sample> s = new ArrayList<>();
        s.add(new Sample("candidates", encode(b -> Messages.writeCandidates(b, MIXED)), CANDIDATES));
        s.add(new Sample("candidates0", encode(b -> Messages.writeCandidates(b, List.of())), CANDIDATES));
        s.add(new Sample("register", encode(b -> Messages.writeRegister(b, 5, MIXED)), REGISTER));
        s.add(new Sample("register0", encode(b -> Messages.writeRegister(b, 5, List.of())), REGISTER));
        s.add(new Sample("registered", encode(b -> Messages.writeRegistered(b, 5, 20, 60, v6("2001:db8::9", 9))),
                REGISTERED));
        s.add(new Sample("lookupKey", encode(b -> Messages.writeLookup(b, 1, ALICE)), LOOKUP));
        s.add(new Sample("lookupHandle", encode(b -> Messages.writeLookup(b, 1, ALICE.handle())), LOOKUP));
        s.add(new Sample("found", encode(b -> Messages.writeLookupResult(b, 1, Messages.FOUND, BOB, MIXED)),
                LOOKUP_RESULT));
        s.add(new Sample("notFound", encode(b -> Messages.writeLookupResult(b, 1, Messages.NOT_FOUND, null, List.of())),
                LOOKUP_RESULT));
        s.add(new Sample("relay", encode(b -> Messages.writeRelay(b, Control.RELAY, BOB, ByteBuffer.wrap(new byte[40]))),
                RELAY));
        s.add(new Sample("relayed", encode(b -> Messages.writeRelay(b, Control.RELAYED, BOB, ByteBuffer.wrap(new byte[3]))),
                RELAY));
        s.add(new Sample("relayFailed", encode(b -> Messages.writeRelayFailed(b, BOB)), RELAY_FAILED));
        return s;
    }

    static final List<Function<ByteBuffer, Object>> READERS = List.of(
            Messages::readCandidates, Messages::readRegister, Messages::readRegistered, Messages::readLookup,
            Messages::readLookupResult, Messages::readRelay, Messages::readRelayFailed);

    @Test
    void everyTruncationOfEveryMessageIsMalformed() {
        for (Sample s : samples()) {
            assertThat(read(s.reader(), s.payload())).as(s.name()).isNotNull();
            int full = s.payload().limit();
            // RELAY's datagram has no length: cutting into it leaves a shorter, still well-formed
            // relay, so its truncations are only malformed up to the first datagram byte.
            int upTo = s.openEnded() ? Messages.RELAY_OVERHEAD + 1 : full;
            for (int len = 0; len < upTo; len++) {
                ByteBuffer cut = s.payload().duplicate().limit(len);
                assertThat(read(s.reader(), cut)).as(s.name() + " cut to " + len).isNull();
            }
        }
    }

    @Test
    void aTrailingByteMakesEveryFixedLengthMessageMalformed() {
        for (Sample s : samples()) {
            if (s.openEnded()) {
                continue;
            }
            ByteBuffer longer = ByteBuffer.allocate(s.payload().limit() + 1);
            longer.put(s.payload().duplicate()).put((byte) 0).flip();
            assertThat(read(s.reader(), longer)).as(s.name()).isNull();
        }
    }

    @Test
    void everyReaderRejectsEveryOtherKind() {
        for (Sample s : samples()) {
            for (int r = 0; r < READERS.size(); r++) {
                if (r != s.readerIndex()) {
                    assertThat(READERS.get(r).apply(s.payload().duplicate())).as(s.name() + " reader " + r).isNull();
                }
            }
        }
    }

    @Test
    void aCountOverSixteenIsMalformedEvenWhenTheAddressesAreThere() {
        ByteBuffer b = ByteBuffer.allocate(1 + 1 + 17 * 7);
        b.put(Control.CANDIDATES).put((byte) 17);
        for (int i = 0; i < 17; i++) {
            b.put((byte) 4).putInt(0x0a000001 + i).putShort((short) 1);
        }
        b.flip();
        assertThat(Messages.readCandidates(b)).isNull();
        b.put(1, (byte) 16);
        assertThat(Messages.readCandidates(b)).isNull(); // now trailing bytes
        b.limit(b.limit() - 7);
        assertThat(Messages.readCandidates(b).addresses()).hasSize(16);
        assertThat(Messages.readCandidates(b.duplicate().put(1, (byte) 255))).isNull();
    }

    @Test
    void aFamilyOtherThanFourOrSixIsMalformed() {
        ByteBuffer p = encode(b -> Messages.writeCandidates(b, List.of(v4("192.0.2.1", 1))));
        for (int family : new int[] {0, 1, 5, 10, 41, 255}) {
            ByteBuffer q = ByteBuffer.allocate(p.limit()).put(p.duplicate()).flip();
            q.put(2, (byte) family);
            assertThat(Messages.readCandidates(q)).as("family " + family).isNull();
        }
        // A family 6 tag on 4 address bytes is short.
        ByteBuffer q = ByteBuffer.allocate(p.limit()).put(p.duplicate()).flip();
        q.put(2, (byte) 6);
        assertThat(Messages.readCandidates(q)).isNull();
    }

    @Test
    void anUnknownLookupKindOrAHandleOutsideTheRangeIsMalformed() {
        ByteBuffer p = encode(b -> Messages.writeLookup(b, 1, ALICE));
        for (int kind : new int[] {2, 3, 255}) {
            ByteBuffer q = ByteBuffer.allocate(p.limit()).put(p.duplicate()).flip();
            q.put(5, (byte) kind);
            assertThat(Messages.readLookup(q)).isNull();
        }
        ByteBuffer h = encode(b -> Messages.writeLookup(b, 1, ALICE.handle()));
        h.put(6, (byte) 0xfe);
        assertThat(Messages.readLookup(h)).isNull();
        // a key-sized body under the handle kind is trailing bytes, and vice versa short
        ByteBuffer k = ByteBuffer.allocate(p.limit()).put(p.duplicate()).flip();
        k.put(5, (byte) 1);
        assertThat(Messages.readLookup(k)).isNull();
        ByteBuffer hk = encode(b -> Messages.writeLookup(b, 1, ALICE.handle()));
        hk.put(5, (byte) 0);
        assertThat(Messages.readLookup(hk)).isNull();
    }

    @Test
    void aLookupResultWithAnUnknownStatusOrANonEmptyNegativeAnswerIsMalformed() {
        ByteBuffer p = encode(b -> Messages.writeLookupResult(b, 1, Messages.NOT_FOUND, null, List.of()));
        ByteBuffer unknown = ByteBuffer.allocate(p.limit()).put(p.duplicate()).flip();
        unknown.put(5, (byte) 3);
        assertThat(Messages.readLookupResult(unknown)).isNull();
        ByteBuffer keyed = ByteBuffer.allocate(p.limit()).put(p.duplicate()).flip();
        keyed.put(10, (byte) 1);
        assertThat(Messages.readLookupResult(keyed)).isNull();
        ByteBuffer counted = ByteBuffer.allocate(p.limit() + 7).put(p.duplicate());
        counted.put(p.limit() - 1, (byte) 1).put((byte) 4).putInt(1).putShort((short) 1).flip();
        assertThat(Messages.readLookupResult(counted)).isNull();
    }

    @Test
    void writersRefuseWhatCannotBeEncoded() {
        ByteBuffer b = ByteBuffer.allocate(4096);
        assertThatThrownBy(() -> Messages.writeCandidates(b, many(17))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Messages.writeRegister(b, 1, many(17))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Messages.writeCandidates(b, List.of(InetSocketAddress.createUnresolved("example.org", 1))))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Messages.writeRegistered(b, 1, 65536, 60, v4("192.0.2.1", 1)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Messages.writeRegistered(b, 1, 20, -1, v4("192.0.2.1", 1)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Messages.writeLookupResult(b, 1, 7, BOB, List.of()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Messages.writeLookupResult(b, 1, Messages.NOT_FOUND, null, MIXED))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Messages.writeLookupResult(b, 1, Messages.FOUND, null, MIXED))
                .isInstanceOf(NullPointerException.class);
        Inet6Address notAHandle = (Inet6Address) ip("2001:db8::1");
        assertThatThrownBy(() -> Messages.writeLookup(b, 1, notAHandle)).isInstanceOf(IllegalArgumentException.class);
        assertThat(b.position()).isZero();
    }

    @Test
    void theLargestMessageFitsMaxLength() {
        List<InetSocketAddress> allV6 = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            allV6.add(v6("2001:db8::" + (i + 1), i));
        }
        ByteBuffer p = encode(b -> Messages.writeLookupResult(b, 1, Messages.FOUND, BOB, allV6));
        assertThat(p.limit()).isEqualTo(Messages.MAX_LENGTH);
    }

    @Test
    void randomBytesNeverThrow() {
        Random random = new Random(7);
        byte[] kinds = {Control.CANDIDATES, Control.REGISTER, Control.REGISTERED, Control.LOOKUP,
            Control.LOOKUP_RESULT, Control.RELAY, Control.RELAYED, Control.RELAY_FAILED};
        for (int i = 0; i < 50_000; i++) {
            byte[] bytes = new byte[random.nextInt(160)];
            random.nextBytes(bytes);
            if (bytes.length > 0 && random.nextBoolean()) {
                bytes[0] = kinds[random.nextInt(kinds.length)];
            }
            if (bytes.length > 6 && random.nextBoolean()) {
                bytes[random.nextInt(bytes.length)] = (byte) random.nextInt(18); // plausible counts
            }
            ByteBuffer p = ByteBuffer.wrap(bytes);
            for (Function<ByteBuffer, Object> reader : READERS) {
                reader.apply(p);
                assertThat(p.position()).isZero();
            }
        }
    }

    @Test
    void mutatedValidMessagesNeverThrow() {
        Random random = new Random(11);
        List<Sample> samples = samples();
        for (int i = 0; i < 20_000; i++) {
            Sample s = samples.get(random.nextInt(samples.size()));
            byte[] bytes = Arrays.copyOf(s.payload().array(), s.payload().limit());
            int flips = 1 + random.nextInt(3);
            for (int f = 0; f < flips; f++) {
                bytes[random.nextInt(bytes.length)] = (byte) random.nextInt(256);
            }
            int len = random.nextInt(4) == 0 ? random.nextInt(bytes.length + 1) : bytes.length;
            ByteBuffer p = ByteBuffer.wrap(bytes, 0, len).slice();
            for (Function<ByteBuffer, Object> reader : READERS) {
                reader.apply(p);
            }
        }
    }
}
