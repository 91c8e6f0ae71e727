/**
 * The benchmarks' HTTP/1.1 client: {@link dev.cairn.bench.http.HttpTransport} on Netty, with {@link
 * dev.cairn.bench.http.HttpConnection}s of one's own (one keep-alive connection, at most one
 * request in flight, no pipelining) or pooled requests with a timeout.
 */
package dev.cairn.bench.http;
