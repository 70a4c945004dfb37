package dev.overlay.cli;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.channels.Selector;
import java.nio.channels.spi.SelectorProvider;
import java.nio.charset.StandardCharsets;

/**
 * A plain program (JDK classes only, run with the test classes alone on its class path) for
 * {@link AgentIT}: opens a selector at once (so the JDK chooses its provider), prints what it sees,
 * then, after a line on stdin (the test attaches the agent meanwhile), prints it again, resolves
 * the name it was given and opens a server socket on the port it was given.
 */
public final class AgentProbe {
    private AgentProbe() {}

    public static void main(String[] args) throws Exception {
        try (Selector s = Selector.open()) {
            System.out.println("before provider=" + SelectorProvider.provider().getClass().getName()
                    + " selector=" + s.getClass().getName());
        }
        System.out.flush();
        if (args.length > 2 && args[2].equals("wait")) {
            new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
        }
        try (Selector s = Selector.open()) {
            System.out.println("after provider=" + SelectorProvider.provider().getClass().getName()
                    + " selector=" + s.getClass().getName());
        }
        System.out.println("resolved " + InetAddress.getByName(args[0]).getHostAddress());
        try (ServerSocket server = new ServerSocket(Integer.parseInt(args[1]))) {
            System.out.println("server " + server.getInetAddress().getHostAddress() + " " + server.getLocalPort());
        }
        System.out.println("done");
    }
}
