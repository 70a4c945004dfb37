package dev.overlay.stream.parity;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;

/**
 * One end of a reliable byte stream, as the parity tests see it: the operations a TCP
 * application uses, with the same meaning for a kernel socket and an overlay stream.
 */
interface Conn extends Closeable {
    /** Blocking input (TCP: the socket's stream; overlay: {@code OverlayStream.getInputStream()}). */
    InputStream in() throws IOException;

    /** Blocking output. */
    OutputStream out() throws IOException;

    /** Half-close: everything written so far is delivered, then the peer reads end of stream. */
    void shutdownOutput() throws IOException;

    /** Local reads return end of stream from now on. */
    void shutdownInput() throws IOException;

    /** Graceful close. */
    @Override
    void close() throws IOException;

    /**
     * Abortive close: TCP {@code setSoLinger(true, 0)} then {@code close()} (the kernel sends an
     * RST); overlay {@code reset(StreamError.APPLICATION_MIN)} (a RESET_STREAM).
     */
    void abort() throws IOException;

    /** Blocking reads wait at most this long, then throw {@link java.net.SocketTimeoutException}. */
    void setReadTimeout(Duration timeout) throws IOException;

    /** Bytes readable now without blocking. */
    int available() throws IOException;
}
