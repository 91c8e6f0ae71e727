package dev.cairn.multijvm;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A plain TCP socket speaking HTTP/1.1 (and the start of a WebSocket) by hand: thousands of them
 * cost a descriptor each and no thread, and they show what the server really sends (a final event,
 * a close frame's code, the end of the stream).
 */
final class RawSocket implements AutoCloseable {
  private final Socket socket;
  private final InputStream in;
  private final OutputStream out;

  RawSocket(int port) throws IOException {
    socket = new Socket();
    socket.connect(new InetSocketAddress("127.0.0.1", port), 30_000);
    socket.setSoTimeout(30_000);
    in = socket.getInputStream();
    out = socket.getOutputStream();
  }

  void send(String text) throws IOException {
    out.write(text.getBytes(StandardCharsets.UTF_8));
    out.flush();
  }

  /** {@code GET path} on this (kept-alive) connection; returns the status and the body. */
  Response get(String path) throws IOException {
    send("GET " + path + " HTTP/1.1\r\nHost: localhost\r\n\r\n");
    return readResponse();
  }

  /** {@code PUT path} with a text body; returns the status and the body. */
  Response put(String path, String body) throws IOException {
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    send(
        "PUT "
            + path
            + " HTTP/1.1\r\nHost: localhost\r\nContent-Length: "
            + b.length
            + "\r\n\r\n"
            + body);
    return readResponse();
  }

  /** A response with a Content-Length body. */
  Response readResponse() throws IOException {
    Response head = readHead();
    int length = Integer.parseInt(head.headers().getOrDefault("content-length", "0"));
    return new Response(
        head.status(), head.headers(), new String(in.readNBytes(length), StandardCharsets.UTF_8));
  }

  /** Opens a server-sent-event stream and reads its response head. */
  Response openEvents(String path) throws IOException {
    send("GET " + path + " HTTP/1.1\r\nHost: localhost\r\n\r\n");
    return readHead();
  }

  /** Opens a WebSocket (the handshake only) and reads the response head. */
  Response openWebSocket(String path) throws IOException {
    send(
        "GET "
            + path
            + " HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
    return readHead();
  }

  Response readHead() throws IOException {
    String status = line();
    if (status == null) {
      throw new IOException("connection closed before a response");
    }
    Map<String, String> headers = new LinkedHashMap<>();
    for (String l = line(); l != null && !l.isEmpty(); l = line()) {
      int colon = l.indexOf(':');
      headers.put(
          l.substring(0, colon).trim().toLowerCase(Locale.ROOT), l.substring(colon + 1).trim());
    }
    return new Response(Integer.parseInt(status.split(" ")[1]), headers, "");
  }

  /** A line without its line end, or null at the end of the stream. */
  String line() throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    int c;
    while ((c = in.read()) >= 0) {
      if (c == '\n') {
        String s = b.toString(StandardCharsets.UTF_8);
        return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
      }
      b.write(c);
    }
    return b.size() == 0 ? null : b.toString(StandardCharsets.UTF_8);
  }

  /**
   * Reads WebSocket frames from the server until a close frame; returns its code and reason, e.g.
   * {@code 1001 going away}, or null if the stream ends without one.
   */
  String readCloseFrame() throws IOException {
    while (true) {
      int b0 = in.read();
      if (b0 < 0) {
        return null;
      }
      int len = in.read() & 0x7f; // server frames are not masked
      if (len == 126) {
        len = (in.read() << 8) | in.read();
      } else if (len == 127) {
        throw new IOException("unexpectedly long frame");
      }
      byte[] payload = in.readNBytes(len);
      if ((b0 & 0x0f) == 0x8) {
        int code = payload.length >= 2 ? ((payload[0] & 0xff) << 8) | (payload[1] & 0xff) : 0;
        String reason =
            payload.length > 2
                ? new String(payload, 2, payload.length - 2, StandardCharsets.UTF_8)
                : "";
        return code + " " + reason;
      }
    }
  }

  /** True if the server closed the connection (end of stream or reset) within {@code millis}. */
  boolean closedByServer(int millis) throws IOException {
    socket.setSoTimeout(millis);
    try {
      while (in.read() >= 0) {
        // drain
      }
      return true;
    } catch (SocketTimeoutException e) {
      return false;
    } catch (SocketException e) {
      return true;
    }
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }

  record Response(int status, Map<String, String> headers, String body) {}
}
