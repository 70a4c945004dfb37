package dev.overlay.compat.http;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.io.IOException;
import java.net.URI;
import java.nio.channels.ClosedChannelException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Netty's NIO transport with {@code HttpClientCodec} and {@code HttpObjectAggregator}; one request
 * at a time per connection, idle connections kept per host and port and reused (keep-alive), new
 * ones opened for concurrent requests: args {@code URL_BASE...}.
 */
public final class NettyClientApp {
    private NettyClientApp() {}

    /** A connection and the request in flight on it. */
    private static final class Conn extends SimpleChannelInboundHandler<FullHttpResponse> {
        final String key;
        Channel channel;
        CompletableFuture<ClientRun.Reply> pending;

        Conn(String key) {
            this.key = key;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse res) {
            Map<String, String> h = new TreeMap<>();
            res.headers().forEach(e -> h.putIfAbsent(e.getKey(), e.getValue()));
            CompletableFuture<ClientRun.Reply> f = take();
            boolean keepAlive = HttpUtil.isKeepAlive(res);
            if (!keepAlive) {
                ctx.close();
            } else {
                release(this);
            }
            if (f != null) {
                f.complete(new ClientRun.Reply(res.status().code(), h, ByteBufUtil.getBytes(res.content())));
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            forget(this);
            CompletableFuture<ClientRun.Reply> f = take();
            if (f != null) {
                f.completeExceptionally(new ClosedChannelException());
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            CompletableFuture<ClientRun.Reply> f = take();
            if (f != null) {
                f.completeExceptionally(cause);
            }
            ctx.close();
        }

        synchronized CompletableFuture<ClientRun.Reply> take() {
            CompletableFuture<ClientRun.Reply> f = pending;
            pending = null;
            return f;
        }
    }

    private static final Map<String, Deque<Conn>> IDLE = new TreeMap<>();
    private static EventLoopGroup group;

    private static void release(Conn c) {
        synchronized (IDLE) {
            IDLE.computeIfAbsent(c.key, k -> new ArrayDeque<>()).push(c);
        }
    }

    private static void forget(Conn c) {
        synchronized (IDLE) {
            Deque<Conn> q = IDLE.get(c.key);
            if (q != null) {
                q.remove(c);
            }
        }
    }

    private static Conn idle(String key) {
        synchronized (IDLE) {
            Deque<Conn> q = IDLE.get(key);
            while (q != null && !q.isEmpty()) {
                Conn c = q.pop();
                if (c.channel.isActive()) {
                    return c;
                }
            }
            return null;
        }
    }

    public static void main(String[] args) {
        group = new NioEventLoopGroup(2);
        ClientRun.run("netty-client", args, new ClientRun.Client() {
            @Override
            public CompletableFuture<ClientRun.Reply> send(URI uri, byte[] body) {
                int port = uri.getPort() < 0 ? 80 : uri.getPort();
                String key = uri.getHost() + ":" + port;
                FullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1,
                        body == null ? HttpMethod.GET : HttpMethod.POST, uri.getRawPath()
                        + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery()),
                        body == null ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(body));
                req.headers().set(HttpHeaderNames.HOST, key);
                req.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
                HttpUtil.setContentLength(req, body == null ? 0 : body.length);
                CompletableFuture<ClientRun.Reply> f = new CompletableFuture<>();
                Conn idle = idle(key);
                if (idle != null) {
                    write(idle, req, f);
                } else {
                    Conn c = new Conn(key);
                    ChannelFuture cf = new Bootstrap().group(group).channel(NioSocketChannel.class)
                            .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) ClientRun.CONNECT_TIMEOUT.toMillis())
                            .handler(new ChannelInitializer<SocketChannel>() {
                                @Override
                                protected void initChannel(SocketChannel ch) {
                                    ch.pipeline().addLast(new HttpClientCodec(),
                                            new HttpObjectAggregator(Exchange.MAX_BODY), c);
                                }
                            })
                            .connect(uri.getHost(), port);
                    c.channel = cf.channel();
                    cf.addListener(done -> {
                        if (done.isSuccess()) {
                            write(c, req, f);
                        } else {
                            req.release();
                            f.completeExceptionally(done.cause());
                        }
                    });
                }
                return f.orTimeout(ClientRun.REQUEST_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            }

            @Override
            public void close() {
                group.shutdownGracefully(0, 5, TimeUnit.SECONDS);
            }
        });
    }

    private static void write(Conn c, FullHttpRequest req, CompletableFuture<ClientRun.Reply> f) {
        synchronized (c) {
            c.pending = f;
        }
        f.whenComplete((r, t) -> {
            if (t != null) {
                c.channel.close();
            }
        });
        c.channel.writeAndFlush(req).addListener(done -> {
            if (!done.isSuccess()) {
                CompletableFuture<ClientRun.Reply> p = c.take();
                if (p != null) {
                    p.completeExceptionally(done.cause() instanceof IOException ? done.cause()
                            : new IOException("write failed", done.cause()));
                }
            }
        });
    }
}
