package dev.overlay.stream;

import dev.overlay.identity.NodeId;
import java.net.ConnectException;

/**
 * Opening a stream was refused by the peer: nobody listens on the port ("connection refused"),
 * the listener's allow-list does not admit this node ("not allowed"), or it is at a limit.
 */
public final class StreamRefusedException extends ConnectException {
    private static final long serialVersionUID = 1L;
    private final long code;

    public StreamRefusedException(NodeId peer, int port, long code) {
        super(message(peer, port, code));
        this.code = code;
    }

    private static String message(NodeId peer, int port, long code) {
        String where = peer.shortName() + ":" + port;
        if (code == StreamError.NOT_ALLOWED) {
            return "not allowed: " + where + " does not accept this node's key";
        }
        if (code == StreamError.REFUSED) {
            return "connection refused: nothing listens on " + where;
        }
        return "connection refused: " + where + ": " + StreamError.describe(code);
    }

    /** The {@link StreamError} code the peer gave. */
    public long code() {
        return code;
    }

    /** True when the listener exists but its allow-list does not admit this node's key. */
    public boolean notAllowed() {
        return code == StreamError.NOT_ALLOWED;
    }
}
