package dev.overlay.management;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

@Name("dev.overlay.PathChange")
@Label("Overlay Path Change")
@Category("Overlay")
@Description("Packets to a peer take another path now: relay to direct, one direct address to another, direct to relay")
@StackTrace(false)
final class PathChangeEvent extends jdk.jfr.Event {
    @Label("Node")
    @Description("This node's name")
    String node;

    @Label("Peer")
    @Description("The peer's name")
    String peer;

    @Label("Path Kind")
    @Description("The new path: direct or relay")
    String pathKind;

    @Label("Remote Address")
    @Description("The new path's UDP address (the relay's when relayed)")
    String remoteAddress;

    @Label("Previous Path Kind")
    @Description("direct, relay, or none for the first path")
    String previousPathKind;

    @Label("Previous Remote Address")
    @Description("The previous path's UDP address; empty for the first path")
    String previousRemoteAddress;

    @Label("Validated")
    @Description("The new path is a direct address that passed validation")
    boolean validated;
}
