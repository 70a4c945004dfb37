package dev.overlay.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.SecureRandom;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class IdentityTest {
    // RFC 7748 section 6.1: Alice's private key; her public key is NodeIdTest.ALICE_PUBLIC.
    static final String ALICE_PRIVATE_HEX =
            "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a";
    static final byte[] ALICE_PRIVATE = HexFormat.of().parseHex(ALICE_PRIVATE_HEX);

    @Test
    void derivesTheRfc7748PublicKeyFromAlicesPrivateKey() {
        // When
        Identity alice = Identity.fromPrivateKey(ALICE_PRIVATE);

        // Then
        assertThat(alice.publicKey()).isEqualTo(NodeIdTest.ALICE_PUBLIC);
        assertThat(alice.id()).isEqualTo(NodeId.of(NodeIdTest.ALICE_PUBLIC));
        assertThat(alice.id().name()).isEqualTo(NodeIdTest.ALICE_NAME);
        assertThat(alice.privateKey()).isEqualTo(ALICE_PRIVATE);
    }

    @Test
    void toStringShowsTheNameAndNotThePrivateKey() {
        // When
        String text = Identity.fromPrivateKey(ALICE_PRIVATE).toString();

        // Then
        assertThat(text).isEqualTo(NodeIdTest.ALICE_NAME).doesNotContain(ALICE_PRIVATE_HEX);
    }

    @Test
    void generatesDistinctIdentitiesWhosePublicKeyMatchesThePrivateKey() {
        // Given
        SecureRandom random = new SecureRandom();

        // When
        Identity a = Identity.generate(random);
        Identity b = Identity.generate(random);

        // Then
        assertThat(a.id()).isNotEqualTo(b.id());
        assertThat(Identity.fromPrivateKey(a.privateKey()).id()).isEqualTo(a.id());
    }

    @Test
    void keepsItsOwnCopiesOfKeys() {
        // Given
        byte[] key = ALICE_PRIVATE.clone();
        Identity alice = Identity.fromPrivateKey(key);

        // When
        key[0] ^= 1;
        alice.privateKey()[0] ^= 1;
        alice.publicKey()[0] ^= 1;

        // Then
        assertThat(alice.privateKey()).isEqualTo(ALICE_PRIVATE);
        assertThat(alice.publicKey()).isEqualTo(NodeIdTest.ALICE_PUBLIC);
    }

    @Test
    void rejectsPrivateKeysThatAreNot32Bytes() {
        assertThatThrownBy(() -> Identity.fromPrivateKey(new byte[33]))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("private key must be 32 bytes, got 33");
        assertThatThrownBy(() -> Identity.fromPrivateKey(null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("private key must be 32 bytes, got null");
    }
}
