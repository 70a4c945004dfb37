package dev.overlay.stream;

/**
 * Cumulative stream-layer counters toward one peer, kept across that peer's connections (a
 * restart or an idle connection dropped and made again). Written by the event loop only.
 */
final class PeerTotals {
    long streamsOpened;
    long streamsRefused;
    long streamsClosed;
    long bytesSent;
    long bytesReceived;
    long bytesRetransmitted;
    long packetsSent;
    long packetsLost;
}
