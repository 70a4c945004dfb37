package dev.overlay.nio;

import static org.assertj.core.api.Assertions.assertThat;

import dev.overlay.identity.Identity;
import dev.overlay.identity.NodeId;
import java.net.Socket;
import java.nio.channels.SocketChannel;
import java.security.SecureRandom;
import org.junit.jupiter.api.Test;

class OverlayTest {
    @Test
    void anOverlayChannelOrSocketNamesItsPeerAndAKernelOneDoesNot() throws Exception {
        NodeId peer = Identity.generate(new SecureRandom()).id();
        OverlayPeer overlayChannel = () -> peer;
        assertThat(Overlay.peerKey(overlayChannel)).isEqualTo(peer);
        OverlayPeer unconnected = () -> null;
        assertThat(Overlay.peerKey(unconnected)).isNull();
        try (SocketChannel kernel = SocketChannel.open(); Socket socket = new Socket()) {
            assertThat(Overlay.peerKey(kernel)).isNull();
            assertThat(Overlay.peerKey(kernel.socket())).isNull();
            assertThat(Overlay.peerKey(socket)).isNull();
            Overlay.attach(socket, overlayChannel);
            assertThat(Overlay.peerKey(socket)).isEqualTo(peer);
        }
        assertThat(Overlay.peerKey(null)).isNull();
        assertThat(Overlay.peerKey("not a channel")).isNull();
    }
}
