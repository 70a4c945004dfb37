package dev.overlay.management;

import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;

@Name("dev.overlay.StreamClose")
@Label("Overlay Stream Close")
@Category("Overlay")
@Description("A stream finished (both directions done, reset, or failed) and was forgotten")
@StackTrace(false)
final class StreamCloseEvent extends jdk.jfr.Event {
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

    @Label("Bytes Sent")
    @DataAmount(DataAmount.BYTES)
    long bytesSent;

    @Label("Bytes Received")
    @DataAmount(DataAmount.BYTES)
    long bytesReceived;

    @Label("Lifetime")
    @Description("From the stream's creation to its end")
    @Timespan(Timespan.NANOSECONDS)
    long lifetime;

    @Label("Outcome")
    @Description("closed (clean end both ways), reset, refused, or the failure")
    String outcome;
}
