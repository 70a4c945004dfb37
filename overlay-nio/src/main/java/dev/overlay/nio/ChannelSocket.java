package dev.overlay.nio;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.SocketImpl;
import java.net.SocketOption;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * {@link OverlaySocketChannel#socket()}: a {@link Socket} view of the channel, as the JDK's own
 * socket adaptor is of its channel. While the channel is kernel every call goes to the platform
 * channel's adaptor (its streams, its timeouts); {@link #getChannel()} is the wrapper, and a
 * {@link #connect} to an overlay address turns the channel overlay. Once overlay, the calls go to
 * the channel: blocking streams that honour {@link #setSoTimeout} and refuse a non-blocking
 * channel, options through the channel's option store.
 */
final class ChannelSocket extends Socket implements OverlayPeer {
    private final OverlaySocketChannel ch;
    private volatile int timeout;

    ChannelSocket(OverlaySocketChannel ch) throws SocketException {
        super(noImpl());
        this.ch = ch;
    }

    private static SocketImpl noImpl() {
        return null; // allowed by Socket(SocketImpl); every method is overridden
    }

    /** The platform channel's adaptor while the channel is kernel, else null. */
    private Socket kernel() {
        SocketChannel p = ch.kernelChannel();
        return p == null ? null : p.socket();
    }

    // ------------------------------------------------------------------ connect, bind

    @Override
    public void connect(SocketAddress remote) throws IOException {
        connect(remote, 0);
    }

    @Override
    public void connect(SocketAddress remote, int timeout) throws IOException {
        if (remote == null) {
            throw new IllegalArgumentException("connect: The address can't be null");
        }
        if (timeout < 0) {
            throw new IllegalArgumentException("connect: timeout can't be negative");
        }
        ch.adaptorConnect(remote, timeout);
    }

    @Override
    public void bind(SocketAddress local) throws IOException {
        Socket k = kernel();
        if (k != null) {
            k.bind(local);
            return;
        }
        if (!ch.isOpen()) {
            throw new SocketException("Socket is closed");
        }
        throw new SocketException("Already bound");
    }

    // ------------------------------------------------------------------ addresses

    private InetSocketAddress remote() {
        try {
            return ch.isOpen() ? (InetSocketAddress) ch.getRemoteAddress() : null;
        } catch (IOException e) {
            return null;
        }
    }

    private InetSocketAddress local() {
        try {
            return ch.isOpen() ? (InetSocketAddress) ch.getLocalAddress() : null;
        } catch (IOException e) {
            return null;
        }
    }

    @Override
    public InetAddress getInetAddress() {
        Socket k = kernel();
        if (k != null) {
            return k.getInetAddress();
        }
        InetSocketAddress r = remote();
        return r == null ? null : r.getAddress();
    }

    @Override
    public InetAddress getLocalAddress() {
        Socket k = kernel();
        if (k != null) {
            return k.getLocalAddress();
        }
        InetSocketAddress l = local();
        return l != null ? l.getAddress() : new InetSocketAddress(0).getAddress();
    }

    @Override
    public int getPort() {
        Socket k = kernel();
        if (k != null) {
            return k.getPort();
        }
        InetSocketAddress r = remote();
        return r == null ? 0 : r.getPort();
    }

    @Override
    public int getLocalPort() {
        Socket k = kernel();
        if (k != null) {
            return k.getLocalPort();
        }
        InetSocketAddress l = local();
        return l == null ? -1 : l.getPort();
    }

    @Override
    public SocketAddress getRemoteSocketAddress() {
        Socket k = kernel();
        return k != null ? k.getRemoteSocketAddress() : remote();
    }

    @Override
    public SocketAddress getLocalSocketAddress() {
        Socket k = kernel();
        return k != null ? k.getLocalSocketAddress() : local();
    }

    @Override
    public SocketChannel getChannel() {
        return ch;
    }

    /** The channel's peer key ({@link Overlay#peerKey} on the adaptor). */
    @Override
    public dev.overlay.identity.NodeId overlayPeer() {
        return ch.overlayPeer();
    }

    // ------------------------------------------------------------------ streams

    @Override
    public InputStream getInputStream() throws IOException {
        Socket k = kernel();
        if (k != null) {
            return new KernelInput(k.getInputStream());
        }
        if (!ch.isOpen()) {
            throw new SocketException("Socket is closed");
        }
        if (!ch.isConnected()) {
            throw new SocketException("Socket is not connected");
        }
        if (ch.isInputShutdown()) {
            throw new SocketException("Socket input is shutdown");
        }
        return new OverlayInput();
    }

    @Override
    public OutputStream getOutputStream() throws IOException {
        Socket k = kernel();
        if (k != null) {
            return new KernelOutput(k.getOutputStream());
        }
        if (!ch.isOpen()) {
            throw new SocketException("Socket is closed");
        }
        if (!ch.isConnected()) {
            throw new SocketException("Socket is not connected");
        }
        if (ch.isOutputShutdown()) {
            throw new SocketException("Socket output is shutdown");
        }
        return new OverlayOutput();
    }

    /** The platform adaptor's input; a failure that closed the platform channel closes the wrapper too. */
    private final class KernelInput extends InputStream {
        private final InputStream in;

        KernelInput(InputStream in) {
            this.in = in;
        }

        @Override
        public int read() throws IOException {
            try {
                return in.read();
            } catch (IOException | RuntimeException e) {
                sync();
                throw e;
            }
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            try {
                return in.read(b, off, len);
            } catch (IOException | RuntimeException e) {
                sync();
                throw e;
            }
        }

        @Override
        public int available() throws IOException {
            return in.available();
        }

        @Override
        public void close() throws IOException {
            ch.close();
        }
    }

    private final class KernelOutput extends OutputStream {
        private final OutputStream out;

        KernelOutput(OutputStream out) {
            this.out = out;
        }

        @Override
        public void write(int b) throws IOException {
            try {
                out.write(b);
            } catch (IOException | RuntimeException e) {
                sync();
                throw e;
            }
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            try {
                out.write(b, off, len);
            } catch (IOException | RuntimeException e) {
                sync();
                throw e;
            }
        }

        @Override
        public void close() throws IOException {
            ch.close();
        }
    }

    private void sync() {
        SocketChannel p = ch.kernelChannel();
        if (p != null && !p.isOpen() && ch.isOpen()) {
            try {
                ch.close();
            } catch (IOException ignored) {
                // already closed underneath
            }
        }
    }

    private final class OverlayInput extends InputStream {
        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n > 0 ? one[0] & 0xff : -1;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            Objects.checkFromIndexSize(off, len, b.length);
            if (len == 0) {
                return 0;
            }
            int t = timeout;
            return ch.adaptorRead(ByteBuffer.wrap(b, off, len), t > 0 ? TimeUnit.MILLISECONDS.toNanos(t) : 0);
        }

        @Override
        public int available() throws IOException {
            return ch.available();
        }

        @Override
        public void close() throws IOException {
            ch.close();
        }
    }

    private final class OverlayOutput extends OutputStream {
        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            Objects.checkFromIndexSize(off, len, b.length);
            if (len > 0) {
                ch.adaptorWrite(ByteBuffer.wrap(b, off, len));
            }
        }

        @Override
        public void close() throws IOException {
            ch.close();
        }
    }

    // ------------------------------------------------------------------ options

    private void setOpt(SocketOption<?> name, Object value) throws SocketException {
        try {
            @SuppressWarnings("unchecked")
            SocketOption<Object> n = (SocketOption<Object>) name;
            ch.setOption(n, value);
        } catch (IOException e) {
            throw toSocketException(e);
        }
    }

    private <T> T getOpt(SocketOption<T> name) throws SocketException {
        try {
            return ch.getOption(name);
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
    public void setTcpNoDelay(boolean on) throws SocketException {
        setOpt(StandardSocketOptions.TCP_NODELAY, on);
    }

    @Override
    public boolean getTcpNoDelay() throws SocketException {
        return getOpt(StandardSocketOptions.TCP_NODELAY);
    }

    @Override
    public void setSoLinger(boolean on, int linger) throws SocketException {
        setOpt(StandardSocketOptions.SO_LINGER, on ? linger : -1);
    }

    @Override
    public int getSoLinger() throws SocketException {
        return getOpt(StandardSocketOptions.SO_LINGER);
    }

    @Override
    public void sendUrgentData(int data) throws IOException {
        Socket k = kernel();
        if (k != null) {
            k.sendUrgentData(data);
            return;
        }
        throw new SocketException("Urgent data not supported");
    }

    @Override
    public void setOOBInline(boolean on) throws SocketException {
        Socket k = kernel();
        if (k != null) {
            k.setOOBInline(on);
            return;
        }
        if (!ch.isOpen()) {
            throw new SocketException("Socket is closed");
        }
    }

    @Override
    public boolean getOOBInline() throws SocketException {
        Socket k = kernel();
        if (k != null) {
            return k.getOOBInline();
        }
        if (!ch.isOpen()) {
            throw new SocketException("Socket is closed");
        }
        return false;
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
        Socket k = kernel();
        if (k != null) {
            k.setSoTimeout(timeout); // its streams read with it
        }
    }

    @Override
    public int getSoTimeout() throws SocketException {
        if (!ch.isOpen()) {
            throw new SocketException("Socket is closed");
        }
        return timeout;
    }

    @Override
    public void setSendBufferSize(int size) throws SocketException {
        if (size <= 0) {
            throw new IllegalArgumentException("Invalid send size");
        }
        setOpt(StandardSocketOptions.SO_SNDBUF, size);
    }

    @Override
    public int getSendBufferSize() throws SocketException {
        return getOpt(StandardSocketOptions.SO_SNDBUF);
    }

    @Override
    public void setReceiveBufferSize(int size) throws SocketException {
        if (size <= 0) {
            throw new IllegalArgumentException("Invalid receive size");
        }
        setOpt(StandardSocketOptions.SO_RCVBUF, size);
    }

    @Override
    public int getReceiveBufferSize() throws SocketException {
        return getOpt(StandardSocketOptions.SO_RCVBUF);
    }

    @Override
    public void setKeepAlive(boolean on) throws SocketException {
        setOpt(StandardSocketOptions.SO_KEEPALIVE, on);
    }

    @Override
    public boolean getKeepAlive() throws SocketException {
        return getOpt(StandardSocketOptions.SO_KEEPALIVE);
    }

    @Override
    public void setTrafficClass(int tc) throws SocketException {
        setOpt(StandardSocketOptions.IP_TOS, tc);
    }

    @Override
    public int getTrafficClass() throws SocketException {
        return getOpt(StandardSocketOptions.IP_TOS);
    }

    @Override
    public void setReuseAddress(boolean on) throws SocketException {
        setOpt(StandardSocketOptions.SO_REUSEADDR, on);
    }

    @Override
    public boolean getReuseAddress() throws SocketException {
        return getOpt(StandardSocketOptions.SO_REUSEADDR);
    }

    @Override
    public <T> Socket setOption(SocketOption<T> name, T value) throws IOException {
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
        // no effect, as on the JDK's sockets
    }

    // ------------------------------------------------------------------ close, state

    @Override
    public void close() throws IOException {
        ch.close();
    }

    @Override
    public void shutdownInput() throws IOException {
        Socket k = kernel();
        if (k != null) {
            k.shutdownInput();
            return;
        }
        try {
            ch.shutdownInput();
        } catch (java.nio.channels.ClosedChannelException e) {
            throw toSocketException(e);
        } catch (java.nio.channels.NotYetConnectedException e) {
            throw new SocketException("Socket is not connected");
        }
    }

    @Override
    public void shutdownOutput() throws IOException {
        Socket k = kernel();
        if (k != null) {
            k.shutdownOutput();
            return;
        }
        try {
            ch.shutdownOutput();
        } catch (java.nio.channels.ClosedChannelException e) {
            throw toSocketException(e);
        } catch (java.nio.channels.NotYetConnectedException e) {
            throw new SocketException("Socket is not connected");
        }
    }

    @Override
    public boolean isConnected() {
        return ch.isConnected();
    }

    @Override
    public boolean isBound() {
        Socket k = kernel();
        return k != null ? k.isBound() : local() != null;
    }

    @Override
    public boolean isClosed() {
        return !ch.isOpen();
    }

    @Override
    public boolean isInputShutdown() {
        return ch.isInputShutdown();
    }

    @Override
    public boolean isOutputShutdown() {
        return ch.isOutputShutdown();
    }

    @Override
    public String toString() {
        if (ch.isConnected()) {
            return "Socket[addr=" + getInetAddress() + ",port=" + getPort() + ",localport=" + getLocalPort() + "]";
        }
        return "Socket[unconnected]";
    }
}
