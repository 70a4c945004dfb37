package dev.overlay.management;

import dev.overlay.identity.NodeId;
import dev.overlay.session.Path;
import dev.overlay.session.PeerStats;
import dev.overlay.session.SessionEvent;
import java.net.InetSocketAddress;

/**
 * Emits the overlay's JDK Flight Recorder events (docs/observability.md). Each method first asks
 * the event whether it is enabled, so with no recording running it only allocates an empty event
 * object (usually eliminated by the JIT) and builds no strings. Called on a node's event loop.
 */
public final class FlightEvents {
    private FlightEvents() {}

    /**
     * A session event: a handshake (ESTABLISHED_*, UNREACHABLE) or a path change (PATH_CHANGED).
     * Other kinds emit nothing.
     *
     * @param stats the peer's statistics now (for the handshake's timing), or null
     */
    public static void session(NodeId self, SessionEvent e, PeerStats stats) {
        switch (e.kind()) {
            case ESTABLISHED_AS_INITIATOR, ESTABLISHED_AS_RESPONDER, UNREACHABLE -> handshake(self, e, stats);
            case PATH_CHANGED -> pathChange(self, e, stats);
            default -> { }
        }
    }

    private static void handshake(NodeId self, SessionEvent e, PeerStats stats) {
        HandshakeEvent ev = new HandshakeEvent();
        if (!ev.isEnabled()) {
            return;
        }
        ev.node = self.name();
        ev.peer = e.peer().name();
        ev.role = switch (e.kind()) {
            case ESTABLISHED_AS_INITIATOR -> "initiator";
            case ESTABLISHED_AS_RESPONDER -> "responder";
            default -> "unknown";
        };
        ev.outcome = e.kind() == SessionEvent.Kind.UNREACHABLE ? "unreachable" : "established";
        ev.pathKind = kind(e.path());
        ev.remoteAddress = address(e.endpoint());
        if (stats != null && e.kind() != SessionEvent.Kind.UNREACHABLE) {
            ev.handshakeDuration = Math.max(0, stats.handshakeDuration());
            ev.rtt = Math.max(0, stats.handshakeRtt());
            ev.handshakes = stats.handshakes();
        } else if (stats != null) {
            ev.handshakes = stats.handshakes();
        }
        ev.commit();
    }

    private static void pathChange(NodeId self, SessionEvent e, PeerStats stats) {
        PathChangeEvent ev = new PathChangeEvent();
        if (!ev.isEnabled()) {
            return;
        }
        ev.node = self.name();
        ev.peer = e.peer().name();
        ev.pathKind = kind(e.path());
        ev.remoteAddress = e.path() == null ? "" : address(e.path().address());
        ev.previousPathKind = kind(e.previousPath());
        ev.previousRemoteAddress = e.previousPath() == null ? "" : address(e.previousPath().address());
        ev.validated = stats != null && e.path() != null && e.path().equals(stats.path()) && stats.validated();
        ev.commit();
    }

    /** A stream opened (refusal null) or was refused. */
    public static void streamOpen(NodeId self, NodeId peer, Path path, long streamId, int port, boolean inbound,
                                  long durationNanos, String refusal) {
        StreamOpenEvent ev = new StreamOpenEvent();
        if (!ev.isEnabled()) {
            return;
        }
        ev.node = self.name();
        ev.peer = peer.name();
        ev.streamId = streamId;
        ev.port = port;
        ev.direction = inbound ? "inbound" : "outbound";
        ev.pathKind = kind(path);
        ev.remoteAddress = path == null ? "" : address(path.address());
        ev.openDuration = Math.max(0, durationNanos);
        ev.outcome = refusal == null ? "opened" : refusal;
        ev.commit();
    }

    /** A stream finished and was forgotten. */
    public static void streamClose(NodeId self, NodeId peer, long streamId, int port, boolean inbound, String outcome,
                                   long lifetimeNanos, long bytesSent, long bytesReceived) {
        StreamCloseEvent ev = new StreamCloseEvent();
        if (!ev.isEnabled()) {
            return;
        }
        ev.node = self.name();
        ev.peer = peer.name();
        ev.streamId = streamId;
        ev.port = port;
        ev.direction = inbound ? "inbound" : "outbound";
        ev.bytesSent = bytesSent;
        ev.bytesReceived = bytesReceived;
        ev.lifetime = Math.max(0, lifetimeNanos);
        ev.outcome = outcome;
        ev.commit();
    }

    /** Whether a StreamOpen event would be recorded now (lets callers skip looking up the path). */
    public static boolean streamOpenEnabled() {
        return new StreamOpenEvent().isEnabled();
    }

    private static String kind(Path p) {
        return p == null ? "none" : p.kind();
    }

    private static String address(InetSocketAddress a) {
        return a == null ? "" : Path.format(a);
    }
}
