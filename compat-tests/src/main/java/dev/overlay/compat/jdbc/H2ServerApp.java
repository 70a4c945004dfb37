package dev.overlay.compat.jdbc;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import org.h2.tools.Server;

/**
 * H2's TCP server, unchanged: {@code Server.createTcpServer("-tcpPort", PORT, "-tcpAllowOthers",
 * "-ifNotExists")}. Prints {@code READY <port>} once it listens and runs until its standard input
 * ends (or says {@code stop}); then it stops the server and prints {@code STOPPED}.
 *
 * <p>Argument: {@code PORT}. Under the agent with {@code serve=PORT} its {@code ServerSocket} is an
 * overlay-only listener; without the agent it is an ordinary kernel one.
 */
public final class H2ServerApp {
    private H2ServerApp() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            System.out.println("usage: H2ServerApp PORT");
            System.exit(2);
        }
        Server server;
        try {
            server = Server.createTcpServer("-tcpPort", args[0], "-tcpAllowOthers", "-ifNotExists").start();
        } catch (Exception e) {
            PgJdbcApp.fail("start", e);
            return;
        }
        System.out.println("READY " + server.getPort() + " " + server.getURL());
        System.out.flush();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null && !line.trim().equals("stop")) {
            // wait for the end of standard input
        }
        server.stop();
        System.out.println("STOPPED");
    }
}
