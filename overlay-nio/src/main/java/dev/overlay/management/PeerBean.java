package dev.overlay.management;

import dev.overlay.identity.NodeId;
import dev.overlay.node.Endpoints;
import dev.overlay.node.PeerSnapshot;
import dev.overlay.stream.StreamStats;
import java.net.InetSocketAddress;
import java.util.function.ToLongFunction;

/** {@link PeerMXBean} over a node's snapshots. */
final class PeerBean implements PeerMXBean {
    private final NodeManagement m;
    private final NodeId id;

    PeerBean(NodeManagement m, NodeId id) {
        this.m = m;
        this.id = id;
    }

    private PeerSnapshot p() {
        return m.peer(id);
    }

    private long streams(ToLongFunction<StreamStats> f) {
        StreamStats s = p().streams();
        return s == null ? 0 : f.applyAsLong(s);
    }

    private static double millis(long nanos) {
        return nanos < 0 ? -1 : nanos / 1e6;
    }

    private static double seconds(long nanos) {
        return nanos < 0 ? -1 : nanos / 1e9;
    }

    private static String format(InetSocketAddress a) {
        return a == null ? "" : Endpoints.format(a);
    }

    @Override
    public String getName() {
        return id.name();
    }

    @Override
    public String getHandle() {
        return id.handle().getHostAddress();
    }

    @Override
    public String getNode() {
        return m.node().id().name();
    }

    @Override
    public String getPathKind() {
        return p().pathKind();
    }

    @Override
    public String getRemoteAddress() {
        return format(p().remoteAddress());
    }

    @Override
    public String getRelayAddress() {
        return format(p().relayAddress());
    }

    @Override
    public boolean isValidated() {
        return p().session().validated();
    }

    @Override
    public boolean isEstablished() {
        return p().session().established();
    }

    @Override
    public boolean isHandshaking() {
        return p().session().handshaking();
    }

    @Override
    public double getRttMillis() {
        return millis(p().rttNanos());
    }

    @Override
    public double getMinRttMillis() {
        return millis(p().minRttNanos());
    }

    @Override
    public String getRttSource() {
        return p().rttSource();
    }

    @Override
    public double getHandshakeRttMillis() {
        return millis(p().session().handshakeRtt());
    }

    @Override
    public long getBytesSent() {
        return p().session().wireBytesOut();
    }

    @Override
    public long getBytesReceived() {
        return p().session().wireBytesIn();
    }

    @Override
    public long getDatagramsSent() {
        return p().session().datagramsOut();
    }

    @Override
    public long getDatagramsReceived() {
        return p().session().datagramsIn();
    }

    @Override
    public long getStreamBytesSent() {
        return streams(StreamStats::bytesSent);
    }

    @Override
    public long getStreamBytesReceived() {
        return streams(StreamStats::bytesReceived);
    }

    @Override
    public long getBytesRetransmitted() {
        return streams(StreamStats::bytesRetransmitted);
    }

    @Override
    public long getPacketsSent() {
        return streams(StreamStats::packetsSent);
    }

    @Override
    public long getPacketsLost() {
        return streams(StreamStats::packetsLost);
    }

    @Override
    public int getOpenStreams() {
        return (int) streams(StreamStats::openStreams);
    }

    @Override
    public long getStreamsOpened() {
        return streams(StreamStats::streamsOpened);
    }

    @Override
    public long getStreamsRefused() {
        return streams(StreamStats::streamsRefused);
    }

    @Override
    public long getStreamsClosed() {
        return streams(StreamStats::streamsClosed);
    }

    @Override
    public long getHandshakesCompleted() {
        return p().session().handshakes();
    }

    @Override
    public double getSessionAgeSeconds() {
        return seconds(p().session().sessionAge());
    }

    @Override
    public double getLastReceivedAgeSeconds() {
        return seconds(p().session().lastReceivedAge());
    }

    @Override
    public int getPathMtu() {
        return (int) streams(StreamStats::pathMtu);
    }
}
