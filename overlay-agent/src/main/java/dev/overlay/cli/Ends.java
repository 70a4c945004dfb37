package dev.overlay.cli;

import dev.overlay.stream.OverlayStream;
import dev.overlay.stream.StreamError;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;

/** {@link Pipe.End} for kernel sockets and overlay streams. */
final class Ends {
    private Ends() {}

    static Pipe.End of(Socket s) {
        return new Pipe.End() {
            @Override
            public InputStream in() throws IOException {
                return s.getInputStream();
            }

            @Override
            public OutputStream out() throws IOException {
                return s.getOutputStream();
            }

            @Override
            public void shutdownOutput() throws IOException {
                if (!s.isClosed() && !s.isOutputShutdown()) {
                    s.shutdownOutput();
                }
            }

            @Override
            public void abort() {
                try {
                    s.setSoLinger(true, 0); // close with RST, as a failed TCP relay should
                } catch (IOException e) {
                    // closing anyway
                }
                close();
            }

            @Override
            public void close() {
                try {
                    s.close();
                } catch (IOException e) {
                    // nothing more to do
                }
            }
        };
    }

    static Pipe.End of(OverlayStream s) {
        return new Pipe.End() {
            @Override
            public InputStream in() {
                return s.getInputStream();
            }

            @Override
            public OutputStream out() {
                return s.getOutputStream();
            }

            @Override
            public void shutdownOutput() {
                s.shutdownOutput();
            }

            @Override
            public void abort() {
                s.reset(StreamError.APPLICATION_MIN);
            }

            @Override
            public void close() {
                s.close();
            }
        };
    }
}
