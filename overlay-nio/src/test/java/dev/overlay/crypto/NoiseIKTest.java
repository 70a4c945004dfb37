package dev.overlay.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class NoiseIKTest {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final byte[] PROLOGUE = "overlay test".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] PAYLOAD1 = "hello from the initiator".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] PAYLOAD2 = "hello back".getBytes(StandardCharsets.US_ASCII);

    /**
     * X25519 public keys that give an all-zero shared secret for every private key: the points of
     * order 1, 2, 4 and 8 (0, 1, the two order-8 points, p-1) and the non-canonical encodings p and
     * p+1, each also with bit 255 set, which RFC 7748 masks off. (libsodium's blacklist has five
     * more entries that are only low-order for implementations that do not mask bit 255.)
     */
    static Stream<String> lowOrderPoints() {
        return Stream.of(
                "0000000000000000000000000000000000000000000000000000000000000000", // 0
                "0100000000000000000000000000000000000000000000000000000000000000", // 1
                "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800", // order 8
                "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157", // order 8
                "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // p-1
                "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // p = 0
                "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // p+1 = 1
                "0000000000000000000000000000000000000000000000000000000000000080",
                "0100000000000000000000000000000000000000000000000000000000000080",
                "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b880",
                "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f11d7",
                "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
                "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
                "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff");
    }

    private final byte[] initiatorStatic = X25519.generatePrivateKey(RANDOM);
    private final byte[] responderStatic = X25519.generatePrivateKey(RANDOM);
    private final NoiseIK initiator =
            NoiseIK.initiator(initiatorStatic, X25519.publicKey(responderStatic), PROLOGUE, RANDOM);
    private final NoiseIK responder = NoiseIK.responder(responderStatic, PROLOGUE, RANDOM);

    @Test
    void a_full_handshake_authenticates_both_sides_and_yields_mirrored_keys() throws Exception {
        byte[] msg1 = writeMessage1();
        assertThat(msg1).hasSize(32 + 48 + PAYLOAD1.length + 16);
        byte[] got1 = new byte[PAYLOAD1.length];
        assertThat(responder.readMessage(msg1, 0, msg1.length, got1, 0)).isEqualTo(PAYLOAD1.length);
        assertThat(got1).isEqualTo(PAYLOAD1);
        assertThat(responder.remoteStatic()).isEqualTo(X25519.publicKey(initiatorStatic));

        byte[] msg2 = writeMessage2();
        assertThat(msg2).hasSize(32 + PAYLOAD2.length + 16);
        byte[] got2 = new byte[PAYLOAD2.length];
        assertThat(initiator.readMessage(msg2, 0, msg2.length, got2, 0)).isEqualTo(PAYLOAD2.length);
        assertThat(got2).isEqualTo(PAYLOAD2);

        assertThat(initiator.handshakeHash()).isEqualTo(responder.handshakeHash());
        SessionKeys ik = initiator.split();
        SessionKeys rk = responder.split();
        assertThat(ik.sendKey()).hasSize(32).isEqualTo(rk.receiveKey()).isNotEqualTo(ik.receiveKey());
        assertThat(ik.receiveKey()).isEqualTo(rk.sendKey());
        assertThat(initiator.state()).isEqualTo(NoiseIK.State.SPLIT);
        assertThat(initiator.isComplete()).isTrue();
        assertThat(ik.toString()).doesNotContain(HexFormat.of().formatHex(ik.sendKey()));
    }

    @Test
    void empty_payloads_give_the_minimum_message_lengths() throws Exception {
        byte[] msg1 = new byte[NoiseIK.message1Length(0)];
        assertThat(initiator.writeMessage(new byte[0], 0, 0, msg1, 0)).isEqualTo(96);
        assertThat(responder.readMessage(msg1, 0, msg1.length, new byte[0], 0)).isZero();
        byte[] msg2 = new byte[NoiseIK.message2Length(0)];
        assertThat(responder.writeMessage(new byte[0], 0, 0, msg2, 0)).isEqualTo(48);
        assertThat(initiator.readMessage(msg2, 0, msg2.length, new byte[0], 0)).isZero();
    }

    @Test
    void fresh_ephemerals_make_every_handshake_different() {
        NoiseIK other = NoiseIK.initiator(initiatorStatic, X25519.publicKey(responderStatic), PROLOGUE, RANDOM);
        byte[] a = new byte[NoiseIK.message1Length(0)];
        byte[] b = new byte[NoiseIK.message1Length(0)];
        initiator.writeMessage(new byte[0], 0, 0, a, 0);
        other.writeMessage(new byte[0], 0, 0, b, 0);
        assertThat(a).isNotEqualTo(b);
    }

    @Test
    void a_modified_byte_anywhere_in_message_1_is_rejected() {
        byte[] msg1 = writeMessage1();
        for (int i = 0; i < msg1.length; i++) {
            byte[] bad = msg1.clone();
            bad[i] ^= 0x01;
            NoiseIK fresh = NoiseIK.responder(responderStatic, PROLOGUE, RANDOM);
            int position = i;
            assertThatThrownBy(() -> fresh.readMessage(bad, 0, bad.length, new byte[PAYLOAD1.length], 0))
                    .as("byte %d", position)
                    .isInstanceOf(NoiseException.class);
            assertThat(fresh.state()).isEqualTo(NoiseIK.State.FAILED);
        }
    }

    @Test
    void a_modified_byte_anywhere_in_message_2_is_rejected() throws Exception {
        // Initiators sharing one fixed ephemeral all send the same message 1, so one message 2
        // from the responder fits each of them; every position is tried on a fresh twin.
        byte[] ephemeral = X25519.generatePrivateKey(RANDOM);
        byte[] msg1 = writeMessage1(twin(ephemeral));
        responder.readMessage(msg1, 0, msg1.length, new byte[PAYLOAD1.length], 0);
        byte[] msg2 = writeMessage2();
        assertThat(twinAfterMessage1(ephemeral).readMessage(msg2, 0, msg2.length, new byte[PAYLOAD2.length], 0))
                .as("untampered control")
                .isEqualTo(PAYLOAD2.length);
        for (int i = 0; i < msg2.length; i++) {
            NoiseIK twin = twinAfterMessage1(ephemeral);
            byte[] bad = msg2.clone();
            bad[i] ^= (byte) 0x80;
            int position = i;
            assertThatThrownBy(() -> twin.readMessage(bad, 0, bad.length, new byte[PAYLOAD2.length], 0))
                    .as("byte %d", position)
                    .isInstanceOf(NoiseException.class);
            // A forged response costs the initiator nothing: the genuine one still completes.
            assertThat(twin.state()).isEqualTo(NoiseIK.State.INITIATOR_READ_2);
            assertThat(twin.readMessage(msg2, 0, msg2.length, new byte[PAYLOAD2.length], 0))
                    .as("genuine message 2 after a forgery at byte %d", position)
                    .isEqualTo(PAYLOAD2.length);
            assertThat(twin.isComplete()).isTrue();
        }
    }

    @Test
    void truncated_or_short_messages_are_rejected_as_noise_errors() {
        byte[] msg1 = writeMessage1();
        assertThatThrownBy(() -> responder.readMessage(msg1, 0, 95, new byte[0], 0))
                .isInstanceOf(NoiseException.class)
                .hasMessageContaining("95 bytes");
        assertThat(responder.state()).isEqualTo(NoiseIK.State.FAILED);

        NoiseIK fresh = NoiseIK.responder(responderStatic, PROLOGUE, RANDOM);
        assertThatThrownBy(() -> fresh.readMessage(msg1, 0, msg1.length - 1, new byte[PAYLOAD1.length], 0))
                .isInstanceOf(NoiseException.class);
    }

    @Test
    void a_different_prologue_makes_message_1_fail_authentication() {
        byte[] msg1 = writeMessage1();
        NoiseIK other = NoiseIK.responder(responderStatic, "other".getBytes(StandardCharsets.US_ASCII), RANDOM);
        assertThatThrownBy(() -> other.readMessage(msg1, 0, msg1.length, new byte[PAYLOAD1.length], 0))
                .isInstanceOf(NoiseException.class)
                .hasMessageContaining("authentication");
    }

    @Test
    void a_message_1_for_another_responder_is_rejected() {
        byte[] msg1 = writeMessage1();
        NoiseIK stranger = NoiseIK.responder(X25519.generatePrivateKey(RANDOM), PROLOGUE, RANDOM);
        assertThatThrownBy(() -> stranger.readMessage(msg1, 0, msg1.length, new byte[PAYLOAD1.length], 0))
                .isInstanceOf(NoiseException.class);
    }

    @ParameterizedTest
    @MethodSource("lowOrderPoints")
    void a_low_order_ephemeral_in_message_1_is_rejected(String point) {
        byte[] msg1 = writeMessage1();
        System.arraycopy(HexFormat.of().parseHex(point), 0, msg1, 0, 32);
        assertThatThrownBy(() -> responder.readMessage(msg1, 0, msg1.length, new byte[PAYLOAD1.length], 0))
                .isInstanceOf(NoiseException.class)
                .hasMessageContaining("low-order");
        assertThat(responder.state()).isEqualTo(NoiseIK.State.FAILED);
    }

    @ParameterizedTest
    @MethodSource("lowOrderPoints")
    void a_low_order_static_key_in_message_1_is_rejected_even_when_correctly_encrypted(String point)
            throws Exception {
        // An attacker who knows the responder's public key can encrypt any "static key" it likes;
        // the ss DH must then come out all-zero and be refused.
        byte[] msg1 = forgeMessage1WithStatic(HexFormat.of().parseHex(point));
        assertThatThrownBy(() -> responder.readMessage(msg1, 0, msg1.length, new byte[0], 0))
                .isInstanceOf(NoiseException.class)
                .hasMessageContaining("low-order");
        assertThatThrownBy(responder::remoteStatic).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void the_forgery_helper_produces_an_acceptable_message_for_a_valid_static_key() throws Exception {
        byte[] msg1 = forgeMessage1WithStatic(X25519.publicKey(initiatorStatic));
        assertThat(responder.readMessage(msg1, 0, msg1.length, new byte[0], 0)).isZero();
        assertThat(responder.remoteStatic()).isEqualTo(X25519.publicKey(initiatorStatic));
    }

    @ParameterizedTest
    @MethodSource("lowOrderPoints")
    void a_low_order_ephemeral_in_message_2_is_rejected(String point) throws Exception {
        byte[] msg1 = writeMessage1();
        responder.readMessage(msg1, 0, msg1.length, new byte[PAYLOAD1.length], 0);
        byte[] msg2 = writeMessage2();
        System.arraycopy(HexFormat.of().parseHex(point), 0, msg2, 0, 32);
        assertThatThrownBy(() -> initiator.readMessage(msg2, 0, msg2.length, new byte[PAYLOAD2.length], 0))
                .isInstanceOf(NoiseException.class)
                .hasMessageContaining("low-order");
        assertThat(initiator.state()).isEqualTo(NoiseIK.State.INITIATOR_READ_2);
    }

    @ParameterizedTest
    @MethodSource("lowOrderPoints")
    void an_initiator_configured_with_a_low_order_responder_key_refuses_to_write(String point) {
        NoiseIK bad = NoiseIK.initiator(initiatorStatic, HexFormat.of().parseHex(point), PROLOGUE, RANDOM);
        assertThatThrownBy(() -> bad.writeMessage(new byte[0], 0, 0, new byte[96], 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("low-order");
        assertThat(bad.state()).isEqualTo(NoiseIK.State.FAILED);
    }

    @Test
    void calls_out_of_turn_throw_illegal_state_naming_the_state() {
        assertThatThrownBy(() -> initiator.readMessage(new byte[48], 0, 48, new byte[0], 0))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("INITIATOR_WRITE_1");
        assertThatThrownBy(() -> responder.writeMessage(new byte[0], 0, 0, new byte[48], 0))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("RESPONDER_READ_1");
        assertThatThrownBy(initiator::split).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(initiator::handshakeHash).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(responder::remoteStatic).isInstanceOf(IllegalStateException.class);

        writeMessage1();
        assertThatThrownBy(() -> initiator.writeMessage(new byte[0], 0, 0, new byte[96], 0))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("INITIATOR_READ_2");
        assertThatThrownBy(() -> initiator.withEphemeral(new byte[32]))
                .isInstanceOf(IllegalStateException.class);
        // A wrong-state call is a bug, not an attack: the handshake survives it.
        assertThat(initiator.state()).isEqualTo(NoiseIK.State.INITIATOR_READ_2);
    }

    @Test
    void split_works_once_and_only_after_completion() throws Exception {
        completeHandshake();
        initiator.split();
        assertThatThrownBy(initiator::split)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("SPLIT");
        assertThat(initiator.handshakeHash()).hasSize(32);
        assertThat(initiator.remoteStatic()).isEqualTo(X25519.publicKey(responderStatic));
    }

    @Test
    void a_failed_handshake_refuses_every_further_call() {
        byte[] msg1 = writeMessage1();
        msg1[40] ^= 1;
        assertThatThrownBy(() -> responder.readMessage(msg1, 0, msg1.length, new byte[PAYLOAD1.length], 0))
                .isInstanceOf(NoiseException.class);
        assertThatThrownBy(() -> responder.readMessage(msg1, 0, msg1.length, new byte[PAYLOAD1.length], 0))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("FAILED");
        assertThatThrownBy(() -> responder.writeMessage(new byte[0], 0, 0, new byte[48], 0))
                .isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(responder::split).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(responder::handshakeHash).isInstanceOf(IllegalStateException.class);
        assertThat(responder.isComplete()).isFalse();
    }

    @Test
    void split_wipes_the_private_keys_and_the_chaining_key() throws Exception {
        completeHandshake();
        initiator.split();
        assertSecretsWiped(initiator);
    }

    @Test
    void a_failure_wipes_the_private_keys_and_the_chaining_key() {
        byte[] msg1 = writeMessage1();
        msg1[msg1.length - 1] ^= 1;
        assertThatThrownBy(() -> responder.readMessage(msg1, 0, msg1.length, new byte[PAYLOAD1.length], 0))
                .isInstanceOf(NoiseException.class);
        assertSecretsWiped(responder);
    }

    @Test
    void caller_keys_are_copied_not_wiped() throws Exception {
        byte[] before = initiatorStatic.clone();
        completeHandshake();
        initiator.split();
        assertThat(initiatorStatic).isEqualTo(before);
    }

    @Test
    void payloads_too_large_for_a_noise_message_are_refused_up_front() {
        assertThat(NoiseIK.message1Length(65535 - 96)).isEqualTo(65535);
        assertThatThrownBy(() -> NoiseIK.message1Length(65535 - 95)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> NoiseIK.message2Length(-1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> initiator.writeMessage(new byte[65500], 0, 65500, new byte[70000], 0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(initiator.state()).isEqualTo(NoiseIK.State.INITIATOR_WRITE_1);
    }

    /** Looks inside (reflection, test only) to check Arrays.fill really ran. */
    private static void assertSecretsWiped(NoiseIK hs) {
        assertThat((byte[]) field(hs, "s")).containsOnly((byte) 0);
        assertThat(field(hs, "e")).isNull();
        Object symmetric = field(hs, "symmetric");
        assertThat((byte[]) field(symmetric, "ck")).containsOnly((byte) 0);
        assertThat(field(field(symmetric, "cipherState"), "k")).isNull();
    }

    private static Object field(Object owner, String name) {
        try {
            java.lang.reflect.Field f = owner.getClass().getDeclaredField(name);
            f.setAccessible(true);
            return f.get(owner);
        } catch (ReflectiveOperationException ex) {
            throw new AssertionError(ex);
        }
    }

    private byte[] writeMessage1() {
        return writeMessage1(initiator);
    }

    private static byte[] writeMessage1(NoiseIK from) {
        byte[] msg1 = new byte[NoiseIK.message1Length(PAYLOAD1.length)];
        from.writeMessage(PAYLOAD1, 0, PAYLOAD1.length, msg1, 0);
        return msg1;
    }

    private byte[] writeMessage2() {
        byte[] msg2 = new byte[NoiseIK.message2Length(PAYLOAD2.length)];
        responder.writeMessage(PAYLOAD2, 0, PAYLOAD2.length, msg2, 0);
        return msg2;
    }

    private void completeHandshake() throws NoiseException {
        byte[] msg1 = writeMessage1();
        responder.readMessage(msg1, 0, msg1.length, new byte[PAYLOAD1.length], 0);
        byte[] msg2 = writeMessage2();
        initiator.readMessage(msg2, 0, msg2.length, new byte[PAYLOAD2.length], 0);
    }

    /** A new initiator with a fixed ephemeral, so its message 1 is the same every time. */
    private NoiseIK twin(byte[] ephemeral) {
        return NoiseIK.initiator(initiatorStatic, X25519.publicKey(responderStatic), PROLOGUE, RANDOM)
                .withEphemeral(ephemeral);
    }

    /** {@link #twin} after writing message 1 (state INITIATOR_READ_2). */
    private NoiseIK twinAfterMessage1(byte[] ephemeral) {
        NoiseIK twin = twin(ephemeral);
        writeMessage1(twin);
        return twin;
    }

    /**
     * Message 1 built step by step with the package's Noise internals, carrying {@code
     * staticPublic} as the encrypted static key. A forger knows no private key for a low-order
     * point, so for "ss" it mixes the all-zero output the responder would compute; for our own
     * initiator's key (the control case) it uses the real DH(s, rs).
     */
    private byte[] forgeMessage1WithStatic(byte[] staticPublic) {
        SymmetricState ss = new SymmetricState(NoiseConstants.PROTOCOL_NAME);
        ss.mixHash(PROLOGUE, 0, PROLOGUE.length);
        byte[] rs = X25519.publicKey(responderStatic);
        ss.mixHash(rs, 0, 32); // pre-message "<- s"
        byte[] e = X25519.generatePrivateKey(RANDOM);
        byte[] msg = new byte[NoiseIK.message1Length(0)];
        byte[] ePublic = X25519.publicKey(e);
        System.arraycopy(ePublic, 0, msg, 0, 32); // "e"
        ss.mixHash(ePublic, 0, 32);
        byte[] dh = new byte[32];
        assertThat(X25519.agree(e, rs, dh, 0)).isTrue(); // "es"
        ss.mixKey(dh);
        ss.encryptAndHash(staticPublic, 0, 32, msg, 32); // "s"
        if (Arrays.equals(staticPublic, X25519.publicKey(initiatorStatic))) { // "ss"
            assertThat(X25519.agree(initiatorStatic, rs, dh, 0)).isTrue();
        } else {
            Arrays.fill(dh, (byte) 0);
        }
        ss.mixKey(dh);
        ss.encryptAndHash(new byte[0], 0, 0, msg, 80); // empty payload
        return msg;
    }
}
