package dev.overlay.nio;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Pipe;

/**
 * A platform {@link Pipe} whose two ends are wrapped so that they register with the overlay
 * provider's selector. Every call goes to the platform's channel.
 */
final class WrappedPipe extends Pipe {
    private final Source source;
    private final Sink sink;

    WrappedPipe(OverlaySelectorProvider provider, Pipe platform) {
        this.source = new Source(provider, platform.source());
        this.sink = new Sink(provider, platform.sink());
    }

    @Override
    public SourceChannel source() {
        return source;
    }

    @Override
    public SinkChannel sink() {
        return sink;
    }

    static final class Source extends SourceChannel {
        private final SourceChannel platform;
        private final ChannelKeys keys = new ChannelKeys();
        final Registrable registrable;

        Source(OverlaySelectorProvider provider, SourceChannel platform) {
            super(provider);
            this.platform = platform;
            this.registrable = new WrappedDatagramChannel.KernelOnly(keys, platform);
        }

        private void sync() {
            if (!platform.isOpen() && isOpen()) {
                try {
                    close();
                } catch (IOException ignored) {
                    // closed underneath already
                }
            }
        }

        @Override
        public int read(ByteBuffer dst) throws IOException {
            try {
                return platform.read(dst);
            } catch (IOException | RuntimeException e) {
                sync();
                throw e;
            }
        }

        @Override
        public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
            try {
                return platform.read(dsts, offset, length);
            } catch (IOException | RuntimeException e) {
                sync();
                throw e;
            }
        }

        @Override
        public long read(ByteBuffer[] dsts) throws IOException {
            return read(dsts, 0, dsts.length);
        }

        @Override
        protected void implCloseSelectableChannel() throws IOException {
            try {
                platform.close();
            } finally {
                keys.cancelAndWake();
            }
        }

        @Override
        protected void implConfigureBlocking(boolean block) throws IOException {
            if (block) {
                keys.beforeBlocking();
            }
            platform.configureBlocking(block);
        }
    }

    static final class Sink extends SinkChannel {
        private final SinkChannel platform;
        private final ChannelKeys keys = new ChannelKeys();
        final Registrable registrable;

        Sink(OverlaySelectorProvider provider, SinkChannel platform) {
            super(provider);
            this.platform = platform;
            this.registrable = new WrappedDatagramChannel.KernelOnly(keys, platform);
        }

        private void sync() {
            if (!platform.isOpen() && isOpen()) {
                try {
                    close();
                } catch (IOException ignored) {
                    // closed underneath already
                }
            }
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            try {
                return platform.write(src);
            } catch (IOException | RuntimeException e) {
                sync();
                throw e;
            }
        }

        @Override
        public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
            try {
                return platform.write(srcs, offset, length);
            } catch (IOException | RuntimeException e) {
                sync();
                throw e;
            }
        }

        @Override
        public long write(ByteBuffer[] srcs) throws IOException {
            return write(srcs, 0, srcs.length);
        }

        @Override
        protected void implCloseSelectableChannel() throws IOException {
            try {
                platform.close();
            } finally {
                keys.cancelAndWake();
            }
        }

        @Override
        protected void implConfigureBlocking(boolean block) throws IOException {
            if (block) {
                keys.beforeBlocking();
            }
            platform.configureBlocking(block);
        }
    }
}
