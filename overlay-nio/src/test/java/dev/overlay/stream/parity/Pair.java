package dev.overlay.stream.parity;

import java.io.IOException;

/** A connected pair: {@code client} opened the connection, {@code server} accepted it. */
record Pair(Conn client, Conn server) implements AutoCloseable {
    @Override
    public void close() throws IOException {
        try {
            client.close();
        } finally {
            server.close();
        }
    }
}
