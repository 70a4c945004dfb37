package dev.overlay.management;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;

@Name("dev.overlay.StreamOpen")
@Label("Overlay Stream Open")
@Category("Overlay")
@Description("A stream to or from a peer opened, or its opening was refused")
@StackTrace(false)
final class StreamOpenEvent extends jdk.jfr.Event {
    @Label("Node")
    @Description("This node's name")
    String node;

    @Label("Peer")
    @Description("The peer's name")
    String peer;

    @Label("Stream Id")
    long streamId;

    @Label("Port")
    @Description("The overlay port")
    int port;

    @Label("Direction")
    @Description("inbound (the peer opened it) or outbound")
    String direction;

    @Label("Path Kind")
    @Description("direct, relay or none")
    String pathKind;

    @Label("Remote Address")
    @Description("The UDP address packets to the peer go to (the relay's when relayed)")
    String remoteAddress;

    @Label("Open Duration")
    @Description("Outbound: from the open to the peer's answer; 0 for inbound streams")
    @Timespan(Timespan.NANOSECONDS)
    long openDuration;

    @Label("Outcome")
    @Description("opened, or refused: why")
    String outcome;
}
