package dev.overlay.management;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;

@Name("dev.overlay.Handshake")
@Label("Overlay Handshake")
@Category("Overlay")
@Description("A Noise IK handshake with a peer completed, or gave up (no response for rekey-attempt-time)")
@StackTrace(false)
final class HandshakeEvent extends jdk.jfr.Event {
    @Label("Node")
    @Description("This node's name")
    String node;

    @Label("Peer")
    @Description("The peer's name")
    String peer;

    @Label("Role")
    @Description("initiator or responder; unknown when the handshake gave up")
    String role;

    @Label("Outcome")
    @Description("established, or unreachable when no response came")
    String outcome;

    @Label("Path Kind")
    @Description("direct, relay or none")
    String pathKind;

    @Label("Remote Address")
    @Description("The UDP address packets to the peer go to (the relay's when relayed)")
    String remoteAddress;

    @Label("Handshake Duration")
    @Description("From the first initiation to completion (initiator), or from the response to its confirmation (responder); 0 when unknown")
    @Timespan(Timespan.NANOSECONDS)
    long handshakeDuration;

    @Label("Round Trip")
    @Description("The round trip the handshake measured; 0 when unknown")
    @Timespan(Timespan.NANOSECONDS)
    long rtt;

    @Label("Handshakes With Peer")
    @Description("Handshakes completed with this peer so far")
    long handshakes;
}
