package dev.overlay.rendezvous;

import static org.assertj.core.api.Assertions.assertThat;

import dev.overlay.crypto.X25519;
import dev.overlay.identity.NodeId;
import dev.overlay.testing.DeterministicRandom;
import dev.overlay.wire.MessageType;
import java.nio.ByteBuffer;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The cleartext KEY_REQUEST / KEY_RESPONSE pair. */
class KeyExchangeTest {
    private static final NodeId SERVER =
            NodeId.of(X25519.publicKey(X25519.generatePrivateKey(new DeterministicRandom(3))));

    @Test
    void theAnswerIsSmallerThanTheQuestion() {
        assertThat(KeyExchange.REQUEST_LENGTH).isEqualTo(64);
        assertThat(KeyExchange.RESPONSE_LENGTH).isEqualTo(36);
    }

    @Test
    void requestIsTypeFiveThenZeros() {
        ByteBuffer b = ByteBuffer.allocate(100);
        KeyExchange.writeRequest(b);
        assertThat(b.position()).isEqualTo(64);
        assertThat(MessageType.of(b, 64)).isEqualTo(MessageType.KEY_REQUEST);
        assertThat(KeyExchange.isRequest(b, 64)).isTrue();
        for (int i = 1; i < 64; i++) {
            assertThat(b.get(i)).isZero();
        }
    }

    @Test
    void aRequestOfAnotherLengthOrWithNonZeroPaddingIsNotOne() {
        ByteBuffer b = ByteBuffer.allocate(100);
        KeyExchange.writeRequest(b);
        assertThat(KeyExchange.isRequest(b, 63)).isFalse();
        assertThat(KeyExchange.isRequest(b, 65)).isFalse();
        assertThat(KeyExchange.isRequest(ByteBuffer.allocate(10), 64)).isFalse();
        for (int i = 1; i < 64; i++) {
            b.put(i, (byte) 1);
            assertThat(KeyExchange.isRequest(b, 64)).as("byte " + i).isFalse();
            b.put(i, (byte) 0);
        }
        b.put(0, MessageType.KEY_RESPONSE);
        assertThat(KeyExchange.isRequest(b, 64)).isFalse();
    }

    @Test
    void responseRoundTrips() {
        ByteBuffer b = ByteBuffer.allocate(64);
        KeyExchange.writeResponse(b, SERVER);
        assertThat(b.position()).isEqualTo(36);
        assertThat(MessageType.of(b, 36)).isEqualTo(MessageType.KEY_RESPONSE);
        assertThat(KeyExchange.readResponse(b, 36)).isEqualTo(SERVER);
        assertThat(b.position()).isEqualTo(36);
    }

    @Test
    void aResponseOfAnotherLengthOrTypeIsNotOne() {
        ByteBuffer b = ByteBuffer.allocate(64);
        KeyExchange.writeResponse(b, SERVER);
        assertThat(KeyExchange.readResponse(b, 35)).isNull();
        assertThat(KeyExchange.readResponse(b, 37)).isNull();
        b.put(2, (byte) 1);
        assertThat(KeyExchange.readResponse(b, 36)).isNull();
        b.put(2, (byte) 0).put(0, MessageType.KEY_REQUEST);
        assertThat(KeyExchange.readResponse(b, 36)).isNull();
    }

    @Test
    void aLowOrderKeyInAResponseIsRefused() {
        // u = 0 and u = 1 are low-order points (RFC 7748 section 6.1's all-zero check catches them).
        for (int u : new int[] {0, 1}) {
            ByteBuffer b = ByteBuffer.allocate(36);
            b.put(MessageType.KEY_RESPONSE).put(new byte[3]).put((byte) u).put(new byte[31]);
            assertThat(KeyExchange.readResponse(b, 36)).as("u=" + u).isNull();
        }
    }

    @Test
    void randomDatagramsNeverThrow() {
        Random random = new Random(5);
        for (int i = 0; i < 20_000; i++) {
            byte[] bytes = new byte[random.nextInt(80)];
            random.nextBytes(bytes);
            if (bytes.length >= 4 && random.nextBoolean()) {
                bytes[0] = (byte) (5 + random.nextInt(2));
                bytes[1] = bytes[2] = bytes[3] = 0;
            }
            ByteBuffer b = ByteBuffer.wrap(bytes);
            KeyExchange.isRequest(b, bytes.length);
            KeyExchange.readResponse(b, bytes.length);
        }
    }
}
