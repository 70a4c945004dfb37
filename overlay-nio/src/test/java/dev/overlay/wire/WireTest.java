package dev.overlay.wire;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/** Byte layouts: header round trips, fixed lengths, and rejection of malformed headers. */
class WireTest {
    @Test
    void messageLengthsAreThoseInTheProtocolDocument() {
        assertThat(Initiation.LENGTH).isEqualTo(148);
        assertThat(Initiation.NOISE_LENGTH).isEqualTo(108);
        assertThat(Response.LENGTH).isEqualTo(92);
        assertThat(Transport.MIN_LENGTH).isEqualTo(32);
    }

    @Test
    void initiationHeaderRoundTrips() {
        ByteBuffer b = ByteBuffer.allocate(Initiation.LENGTH);
        Initiation.writeHeader(b, 0xdeadbeef);
        assertThat(MessageType.of(b, Initiation.LENGTH)).isEqualTo(MessageType.INITIATION);
        assertThat(Initiation.senderIndex(b)).isEqualTo(0xdeadbeef);
        assertThat(b.array()).startsWith(1, 0, 0, 0, 0xde - 256, 0xad - 256, 0xbe - 256, 0xef - 256);
    }

    @Test
    void responseHeaderRoundTrips() {
        ByteBuffer b = ByteBuffer.allocate(Response.LENGTH);
        Response.writeHeader(b, 7, -2);
        assertThat(MessageType.of(b, Response.LENGTH)).isEqualTo(MessageType.RESPONSE);
        assertThat(Response.senderIndex(b)).isEqualTo(7);
        assertThat(Response.receiverIndex(b)).isEqualTo(-2);
    }

    @Test
    void transportHeaderRoundTripsWithA64BitCounter() {
        ByteBuffer b = ByteBuffer.allocate(Transport.MIN_LENGTH);
        Transport.writeHeader(b, 42, 0x0102030405060708L);
        assertThat(MessageType.of(b, b.limit())).isEqualTo(MessageType.TRANSPORT);
        assertThat(Transport.receiverIndex(b)).isEqualTo(42);
        assertThat(Transport.counter(b)).isEqualTo(0x0102030405060708L);
        assertThat(b.array()).startsWith(4, 0, 0, 0, 0, 0, 0, 42, 1, 2, 3, 4, 5, 6, 7, 8);
    }

    @Test
    void aHeaderWithReservedBitsSetOrShorterThanFourBytesIsMalformed() {
        ByteBuffer b = ByteBuffer.wrap(new byte[] {4, 0, 1, 0});
        assertThat(MessageType.of(b, 4)).isEqualTo(-1);
        assertThat(MessageType.of(ByteBuffer.wrap(new byte[] {4, 0, 0}), 3)).isEqualTo(-1);
        assertThat(MessageType.of(ByteBuffer.allocate(0), 0)).isEqualTo(-1);
    }

    @Test
    void lengthChecksAcceptOnlyTheExactOrMinimumLength() {
        assertThat(Initiation.check(148)).isTrue();
        assertThat(Initiation.check(147)).isFalse();
        assertThat(Initiation.check(149)).isFalse();
        assertThat(Response.check(92)).isTrue();
        assertThat(Response.check(91)).isFalse();
        assertThat(Transport.check(31)).isFalse();
        assertThat(Transport.check(32)).isTrue();
        assertThat(Transport.check(65507)).isTrue();
    }

    @Test
    void tai64nOrdersLikeTheTimesItEncodes() {
        byte[] a = new byte[12];
        byte[] b = new byte[12];
        Tai64n.write(1_700_000_000_000_000_000L, a, 0);
        Tai64n.write(1_700_000_000_000_000_001L, b, 0);
        assertThat(Tai64n.compare(a, 0, b, 0)).isNegative();
        assertThat(Tai64n.compare(b, 0, a, 0)).isPositive();
        assertThat(Tai64n.compare(a, 0, a.clone(), 0)).isZero();
        // 2^62 + seconds, then nanoseconds, big-endian
        assertThat(a[0]).isEqualTo((byte) 0x40);
        Tai64n.write(999_999_999L, b, 0);
        assertThat(b).endsWith(0x3b, 0x9a, 0xc9 - 256, 0xff - 256);
    }

    @Test
    void mac1VerifiesOnlyForItsReceiverAndUntamperedBytes() {
        byte[] keyB = new byte[32];
        keyB[0] = 1;
        byte[] keyC = new byte[32];
        keyC[0] = 2;
        ByteBuffer msg = ByteBuffer.allocate(Initiation.LENGTH);
        Initiation.writeHeader(msg, 99);
        new Mac1(keyB).write(msg, Initiation.MAC1);

        assertThat(new Mac1(keyB).verify(msg, Initiation.MAC1)).isTrue();
        assertThat(new Mac1(keyC).verify(msg, Initiation.MAC1)).isFalse();
        msg.put(50, (byte) 1);
        assertThat(new Mac1(keyB).verify(msg, Initiation.MAC1)).isFalse();
    }

    @Test
    void pingFramesAreRecognisedOnlyAtTheirExactLengthAndKinds() {
        ByteBuffer b = ByteBuffer.allocate(Control.PING_LENGTH);
        Control.writePing(b, Control.PING, 3, 123L);
        b.flip();
        assertThat(Control.isPingOrPong(b)).isTrue();
        assertThat(b.position()).isZero();
        b.put(0, (byte) 0x10);
        assertThat(Control.isPingOrPong(b)).isFalse();
        assertThat(Control.isPingOrPong(ByteBuffer.allocate(12))).isFalse();
    }
}
