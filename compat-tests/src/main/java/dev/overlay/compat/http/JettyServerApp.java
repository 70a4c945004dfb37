package dev.overlay.compat.http;

import java.nio.ByteBuffer;
import java.util.Map;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Promise;

/** Jetty 12 with a core {@code Handler} (no servlets) on the wildcard address: args {@code PORT}. */
public final class JettyServerApp {
    private JettyServerApp() {}

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        Server server = new Server();
        ServerConnector connector = new ServerConnector(server);
        connector.setPort(port);
        server.addConnector(connector);
        server.setHandler(new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
                Content.Source.asByteBuffer(request, new Promise<ByteBuffer>() {
                    @Override
                    public void succeeded(ByteBuffer buffer) {
                        byte[] body = new byte[buffer.remaining()];
                        buffer.get(body);
                        Exchange.Answer a = Exchange.answer(request.getMethod(), request.getHttpURI().getPath(),
                                request.getHttpURI().getQuery(), body,
                                request.getConnectionMetaData().getRemoteSocketAddress());
                        response.setStatus(a.status());
                        for (Map.Entry<String, String> h : a.headers().entrySet()) {
                            response.getHeaders().put(h.getKey(), h.getValue());
                        }
                        response.getHeaders().put("Content-Length", Long.toString(a.body().length));
                        response.write(true, ByteBuffer.wrap(a.body()), callback);
                    }

                    @Override
                    public void failed(Throwable failure) {
                        callback.failed(failure);
                    }
                });
                return true;
            }
        });
        server.start();
        Exchange.ready(connector.getLocalPort());
        server.join();
    }
}
