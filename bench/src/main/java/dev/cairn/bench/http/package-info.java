/**
 * HTTP/1.1 clients for the load generator, behind one small interface so their cost per request can
 * be compared: {@link dev.cairn.bench.load.http.NettyHttpTransport} (the default), {@link
 * dev.cairn.bench.load.http.ApacheHttpTransport} and {@link
 * dev.cairn.bench.load.http.JdkHttpTransport}. Every {@link
 * dev.cairn.bench.load.http.HttpConnection} stands for one keep-alive connection with at most one
 * request in flight (no pipelining).
 */
package dev.cairn.bench.load.http;
