package dev.overlay.nio;

import java.io.FileDescriptor;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.SocketImpl;
import java.net.SocketOption;
import java.net.StandardSocketOptions;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * {@link OverlayServerSocketChannel#socket()}: a {@link ServerSocket} view of the channel. While
 * the channel is kernel, calls go to the platform channel's adaptor (its accept honours its
 * timeout) and accepted connections are wrapped; once bound to a served port, accept takes overlay
 * streams with {@link #setSoTimeout} as the timeout.
 */
final class ChannelServerSocket extends ServerSocket {
    private final OverlayServerSocketChannel ch;
    private volatile int timeout;

    ChannelServerSocket(OverlayServerSocketChannel ch) {
        super(new NoSocketImpl());
        this.ch = ch;
    }

    private ServerSocket kernel() {
        ServerSocketChannel p = ch.kernelChannel();
        return p == null ? null : p.socket();
    }

    @Override
    public void bind(SocketAddress local) throws IOException {
        bind(local, 50);
    }

    @Override
    public void bind(SocketAddress local, int backlog) throws IOException {
        if (local == null) {
            local = new InetSocketAddress(0);
        }
        try {
            ch.bind(local, backlog);
        } catch (IOException e) {
            throw e;
        } catch (RuntimeException e) {
            throw translate(e);
        }
    }

    private static SocketException translate(RuntimeException e) {
        String message = e instanceof java.nio.channels.AlreadyBoundException ? "Already bound"
                : e instanceof java.nio.channels.UnsupportedAddressTypeException ? "Unsupported address type"
                : e instanceof java.nio.channels.UnresolvedAddressException ? "Unresolved address"
                : e instanceof java.nio.channels.NotYetBoundException ? "Socket is not bound yet"
                : e.getMessage();
        SocketException s = new SocketException(message);
        s.initCause(e);
        return s;
    }

    @Override
    public InetAddress getInetAddress() {
        ServerSocket k = kernel();
        if (k != null) {
            return k.getInetAddress();
        }
        try {
            return ch.isOpen() ? ((InetSocketAddress) ch.getLocalAddress()).getAddress() : null;
        } catch (IOException e) {
            return null;
        }
    }

    @Override
    public int getLocalPort() {
        ServerSocket k = kernel();
        return k != null ? k.getLocalPort() : ch.overlayPort();
    }

    @Override
    public Socket accept() throws IOException {
        if (!ch.isOpen()) {
            throw new SocketException("Socket is closed");
        }
        ServerSocket k = kernel();
        if (k != null) {
            Socket s;
            try {
                s = k.accept();
            } catch (IOException | RuntimeException e) {
                ServerSocketChannel p = ch.kernelChannel();
                if (p != null && !p.isOpen() && ch.isOpen()) {
                    ch.close();
                }
                throw e;
            }
            return ch.wrapAccepted(s.getChannel()).socket();
        }
        int t = timeout;
        try {
            SocketChannel sc = ch.adaptorAccept(t > 0 ? TimeUnit.MILLISECONDS.toNanos(t) : 0);
            return sc.socket();
        } catch (java.nio.channels.ClosedChannelException e) {
            if (e instanceof java.nio.channels.AsynchronousCloseException) {
                throw e;
            }
            SocketException s = new SocketException("Socket is closed");
            s.initCause(e);
            throw s;
        } catch (java.nio.channels.NotYetBoundException e) {
            throw translate(e);
        }
    }

    @Override
    public void close() throws IOException {
        ch.close();
    }

    @Override
    public ServerSocketChannel getChannel() {
        return ch;
    }

    @Override
    public boolean isBound() {
        return ch.isBound();
    }

    @Override
    public boolean isClosed() {
        return !ch.isOpen();
    }

    @Override
    public void setSoTimeout(int timeout) throws SocketException {
        if (!ch.isOpen()) {
            throw new SocketException("Socket is closed");
        }
        if (timeout < 0) {
            throw new IllegalArgumentException("timeout < 0");
        }
        this.timeout = timeout;
        ServerSocket k = kernel();
        if (k != null) {
            k.setSoTimeout(timeout);
        }
    }

    @Override
    public int getSoTimeout() throws IOException {
        if (!ch.isOpen()) {
            throw new SocketException("Socket is closed");
        }
        return timeout;
    }

    @Override
    public void setReuseAddress(boolean on) throws SocketException {
        try {
            ch.setOption(StandardSocketOptions.SO_REUSEADDR, on);
        } catch (IOException e) {
            throw toSocketException(e);
        }
    }

    @Override
    public boolean getReuseAddress() throws SocketException {
        try {
            return ch.getOption(StandardSocketOptions.SO_REUSEADDR);
        } catch (IOException e) {
            throw toSocketException(e);
        }
    }

    @Override
    public void setReceiveBufferSize(int size) throws SocketException {
        if (size <= 0) {
            throw new IllegalArgumentException("size cannot be 0 or negative");
        }
        try {
            ch.setOption(StandardSocketOptions.SO_RCVBUF, size);
        } catch (IOException e) {
            throw toSocketException(e);
        }
    }

    @Override
    public int getReceiveBufferSize() throws SocketException {
        try {
            return ch.getOption(StandardSocketOptions.SO_RCVBUF);
        } catch (IOException e) {
            throw toSocketException(e);
        }
    }

    private static SocketException toSocketException(IOException e) {
        if (e instanceof SocketException s) {
            return s;
        }
        SocketException s = new SocketException(e instanceof java.nio.channels.ClosedChannelException
                ? "Socket is closed" : e.getMessage());
        s.initCause(e);
        return s;
    }

    @Override
    public <T> ServerSocket setOption(SocketOption<T> name, T value) throws IOException {
        ch.setOption(name, value);
        return this;
    }

    @Override
    public <T> T getOption(SocketOption<T> name) throws IOException {
        return ch.getOption(name);
    }

    @Override
    public Set<SocketOption<?>> supportedOptions() {
        return ch.supportedOptions();
    }

    @Override
    public void setPerformancePreferences(int connectionTime, int latency, int bandwidth) {
        // no effect, as on the JDK's server sockets
    }

    @Override
    public String toString() {
        if (!isBound()) {
            return "ServerSocket[unbound]";
        }
        return "ServerSocket[addr=" + getInetAddress() + ",localport=" + getLocalPort() + "]";
    }

    /** {@code ServerSocket(SocketImpl)} wants an implementation; every method that would use it is overridden. */
    private static final class NoSocketImpl extends SocketImpl {
        private static IOException unused() {
            return new SocketException("not used by the overlay's server socket adaptor");
        }

        @Override
        protected void create(boolean stream) throws IOException {
            throw unused();
        }

        @Override
        protected void connect(String host, int port) throws IOException {
            throw unused();
        }

        @Override
        protected void connect(InetAddress address, int port) throws IOException {
            throw unused();
        }

        @Override
        protected void connect(SocketAddress address, int timeout) throws IOException {
            throw unused();
        }

        @Override
        protected void bind(InetAddress host, int port) throws IOException {
            throw unused();
        }

        @Override
        protected void listen(int backlog) throws IOException {
            throw unused();
        }

        @Override
        protected void accept(SocketImpl s) throws IOException {
            throw unused();
        }

        @Override
        protected InputStream getInputStream() throws IOException {
            throw unused();
        }

        @Override
        protected OutputStream getOutputStream() throws IOException {
            throw unused();
        }

        @Override
        protected int available() throws IOException {
            throw unused();
        }

        @Override
        protected void close() {
            // nothing to close
        }

        @Override
        protected void sendUrgentData(int data) throws IOException {
            throw unused();
        }

        @Override
        public void setOption(int optID, Object value) throws SocketException {
            throw new SocketException("not used by the overlay's server socket adaptor");
        }

        @Override
        public Object getOption(int optID) throws SocketException {
            throw new SocketException("not used by the overlay's server socket adaptor");
        }

        @Override
        protected FileDescriptor getFileDescriptor() {
            return null;
        }
    }
}
