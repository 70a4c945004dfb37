package dev.overlay.examples;

import dev.overlay.identity.Identity;
import dev.overlay.node.Node;
import dev.overlay.node.NodeConfig;
import dev.overlay.node.PeerSpec;
import dev.overlay.stream.OverlayStream;
import dev.overlay.stream.StreamListener;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;

/**
 * The example in docs/streams.md, verbatim: two nodes, an echo service on overlay port 7, and a
 * client that talks to it by key. {@code EchoExampleTest} runs {@link #main} in every build, so the
 * documented code keeps working.
 */
public final class EchoExample {
    public static void main(String[] args) throws Exception {
        InetSocketAddress anyLoopbackPort = new InetSocketAddress("127.0.0.1", 0);

        // A server node; its public key is its address. Nothing listens on a kernel TCP port.
        Identity serverKey = Identity.generate(new SecureRandom());
        try (Node server = Node.start(NodeConfig.of(serverKey, anyLoopbackPort, List.of()))) {
            StreamListener echo = server.listen(7);
            Thread service = new Thread(() -> {
                try (OverlayStream s = echo.accept()) {
                    s.getInputStream().transferTo(s.getOutputStream()); // echo until the client's FIN
                } catch (Exception e) {
                    e.printStackTrace();
                }
            });
            service.start();

            // A client node that knows where the server's key can be reached.
            PeerSpec serverAt = new PeerSpec(serverKey.id(), server.localAddress());
            try (Node client = Node.start(NodeConfig.of(Identity.generate(new SecureRandom()),
                    anyLoopbackPort, List.of(serverAt)));
                 OverlayStream s = client.connect(serverKey.id(), 7, Duration.ofSeconds(10))) {
                s.getOutputStream().write("hello over the overlay".getBytes(StandardCharsets.UTF_8));
                s.shutdownOutput(); // half-close: the echo service reads end of stream
                String reply = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                System.out.println("echoed by " + s.peer().name() + ": " + reply);
            }
            service.join(10_000);
        }
    }
}
