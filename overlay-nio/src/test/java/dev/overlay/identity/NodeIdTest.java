package dev.overlay.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class NodeIdTest {
    // RFC 7748 section 6.1: Alice's public key.
    static final byte[] ALICE_PUBLIC = HexFormat.of()
            .parseHex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
    // Computed independently with python3:
    //   base64.b32encode(pub).decode().lower().rstrip('=') + '.overlay'
    static final String ALICE_NAME = "quqpacmjgctvi5elpxolipxxlig36oqney4bv5hlusuy5ku3jzva.overlay";
    static final String ALICE_BASE32 = "quqpacmjgctvi5elpxolipxxlig36oqney4bv5hlusuy5ku3jzva";
    // Computed independently with python3:
    //   ipaddress.IPv6Address(bytes([0xfd, 0x6f]) + hashlib.sha256(pub).digest()[:14])
    static final String ALICE_HANDLE = "fd6f:300c:9c96:3b9:2a4b:39ed:3958:bf92";

    @Test
    void namesRfc7748AliceByTheIndependentlyComputedName() {
        // Given
        NodeId alice = NodeId.of(ALICE_PUBLIC);

        // When
        String name = alice.name();

        // Then
        assertThat(name).isEqualTo(ALICE_NAME);
        assertThat(alice.base32()).isEqualTo(ALICE_BASE32);
        assertThat(alice.toString()).isEqualTo(ALICE_NAME);
        assertThat(alice.shortName()).isEqualTo("quqpacmj");
    }

    @Test
    void mapsRfc7748AliceToTheIndependentlyComputedHandle() {
        // Given
        NodeId alice = NodeId.of(ALICE_PUBLIC);

        // When
        Inet6Address handle = alice.handle();

        // Then
        assertThat(handle.getHostAddress()).isEqualTo(ALICE_HANDLE);
        assertThat(handle.getScopeId()).isZero();
        assertThat(alice.handle()).as("cached").isSameAs(handle);
        assertThat(NodeId.isHandle(handle)).isTrue();
    }

    @Test
    void parsesItsOwnNameBackToAnEqualId() {
        // Given
        NodeId alice = NodeId.of(ALICE_PUBLIC);

        // When
        NodeId parsed = NodeId.parse(alice.name());

        // Then
        assertThat(parsed).isEqualTo(alice).hasSameHashCodeAs(alice);
        assertThat(parsed.key()).isEqualTo(ALICE_PUBLIC);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        ALICE_NAME,
        ALICE_BASE32,
        ALICE_NAME + ".",
        "QUQPACMJGCTVI5ELPXOLIPXXLIG36OQNEY4BV5HLUSUY5KU3JZVA.OVERLAY",
        "QuqpacmjgctVI5elpxolipxxlig36oqney4bv5hlusuy5ku3jzva.Overlay.",
        "QUQPACMJGCTVI5ELPXOLIPXXLIG36OQNEY4BV5HLUSUY5KU3JZVA"
    })
    void parsesNameBareKeyAbsoluteNameAndAnyLetterCase(String text) {
        // When
        NodeId parsed = NodeId.parse(text);

        // Then
        assertThat(parsed).isEqualTo(NodeId.of(ALICE_PUBLIC));
    }

    @Test
    void rejectsNullAndEmptyNames() {
        assertThatThrownBy(() -> NodeId.parse(null))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("node name is null");
        assertThatThrownBy(() -> NodeId.parse(""))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("node name is empty");
    }

    @ParameterizedTest
    @ValueSource(strings = {"example.com", ALICE_BASE32 + ".", ALICE_BASE32 + ".overlay.com",
            ALICE_BASE32 + ".overlay..", ALICE_BASE32 + ".overlai"})
    void rejectsNamesWithTheWrongSuffix(String text) {
        assertThatThrownBy(() -> NodeId.parse(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("node name must end with .overlay (or be a bare 52-character base32 key)");
    }

    @Test
    void rejectsAKeyPartOfTheWrongLength() {
        String shortName = ALICE_BASE32.substring(1) + ".overlay";
        String longKey = ALICE_BASE32 + "a";

        assertThatThrownBy(() -> NodeId.parse(shortName))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("expected 52 base32 characters before .overlay, got 51");
        assertThatThrownBy(() -> NodeId.parse(longKey))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("expected 52 base32 characters, got 53");
        assertThatThrownBy(() -> NodeId.parse(".overlay"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("expected 52 base32 characters before .overlay, got 0");
    }

    @Test
    void rejectsABadCharacterNamingItsPosition() {
        // Given: '1' is not in the base32 alphabet.
        String name = "quqpacm1gctvi5elpxolipxxlig36oqney4bv5hlusuy5ku3jzva.overlay";

        // When / Then
        assertThatThrownBy(() -> NodeId.parse(name))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("invalid base32 character '1' at position 7");
    }

    @Test
    void rejectsNonCanonicalTrailingBits() {
        // Given: 'a' is 00000 and 'b' is 00001; only the top bit of the last character is used.
        String name = ALICE_BASE32.substring(0, 51) + "b.overlay";

        // When / Then
        assertThatThrownBy(() -> NodeId.parse(name))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("non-canonical base32: the unused low 4 bits of the last character 'b'"
                        + " at position 51 must be zero");
    }

    @Test
    void parsesTheAllZeroKeyBecauseLowOrderKeysAreRejectedAtHandshake() {
        // When
        NodeId zero = NodeId.parse("a".repeat(52) + ".overlay");

        // Then
        assertThat(zero.key()).isEqualTo(new byte[32]);
    }

    @Test
    void rejectsPublicKeysThatAreNot32Bytes() {
        assertThatThrownBy(() -> NodeId.of(new byte[31]))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("public key must be 32 bytes, got 31");
        assertThatThrownBy(() -> NodeId.of(null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("public key must be 32 bytes, got null");
    }

    @Test
    void isImmutableAgainstChangesToTheCallersArrays() {
        // Given
        byte[] key = ALICE_PUBLIC.clone();
        NodeId id = NodeId.of(key);

        // When
        key[0] ^= 1;
        id.key()[1] ^= 1;

        // Then
        assertThat(id.key()).isEqualTo(ALICE_PUBLIC);
    }

    @Test
    void copiesItsKeyIntoAnArrayAtAnOffset() {
        // Given
        byte[] dst = new byte[40];

        // When
        NodeId.of(ALICE_PUBLIC).copyKey(dst, 5);

        // Then
        assertThat(java.util.Arrays.copyOfRange(dst, 5, 37)).isEqualTo(ALICE_PUBLIC);
        assertThat(dst[4]).isZero();
        assertThat(dst[37]).isZero();
        assertThatThrownBy(() -> NodeId.of(ALICE_PUBLIC).copyKey(dst, 9))
                .isInstanceOf(IndexOutOfBoundsException.class);
    }

    @Test
    void ordersByUnsignedKeyBytes() {
        // Given: 0x80 is negative as a signed byte but sorts after 0x7f unsigned.
        byte[] low = new byte[32];
        low[0] = 0x7f;
        byte[] high = new byte[32];
        high[0] = (byte) 0x80;

        // When / Then
        assertThat(NodeId.of(low)).isLessThan(NodeId.of(high));
        assertThat(NodeId.of(high)).isGreaterThan(NodeId.of(low));
        assertThat(NodeId.of(low).compareTo(NodeId.of(low.clone()))).isZero();
    }

    @Test
    void recognisesHandlesOnlyInFd6fSlash16() throws Exception {
        assertThat(NodeId.isHandle(InetAddress.getByName("fd6f::1"))).isTrue();
        assertThat(NodeId.isHandle(InetAddress.getByName("fd6e:ffff::1"))).isFalse();
        assertThat(NodeId.isHandle(InetAddress.getByName("fe6f::1"))).isFalse();
        assertThat(NodeId.isHandle(InetAddress.getByName("::1"))).isFalse();
        assertThat(NodeId.isHandle(Inet4Address.getByName("253.111.0.1"))).isFalse();
        assertThat(NodeId.isHandle(null)).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"x.overlay", "X.OVERLAY", "a.b.overlay.", ".overlay", ALICE_NAME})
    void recognisesOverlayNamesIgnoringCaseAndOneTrailingDot(String host) {
        assertThat(NodeId.isOverlayName(host)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"overlay", "example.com", "x.overlay..", "x.overlay.com", "xoverlay",
            "x.overlay ", ""})
    void rejectsHostsThatAreNotOverlayNames(String host) {
        assertThat(NodeId.isOverlayName(host)).isFalse();
    }

    @Test
    void treatsNullHostAsNotAnOverlayName() {
        assertThat(NodeId.isOverlayName(null)).isFalse();
    }
}
