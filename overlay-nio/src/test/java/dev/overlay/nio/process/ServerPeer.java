package dev.overlay.nio.process;

import com.sun.net.httpserver.HttpServer;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.spi.SelectorProvider;
import java.util.concurrent.TimeUnit;

/**
 * The server JVM of the process tests, started by {@link ProcessOverlay}: unchanged servers on
 * overlay-only ports, with nothing but the provider property and {@code overlay.*} properties on
 * its command line ({@code overlay.serve} makes {@link ProcessOverlay#HTTP_PORT} and
 * {@link ProcessOverlay#NETTY_PORT} overlay ports that open no kernel socket).
 *
 * <ul>
 *   <li>{@code com.sun.net.httpserver.HttpServer} on {@code 0.0.0.0:}{@value ProcessOverlay#HTTP_PORT},
 *       answering as {@code "http-overlay"};
 *   <li>a Netty NIO HTTP server on {@code 0.0.0.0:}{@value ProcessOverlay#NETTY_PORT}, answering as
 *       {@code "netty-overlay"}.
 * </ul>
 *
 * <p>Prints {@code READY} once both are bound, then runs until its standard input ends.
 */
public final class ServerPeer {
    private ServerPeer() {}

    public static void main(String[] args) throws IOException, InterruptedException {
        HttpServer http = Replies.httpServer("http-overlay", new InetSocketAddress(ProcessOverlay.HTTP_PORT));
        EventLoopGroup boss = new NioEventLoopGroup(1);
        EventLoopGroup workers = new NioEventLoopGroup(2);
        Channel netty = NettyHttp.serve(boss, workers, new InetSocketAddress(ProcessOverlay.NETTY_PORT), "netty-overlay");
        System.out.println("provider " + SelectorProvider.provider().getClass().getName());
        System.out.println("READY http=" + ProcessOverlay.HTTP_PORT + " netty=" + ProcessOverlay.NETTY_PORT);
        System.out.flush();
        try {
            while (System.in.read() >= 0) {
                // until the test JVM closes our standard input (or ends)
            }
        } finally {
            http.stop(0);
            netty.close().await(5, TimeUnit.SECONDS);
            boss.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
            workers.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
            System.out.println("stopped");
        }
    }
}
