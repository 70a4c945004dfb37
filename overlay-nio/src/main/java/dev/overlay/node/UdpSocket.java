package dev.overlay.node;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.spi.SelectorProvider;

/**
 * The node's one UDP socket, non-blocking, registered with the event loop's selector.
 *
 * <p>It is opened from the platform's {@link SelectorProvider}: once the overlay's own provider is
 * installed (the NIO drop-in), a plain {@code DatagramChannel.open()} must still reach the kernel
 * or the node would loop into itself; {@link #platformProvider()} is the one place that decides.
 */
final class UdpSocket implements AutoCloseable {
    /** Socket buffers sized for bursts of a few thousand full datagrams. */
    private static final int SOCKET_BUFFER_BYTES = 4 << 20;

    private final DatagramChannel channel;
    private long sendErrors;
    private long sendsDropped;

    UdpSocket(InetSocketAddress bind) throws IOException {
        SelectorProvider provider = platformProvider();
        DatagramChannel ch = provider.openDatagramChannel();
        try {
            ch.setOption(StandardSocketOptions.SO_RCVBUF, SOCKET_BUFFER_BYTES);
            ch.setOption(StandardSocketOptions.SO_SNDBUF, SOCKET_BUFFER_BYTES);
            ch.bind(bind);
            ch.configureBlocking(false);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw new IOException("cannot bind UDP " + bind.getHostString() + ":" + bind.getPort()
                    + ": " + e.getMessage(), e);
        }
        this.channel = ch;
    }

    /**
     * The platform's own provider, never the overlay's (see
     * {@link dev.overlay.nio.OverlaySelectorProvider#platform()}): with the NIO drop-in installed,
     * {@code SelectorProvider.provider()} is the overlay provider.
     */
    static SelectorProvider platformProvider() {
        return dev.overlay.nio.OverlaySelectorProvider.platform();
    }

    Selector openSelector() throws IOException {
        return platformProvider().openSelector();
    }

    void register(Selector selector) throws IOException {
        channel.register(selector, SelectionKey.OP_READ);
    }

    InetSocketAddress localAddress() throws IOException {
        return (InetSocketAddress) channel.getLocalAddress();
    }

    /** Reads one datagram into {@code buf} (cleared first); null when none is waiting. */
    InetSocketAddress receive(ByteBuffer buf) throws IOException {
        buf.clear();
        SocketAddress from = channel.receive(buf);
        buf.flip();
        return (InetSocketAddress) from;
    }

    /** Sends {@code datagram}; a full socket buffer or an unreachable host drops it (UDP). */
    void send(ByteBuffer datagram, InetSocketAddress to) {
        try {
            if (channel.send(datagram, to) == 0) {
                sendsDropped++;
            }
        } catch (IOException | RuntimeException e) {
            // UnsupportedAddressTypeException and friends: a peer-supplied address this socket
            // cannot reach (an IPv6 candidate on an IPv4 socket) is one lost datagram, never the loop.
            sendErrors++;
        }
    }

    long sendErrors() {
        return sendErrors;
    }

    long sendsDropped() {
        return sendsDropped;
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
