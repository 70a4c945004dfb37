package dev.overlay.node;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/** The node's socket never lets a bad destination escape into the event loop. */
class UdpSocketTest {
    @Test
    void aDestinationTheSocketCannotUseIsOneCountedErrorNotAnException() throws Exception {
        try (UdpSocket udp = new UdpSocket(new InetSocketAddress("127.0.0.1", 0))) {
            // The JDK throws unchecked exceptions for these (UnresolvedAddressException here,
            // UnsupportedAddressTypeException for IPv6 under -Djava.net.preferIPv4Stack=true).
            udp.send(ByteBuffer.wrap(new byte[] {1, 2, 3}), InetSocketAddress.createUnresolved("nowhere.invalid", 9));
            assertThat(udp.sendErrors()).isEqualTo(1);
        }
    }
}
