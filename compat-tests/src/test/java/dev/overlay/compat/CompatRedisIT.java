package dev.overlay.compat;

import static org.assertj.core.api.Assertions.assertThat;

import dev.overlay.compat.redis.JedisApp;
import dev.overlay.compat.redis.LettuceApp;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Redis clients, unchanged, in their own JVMs under the agent, against a real {@code redis-server}
 * on 127.0.0.1 (no persistence) exported on overlay port 6379 with
 * {@code overlay serve --port 6379 --to 127.0.0.1:PORT}: Jedis (blocking sockets, the socket hook
 * and the name hook) and Lettuce (Netty NIO, the selector provider; names through
 * {@code InetAddress}). Each program checks its data (values up to 4 MiB by SHA-256, 10,000 keys,
 * pipelines, MULTI/EXEC, pub/sub, concurrency) and prints what it checked; nothing reaches the
 * server except over the overlay, since the clients only know {@code <name>.overlay:6379}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CompatRedisIT {
    private static final Duration RUN = Duration.ofSeconds(120);

    private CompatLab lab;
    private DbSupport.Exporter redis;

    @BeforeAll
    void start() throws Exception {
        lab = CompatLab.start("redis");
        int port = DbSupport.startRedis(lab);
        redis = DbSupport.export(lab, "redis", 6379, "127.0.0.1:" + port);
    }

    @AfterAll
    void stop() throws Exception {
        if (lab != null) {
            lab.close();
        }
    }

    @Test
    void jedisValuesKeysPipelineMultiPubSubAndPoolOverTheOverlay() throws Exception {
        CompatLab.Node client = lab.node("jedis");
        JvmProcess app = lab.app(client, "", JedisApp.class, redis.node().name(), "6379");
        app.awaitSuccess(RUN);
        DbSupport.report(app);
        DbSupport.assertPrinted(app, "DONE");
        assertThat(DbSupport.fields(app, "values")).containsEntry("sizes", "1..4194304");
        assertThat(app.lines()).contains("out: OK keys n=10000 mget-equal", "out: OK pipeline commands=20000 counter=49995000",
                "out: OK multi exec-applied discard-dropped", "out: OK pubsub messages=200 in-order",
                "out: OK pool threads=8 ops=2400");
        redis.process().awaitLine(l -> l.contains("stream from " + client.name() + " connected to"), Duration.ofSeconds(5));
        DbSupport.figure("Jedis values " + DbSupport.fields(app, "values").get("MB/s") + " MB/s");
    }

    @Test
    void lettuceSyncAsyncReactiveMultiAndPubSubOverTheOverlay() throws Exception {
        CompatLab.Node client = lab.node("lettuce");
        JvmProcess app = lab.app(client, "", LettuceApp.class, redis.node().name(), "6379");
        app.awaitSuccess(RUN);
        DbSupport.report(app);
        DbSupport.assertPrinted(app, "DONE");
        // Lettuce 6.5 with its defaults: Netty NIO (through the provider) and InetAddress for names.
        DbSupport.assertPrinted(app, "TRANSPORT channel=io.netty.channel.socket.nio.NioSocketChannel"
                + " resolver=io.netty.resolver.DefaultAddressResolverGroup");
        assertThat(DbSupport.fields(app, "values")).containsEntry("sizes", "1..4194304");
        assertThat(app.lines()).contains("out: OK reactive commands=1000 counter=500500", "out: OK multi exec-applied",
                "out: OK pubsub messages=200 in-order");
        assertThat(DbSupport.fields(app, "async")).containsEntry("commands", "20000");
        redis.process().awaitLine(l -> l.contains("stream from " + client.name() + " connected to"), Duration.ofSeconds(5));
        DbSupport.figure("Lettuce values " + DbSupport.fields(app, "values").get("MB/s") + " MB/s, async "
                + DbSupport.fields(app, "async").get("commands/s") + " commands/s");
    }

    /** An exporter with {@code --allow <key A>}: Jedis as A works, Jedis as B is refused at connect, naming why. */
    @Test
    void anExporterWithAllowRefusesOtherKeys() throws Exception {
        CompatLab.Node a = lab.node("jedis-allowed");
        CompatLab.Node b = lab.node("jedis-refused");
        int port = DbSupport.startRedis(lab);
        DbSupport.Exporter only = DbSupport.export(lab, "redis-allow", 6379, "127.0.0.1:" + port, a.name());

        JvmProcess refused = lab.app(b, "", JedisApp.class, only.node().name(), "6379");
        assertThat(refused.awaitExit(RUN)).as(refused.output()).isEqualTo(1);
        assertThat(refused.lines()).anyMatch(l -> l.startsWith("out: FAIL connect:"));
        // Jedis keeps the reason as a suppressed exception of its own "Failed to connect".
        assertThat(refused.lines()).anyMatch(l -> l.startsWith("err: ") && l.contains("not allowed: ")
                && l.contains("does not accept this node's key"));

        JvmProcess allowed = lab.app(a, "", JedisApp.class, only.node().name(), "6379");
        allowed.awaitSuccess(RUN);
        DbSupport.assertPrinted(allowed, "DONE");
        assertThat(only.process().lines()).noneMatch(l -> l.contains("stream from " + b.name()));
    }
}
