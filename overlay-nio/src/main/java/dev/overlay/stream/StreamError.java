package dev.overlay.stream;

/**
 * Error codes carried in RESET_STREAM, STOP_SENDING and CONNECTION_CLOSE frames. Codes below 0x100
 * are the stream layer's own; applications choose codes from 0x100 up for {@code reset(code)}.
 */
public final class StreamError {
    private StreamError() {}

    /** Closed without an error (an abortive close of a stream with unread data). */
    public static final long NO_ERROR = 0x0;
    /** OPEN for a port with no listener: the opener sees "connection refused". */
    public static final long REFUSED = 0x1;
    /** OPEN from a key the listener's allow-list does not admit: the opener sees "not allowed". */
    public static final long NOT_ALLOWED = 0x2;
    /** The listener's accept backlog was full. */
    public static final long BACKLOG_FULL = 0x3;
    /** The peer already has the most concurrent streams this node admits. */
    public static final long STREAM_LIMIT = 0x4;
    /** The stream's other side no longer exists (it restarted, or closed and forgot the stream). */
    public static final long UNKNOWN_STREAM = 0x5;
    /** The peer sent more than the advertised flow-control window (a protocol violation). */
    public static final long FLOW_CONTROL = 0x6;
    /** A frame or ACK that cannot be valid (connection close code). */
    public static final long PROTOCOL_VIOLATION = 0x7;
    /** The local side is shutting down (connection close code). */
    public static final long SHUTDOWN = 0x8;
    /** The peer contradicted a stream's final size (RFC 9000 4.5). */
    public static final long FINAL_SIZE = 0x9;
    /** First code applications may use. */
    public static final long APPLICATION_MIN = 0x100;

    /** A short description for error messages. */
    public static String describe(long code) {
        if (code == NO_ERROR) {
            return "closed";
        } else if (code == REFUSED) {
            return "refused: no listener on that port";
        } else if (code == NOT_ALLOWED) {
            return "not allowed: the listener does not accept this node's key";
        } else if (code == BACKLOG_FULL) {
            return "refused: the listener's accept backlog is full";
        } else if (code == STREAM_LIMIT) {
            return "refused: too many concurrent streams";
        } else if (code == UNKNOWN_STREAM) {
            return "reset: the peer no longer knows this stream (did it restart?)";
        } else if (code == FLOW_CONTROL) {
            return "flow-control violation";
        } else if (code == PROTOCOL_VIOLATION) {
            return "protocol violation";
        } else if (code == FINAL_SIZE) {
            return "final size error";
        } else if (code == SHUTDOWN) {
            return "the node shut down";
        }
        return "application error " + code;
    }
}
