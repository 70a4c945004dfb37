package dev.overlay.stream;

import dev.overlay.identity.NodeId;

/**
 * Stream-layer statistics toward one peer at one moment, safe to hand to other threads. Counters
 * add up over all connections to the peer since the node started (or since it last forgot the
 * peer); RTTs and the path MTU are the current connection's. Times are nanoseconds, -1 when no
 * connection has an RTT sample yet.
 *
 * @param peer the peer's key
 * @param openStreams streams open now
 * @param streamsOpened streams opened, both directions (refused ones not counted)
 * @param streamsRefused streams that were refused, both directions
 * @param streamsClosed streams finished (cleanly, reset, or failed)
 * @param bytesSent new stream bytes sent (retransmissions not counted)
 * @param bytesReceived stream bytes received (duplicates not counted)
 * @param bytesRetransmitted stream bytes sent again after their packet was declared lost
 * @param packetsSent stream-layer packets sent (ACK-only and probe packets included)
 * @param packetsLost packets declared lost by loss detection (RFC 9002)
 * @param smoothedRtt the connection's smoothed RTT, or -1
 * @param minRtt the connection's minimum RTT, or -1
 * @param latestRtt the connection's latest RTT sample, or -1
 * @param pathMtu the datagram size in use (0 without a connection)
 */
public record StreamStats(NodeId peer, int openStreams, long streamsOpened, long streamsRefused, long streamsClosed,
                          long bytesSent, long bytesReceived, long bytesRetransmitted, long packetsSent,
                          long packetsLost, long smoothedRtt, long minRtt, long latestRtt, int pathMtu) {}
