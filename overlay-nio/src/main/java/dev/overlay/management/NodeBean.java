package dev.overlay.management;

import dev.overlay.node.Endpoints;
import dev.overlay.node.NodeSnapshot;
import dev.overlay.node.PeerSnapshot;
import dev.overlay.rendezvous.RendezvousClient;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.ToLongFunction;

/** {@link NodeMXBean} over a node's snapshots. */
final class NodeBean implements NodeMXBean {
    private final NodeManagement m;

    NodeBean(NodeManagement m) {
        this.m = m;
    }

    private NodeSnapshot s() {
        return m.snapshot();
    }

    private long sumStreams(ToLongFunction<dev.overlay.stream.StreamStats> f) {
        long sum = 0;
        for (PeerSnapshot p : s().peers()) {
            if (p.streams() != null) {
                sum += f.applyAsLong(p.streams());
            }
        }
        return sum;
    }

    @Override
    public String getName() {
        return m.node().id().name();
    }

    @Override
    public String getHandle() {
        return m.node().id().handle().getHostAddress();
    }

    @Override
    public String getUdpAddress() {
        return Endpoints.format(m.node().localAddress());
    }

    @Override
    public boolean isRendezvousServer() {
        return s().rendezvousServer();
    }

    @Override
    public String[] getRendezvousServers() {
        return s().rendezvous().stream().map(NodeBean::describe).toArray(String[]::new);
    }

    static String describe(RendezvousClient.ServerStatus r) {
        StringBuilder b = new StringBuilder(Endpoints.format(r.address())).append(r.up() ? " up" : " down");
        if (r.reflexive() != null) {
            b.append(" reflexive ").append(Endpoints.format(r.reflexive()));
        }
        if (r.key() != null) {
            b.append(" key ").append(r.key().name());
        }
        return b.toString();
    }

    @Override
    public int getPeerCount() {
        return s().peers().size();
    }

    @Override
    public int getSessionCount() {
        return (int) s().peers().stream().filter(p -> p.session().established()).count();
    }

    @Override
    public String[] getPeers() {
        return s().peers().stream().map(p -> p.session().id().name()).toArray(String[]::new);
    }

    @Override
    public int getOpenStreams() {
        return s().openStreams();
    }

    @Override
    public long getStreamsOpened() {
        return sumStreams(dev.overlay.stream.StreamStats::streamsOpened);
    }

    @Override
    public long getDatagramsIn() {
        return s().datagramsIn();
    }

    @Override
    public long getDatagramsOut() {
        return s().datagramsOut();
    }

    @Override
    public String getUdpSendOffload() {
        return s().udpSendOffload();
    }

    @Override
    public long getUdpSendCalls() {
        return s().udpSendCalls();
    }

    @Override
    public String getUdpReceiveOffload() {
        return s().udpReceiveOffload();
    }

    @Override
    public long getUdpReceiveCalls() {
        return s().udpReceiveCalls();
    }

    @Override
    public long getBytesIn() {
        return s().bytesIn();
    }

    @Override
    public long getBytesOut() {
        return s().bytesOut();
    }

    @Override
    public long getStreamBytesSent() {
        return sumStreams(dev.overlay.stream.StreamStats::bytesSent);
    }

    @Override
    public long getStreamBytesReceived() {
        return sumStreams(dev.overlay.stream.StreamStats::bytesReceived);
    }

    @Override
    public long getBytesRetransmitted() {
        return sumStreams(dev.overlay.stream.StreamStats::bytesRetransmitted);
    }

    @Override
    public long getPacketsLost() {
        return sumStreams(dev.overlay.stream.StreamStats::packetsLost);
    }

    @Override
    public long getHandshakesCompleted() {
        return s().handshakesCompleted();
    }

    @Override
    public long getRelayedIn() {
        return s().relayedIn();
    }

    @Override
    public long getRelayedOut() {
        return s().relayedOut();
    }

    @Override
    public Map<String, Long> getDrops() {
        return new TreeMap<>(s().drops());
    }

    @Override
    public long getTotalDrops() {
        return s().totalDrops();
    }

    @Override
    public long getRelayDrops() {
        return s().relayDrops();
    }

    @Override
    public long getUnhandledPayloads() {
        return s().unhandledPayloads();
    }

    @Override
    public long getUptimeSeconds() {
        return s().uptimeNanos() / 1_000_000_000L;
    }
}
