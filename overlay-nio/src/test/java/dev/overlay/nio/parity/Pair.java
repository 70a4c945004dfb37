package dev.overlay.nio.parity;

import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.channels.spi.SelectorProvider;

/** A connection seen from both ends: the client's channel and the one the server accepted. */
record Pair(SocketChannel client, SocketChannel accepted) {
    /**
     * Connects a blocking client channel from {@code mode}'s provider to {@code server} (blocking
     * mode) while a worker accepts; both channels are closed after the test.
     */
    static Pair open(Within within, Mode mode, ServerSocketChannel server) throws Exception {
        return open(within, mode.provider(), server, mode.serverAddress(server));
    }

    /** The same with a client channel from {@code provider}, connecting to {@code address}. */
    static Pair open(Within within, SelectorProvider provider, ServerSocketChannel server, InetSocketAddress address)
            throws Exception {
        Within.Task<SocketChannel> accepting = within.start("accept", server::accept);
        SocketChannel client = within.closeLater(provider.openSocketChannel());
        boolean connected = within.call(Within.STEP, "connect to " + address, () -> client.connect(address));
        if (!connected) {
            throw new AssertionError("a blocking connect returned false");
        }
        SocketChannel accepted = within.closeLater(accepting.get(Within.STEP));
        return new Pair(client, accepted);
    }
}
