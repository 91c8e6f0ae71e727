package dev.cairn.bench.http;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.util.concurrent.TimeUnit;

/**
 * Netty event loop threads for the benchmark clients: epoll when the native transport loads, NIO
 * otherwise, with the matching client channel type.
 *
 * @param group the event loops (daemon threads)
 * @param channelType the client socket channel class for {@code group}
 * @param name {@code netty-epoll} or {@code netty-nio}, recorded in results
 */
public record NettyLoops(EventLoopGroup group, Class<? extends Channel> channelType, String name)
    implements AutoCloseable {

  /** {@code threads} event loops whose threads are named after {@code threadName}. */
  public static NettyLoops create(int threads, String threadName) {
    DefaultThreadFactory factory = new DefaultThreadFactory(threadName, true);
    if (Epoll.isAvailable()) {
      return new NettyLoops(
          new EpollEventLoopGroup(threads, factory), EpollSocketChannel.class, "netty-epoll");
    }
    return new NettyLoops(
        new NioEventLoopGroup(threads, factory), NioSocketChannel.class, "netty-nio");
  }

  /** A client bootstrap on these loops: no Nagle delay, {@code connectTimeoutMillis} to connect. */
  public Bootstrap bootstrap(int connectTimeoutMillis) {
    return new Bootstrap()
        .group(group)
        .channel(channelType)
        .option(ChannelOption.TCP_NODELAY, true)
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, connectTimeoutMillis);
  }

  @Override
  public void close() {
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
  }
}
