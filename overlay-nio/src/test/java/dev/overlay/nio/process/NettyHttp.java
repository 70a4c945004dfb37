package dev.overlay.nio.process;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Netty's NIO transport, used as any application uses it ({@code NioEventLoopGroup},
 * {@code NioServerSocketChannel}, {@code NioSocketChannel}, no provider named): an HTTP/1.1 server
 * answering {@link Replies#reply}, and a keep-alive client connection sending one request at a
 * time.
 */
final class NettyHttp {
    static final int MAX_BODY = 16 * 1024 * 1024;

    private NettyHttp() {}

    /** An HTTP server on {@code bind}; on an {@code overlay.serve} port it accepts overlay connections only. */
    static Channel serve(EventLoopGroup boss, EventLoopGroup workers, InetSocketAddress bind, String name)
            throws InterruptedException {
        return new ServerBootstrap()
                .group(boss, workers)
                .channel(NioServerSocketChannel.class)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(MAX_BODY),
                                new Answer(name));
                    }
                })
                .bind(bind).sync().channel();
    }

    private static final class Answer extends SimpleChannelInboundHandler<FullHttpRequest> {
        private final String name;

        Answer(String name) {
            this.name = name;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
            byte[] body = ByteBufUtil.getBytes(req.content());
            byte[] out = Replies.reply(name, req.method().name(), req.uri(), ctx.channel().remoteAddress(), body)
                    .getBytes(StandardCharsets.UTF_8);
            FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                    Unpooled.wrappedBuffer(out));
            res.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
            HttpUtil.setContentLength(res, out.length);
            boolean keepAlive = HttpUtil.isKeepAlive(req);
            if (keepAlive) {
                res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
                ctx.writeAndFlush(res);
            } else {
                ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    /** One keep-alive HTTP/1.1 client connection; {@link #request} sends one request at a time. */
    static final class Client implements AutoCloseable {
        private final Channel channel;
        private final String host;
        private final Handler handler;

        private Client(Channel channel, String host, Handler handler) {
            this.channel = channel;
            this.host = host;
            this.handler = handler;
        }

        /** Connects through {@code group}'s channels (the process provider's), waiting at most {@code timeout}. */
        static Client connect(EventLoopGroup group, InetSocketAddress target, Duration timeout) throws Exception {
            Handler handler = new Handler();
            Bootstrap b = new Bootstrap()
                    .group(group)
                    .channel(NioSocketChannel.class)
                    .option(ChannelOption.TCP_NODELAY, true)
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) timeout.toMillis())
                    .handler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(MAX_BODY), handler);
                        }
                    });
            ChannelFuture f = b.connect(target);
            if (!f.await(timeout.toMillis() + 1000, TimeUnit.MILLISECONDS)) {
                f.cancel(true);
                throw new TimeoutException("connect to " + target + " did not finish within " + timeout);
            }
            if (!f.isSuccess()) {
                Throwable cause = f.cause();
                if (cause instanceof Exception e) {
                    throw e;
                }
                throw new IOException(cause);
            }
            return new Client(f.channel(), target.getAddress().getHostAddress(), handler);
        }

        Channel channel() {
            return channel;
        }

        /** Sends one request and waits at most {@code timeout} for its response body. */
        String request(HttpMethod method, String uri, byte[] body, Duration timeout) throws Exception {
            CompletableFuture<String> response = new CompletableFuture<>();
            handler.pending = response;
            FullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, method, uri,
                    Unpooled.wrappedBuffer(body));
            req.headers().set(HttpHeaderNames.HOST, host.contains(":") ? "[" + host + "]" : host);
            req.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
            HttpUtil.setContentLength(req, body.length);
            channel.writeAndFlush(req).addListener(f -> {
                if (!f.isSuccess()) {
                    response.completeExceptionally(f.cause());
                }
            });
            try {
                return response.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (ExecutionException e) {
                if (e.getCause() instanceof Exception x) {
                    throw x;
                }
                throw e;
            }
        }

        @Override
        public void close() throws InterruptedException {
            channel.close().await(10, TimeUnit.SECONDS);
        }
    }

    private static final class Handler extends SimpleChannelInboundHandler<FullHttpResponse> {
        volatile CompletableFuture<String> pending;

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse res) {
            CompletableFuture<String> p = pending;
            if (p == null) {
                return;
            }
            if (res.status().code() != 200) {
                p.completeExceptionally(new IOException("HTTP " + res.status()));
            } else {
                p.complete(res.content().toString(StandardCharsets.UTF_8));
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            CompletableFuture<String> p = pending;
            if (p != null) {
                p.completeExceptionally(new ClosedChannelException());
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            CompletableFuture<String> p = pending;
            if (p != null) {
                p.completeExceptionally(cause);
            }
            ctx.close();
        }
    }
}
