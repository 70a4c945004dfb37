package dev.overlay.nio;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketAddress;
import java.net.SocketOption;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.MembershipKey;
import java.util.Set;

/**
 * A platform {@link DatagramChannel} in a wrapper: datagrams never go through the overlay, but the
 * channel must register with the overlay provider's selector (the JDK's refuses foreign
 * channels). Every call goes to the platform channel; a blocking call that closed it (an
 * interrupt) closes the wrapper too. {@link #socket()} and {@link #join} return the platform's
 * objects, whose {@code getChannel()}/{@code channel()} is the platform channel.
 */
final class WrappedDatagramChannel extends DatagramChannel {
    private final DatagramChannel platform;
    final Registrable registrable;
    private final ChannelKeys keys = new ChannelKeys();

    WrappedDatagramChannel(OverlaySelectorProvider provider, DatagramChannel platform) {
        super(provider);
        this.platform = platform;
        this.registrable = new KernelOnly(keys, platform);
    }

    private void sync() {
        if (!platform.isOpen() && isOpen()) {
            try {
                close();
            } catch (IOException ignored) {
                // the platform channel is closed already
            }
        }
    }

    @Override
    public DatagramChannel bind(SocketAddress local) throws IOException {
        try {
            platform.bind(local);
            return this;
        } catch (IOException | RuntimeException e) {
            sync();
                throw e;
        }
    }

    @Override
    public <T> DatagramChannel setOption(SocketOption<T> name, T value) throws IOException {
        try {
            platform.setOption(name, value);
            return this;
        } catch (IOException | RuntimeException e) {
            sync();
                throw e;
        }
    }

    @Override
    public <T> T getOption(SocketOption<T> name) throws IOException {
        try {
            return platform.getOption(name);
        } catch (IOException | RuntimeException e) {
            sync();
                throw e;
        }
    }

    @Override
    public Set<SocketOption<?>> supportedOptions() {
        return platform.supportedOptions();
    }

    @Override
    public DatagramSocket socket() {
        return platform.socket();
    }

    @Override
    public boolean isConnected() {
        return platform.isConnected();
    }

    @Override
    public DatagramChannel connect(SocketAddress remote) throws IOException {
        try {
            platform.connect(remote);
            return this;
        } catch (IOException | RuntimeException e) {
            sync();
                throw e;
        }
    }

    @Override
    public DatagramChannel disconnect() throws IOException {
        try {
            platform.disconnect();
            return this;
        } catch (IOException | RuntimeException e) {
            sync();
                throw e;
        }
    }

    @Override
    public SocketAddress getRemoteAddress() throws IOException {
        try {
            return platform.getRemoteAddress();
        } catch (IOException | RuntimeException e) {
            sync();
                throw e;
        }
    }

    @Override
    public SocketAddress receive(ByteBuffer dst) throws IOException {
        try {
            return platform.receive(dst);
        } catch (IOException | RuntimeException e) {
            sync();
                throw e;
        }
    }

    @Override
    public int send(ByteBuffer src, SocketAddress target) throws IOException {
        try {
            return platform.send(src, target);
        } catch (IOException | RuntimeException e) {
            sync();
                throw e;
        }
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        try {
            return platform.read(dst);
        } catch (IOException | RuntimeException e) {
            sync();
                throw e;
        }
    }

    @Override
    public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
        try {
            return platform.read(dsts, offset, length);
        } catch (IOException | RuntimeException e) {
            sync();
                throw e;
        }
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        try {
            return platform.write(src);
        } catch (IOException | RuntimeException e) {
            sync();
                throw e;
        }
    }

    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
        try {
            return platform.write(srcs, offset, length);
        } catch (IOException | RuntimeException e) {
            sync();
                throw e;
        }
    }

    @Override
    public SocketAddress getLocalAddress() throws IOException {
        try {
            return platform.getLocalAddress();
        } catch (IOException | RuntimeException e) {
            sync();
                throw e;
        }
    }

    @Override
    public MembershipKey join(InetAddress group, NetworkInterface interf) throws IOException {
        try {
            return platform.join(group, interf);
        } catch (IOException | RuntimeException e) {
            sync();
                throw e;
        }
    }

    @Override
    public MembershipKey join(InetAddress group, NetworkInterface interf, InetAddress source) throws IOException {
        try {
            return platform.join(group, interf, source);
        } catch (IOException | RuntimeException e) {
            sync();
                throw e;
        }
    }

    @Override
    protected void implCloseSelectableChannel() throws IOException {
        try {
            platform.close();
        } finally {
            keys.cancelAndWake();
        }
    }

    @Override
    protected void implConfigureBlocking(boolean block) throws IOException {
        if (block) {
            keys.beforeBlocking();
        }
        platform.configureBlocking(block);
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[" + platform + "]";
    }

    /** Registration for a wrapper that is always kernel. */
    static final class KernelOnly implements Registrable {
        private final ChannelKeys keys;
        private final java.nio.channels.SelectableChannel platform;

        KernelOnly(ChannelKeys keys, java.nio.channels.SelectableChannel platform) {
            this.keys = keys;
            this.platform = platform;
        }

        @Override
        public void attachKey(OverlayKey key) {
            keys.attach(key, platform);
        }

        @Override
        public void detachKey(OverlayKey key) {
            keys.detach(key);
        }

        @Override
        public int overlayReadyOps(int interest) {
            return 0;
        }
    }
}
