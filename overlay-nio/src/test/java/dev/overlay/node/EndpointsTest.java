package dev.overlay.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.overlay.identity.Identity;
import dev.overlay.testing.DeterministicRandom;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

class EndpointsTest {
    @Test
    void parsesIpv4AndBracketedIpv6() {
        assertThat(Endpoints.parse("127.0.0.1:7000", false)).isEqualTo(new InetSocketAddress("127.0.0.1", 7000));
        assertThat(Endpoints.parse("[::1]:7000", false)).isEqualTo(new InetSocketAddress("::1", 7000));
        assertThat(Endpoints.parse("0.0.0.0:0", true).getPort()).isZero();
    }

    @Test
    void rejectsMalformedAddressesNamingTheProblem() {
        assertThatThrownBy(() -> Endpoints.parse("127.0.0.1", false)).hasMessageContaining("HOST:PORT");
        assertThatThrownBy(() -> Endpoints.parse("::1:7000", false)).hasMessageContaining("IPv6 in brackets");
        assertThatThrownBy(() -> Endpoints.parse("[::1]7000", false)).hasMessageContaining("[IPV6]:PORT");
        assertThatThrownBy(() -> Endpoints.parse("127.0.0.1:x", false)).hasMessageContaining("not a number");
        assertThatThrownBy(() -> Endpoints.parse("127.0.0.1:65536", false)).hasMessageContaining("outside 1..65535");
        assertThatThrownBy(() -> Endpoints.parse("127.0.0.1:0", false)).hasMessageContaining("outside 1..65535");
        assertThatThrownBy(() -> Endpoints.parse(":7000", false)).hasMessageContaining("HOST:PORT");
        assertThatThrownBy(() -> Endpoints.parse("", false)).hasMessageContaining("empty");
    }

    @Test
    void aPeerSpecRoundTripsThroughItsTextForm() {
        Identity id = Identity.generate(new DeterministicRandom(1));
        PeerSpec p = PeerSpec.parse(id.id().name() + "@[::1]:7000");
        assertThat(p.id()).isEqualTo(id.id());
        assertThat(PeerSpec.parse(p.toString())).isEqualTo(p);
        assertThat(PeerSpec.parse(id.id().base32() + "@127.0.0.1:9").endpoint().getPort()).isEqualTo(9);
    }

    @Test
    void aPeerSpecWithoutAtOrWithABadKeySaysWhich() {
        assertThatThrownBy(() -> PeerSpec.parse("127.0.0.1:7000")).hasMessageContaining("no '@'");
        assertThatThrownBy(() -> PeerSpec.parse("abc@127.0.0.1:7000")).hasMessageContaining("bad key");
    }
}
