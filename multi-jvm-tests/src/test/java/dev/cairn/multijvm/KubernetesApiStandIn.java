package dev.cairn.multijvm;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.ContainerPortBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodList;
import io.fabric8.kubernetes.api.model.PodListBuilder;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/**
 * A stand-in for the Kubernetes API server, as much of it as Pekko's Kubernetes API discovery uses:
 * {@code GET /api/v1/namespaces/<ns>/pods?labelSelector=k=v[,k=v]}, over HTTPS with a certificate
 * of its own (its PEM is the discovery's {@code api-ca-path}, as a pod's service-account CA is) and
 * a bearer token (the {@code api-token-path}). It answers with a {@code PodList} built from the
 * Kubernetes API's own model (fabric8), holding the pods the test has added: Running, with a pod IP
 * and the container ports the StatefulSet declares. A wrong token gets 401, another path 404, as
 * the API answers.
 *
 * <p>The certificate is made with the JDK's {@code keytool} (self-signed, for 127.0.0.1), so
 * nothing outside the JDK is needed.
 */
final class KubernetesApiStandIn implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final HttpsServer server;
  private final String namespace;
  private final String token = UUID.randomUUID().toString();
  private final Path caFile;
  private final Path tokenFile;
  private final Map<String, Pod> pods = new ConcurrentSkipListMap<>();
  private final AtomicInteger lists = new AtomicInteger();

  private KubernetesApiStandIn(HttpsServer server, String namespace, Path caFile, Path tokenFile) {
    this.server = server;
    this.namespace = namespace;
    this.caFile = caFile;
    this.tokenFile = tokenFile;
  }

  /** Starts it on 127.0.0.1 and a free port, its certificate and token files under {@code dir}. */
  static KubernetesApiStandIn start(Path dir, String namespace) throws Exception {
    Files.createDirectories(dir);
    Path keystore = dir.resolve("api.p12");
    Path ca = dir.resolve("ca.crt");
    String pass = "stand-in";
    keytool(
        "-genkeypair",
        "-alias",
        "api",
        "-keyalg",
        "EC",
        "-groupname",
        "secp256r1",
        "-dname",
        "CN=kubernetes",
        "-ext",
        "SAN=ip:127.0.0.1,dns:localhost",
        "-validity",
        "2",
        "-keystore",
        keystore.toString(),
        "-storetype",
        "PKCS12",
        "-storepass",
        pass,
        "-keypass",
        pass);
    keytool(
        "-exportcert",
        "-rfc",
        "-alias",
        "api",
        "-keystore",
        keystore.toString(),
        "-storetype",
        "PKCS12",
        "-storepass",
        pass,
        "-file",
        ca.toString());
    KeyStore ks = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(keystore)) {
      ks.load(in, pass.toCharArray());
    }
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(ks, pass.toCharArray());
    SSLContext tls = SSLContext.getInstance("TLS");
    tls.init(kmf.getKeyManagers(), null, null);
    HttpsServer server =
        HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
    server.setHttpsConfigurator(new HttpsConfigurator(tls));
    Path tokenFile = dir.resolve("token");
    KubernetesApiStandIn api = new KubernetesApiStandIn(server, namespace, ca, tokenFile);
    Files.writeString(tokenFile, api.token);
    server.createContext("/", api::handle);
    server.start();
    return api;
  }

  /**
   * Adds (or replaces) pod {@code name}: Running, IP {@code ip}, {@code labels}, one container with
   * the named ports given.
   */
  void addPod(String name, Map<String, String> labels, String ip, Map<String, Integer> ports) {
    List<io.fabric8.kubernetes.api.model.ContainerPort> cps = new ArrayList<>();
    ports.forEach(
        (n, p) -> cps.add(new ContainerPortBuilder().withName(n).withContainerPort(p).build()));
    pods.put(
        name,
        new PodBuilder()
            .withNewMetadata()
            .withName(name)
            .withNamespace(namespace)
            .withLabels(new LinkedHashMap<>(labels))
            .endMetadata()
            .withNewSpec()
            .withContainers(new ContainerBuilder().withName("cairn").withPorts(cps).build())
            .endSpec()
            .withNewStatus()
            .withPhase("Running")
            .withPodIP(ip)
            .endStatus()
            .build());
  }

  /** Removes pod {@code name} from every later list, as a deleted pod leaves the API. */
  void removePod(String name) {
    pods.remove(name);
  }

  /** How many pod lists it has answered with 200. */
  int lists() {
    return lists.get();
  }

  /** The PEM of its certificate: the discovery's {@code api-ca-path}. */
  Path caFile() {
    return caFile;
  }

  /** The file holding the token it accepts: the discovery's {@code api-token-path}. */
  Path tokenFile() {
    return tokenFile;
  }

  /** The labels of k8s/base's pods; the discovery's selector (application.conf) asks for them. */
  static final Map<String, String> LABELS =
      Map.of("app.kubernetes.io/name", "cairn", "app.kubernetes.io/component", "server");

  /**
   * Node {@code i} of a {@link CairnCluster} as pod {@code cairn-<i>} of a StatefulSet: launching
   * it adds the pod to this API's list (as the StatefulSet creates it before its process runs),
   * Running on 127.0.0.1 with the container ports {@code management} (its Pekko Management
   * endpoint, a port of its own) and {@code cluster}, and starts the node with {@code --discovery
   * kubernetes}, this API's address, CA and token, and no seeds. Room for {@code capacity} nodes.
   */
  CairnCluster.Formation statefulSet(int capacity) throws IOException {
    int[] managementPorts = new int[capacity];
    for (int i = 0; i < capacity; i++) {
      managementPorts[i] = CairnProcess.freePort();
    }
    return (i, c) -> {
      addPod(
          "cairn-" + i,
          LABELS,
          "127.0.0.1",
          Map.of("management", managementPorts[i], "cluster", c.clusterPort(i)));
      return new CairnCluster.Launch(
          List.of(
              "-Dpekko.management.http.hostname=127.0.0.1",
              "-Dpekko.management.http.port=" + managementPorts[i],
              "-Dpekko.discovery.kubernetes-api.pod-namespace=" + namespace,
              "-Dpekko.discovery.kubernetes-api.api-ca-path=" + caFile,
              "-Dpekko.discovery.kubernetes-api.api-token-path=" + tokenFile,
              // the product's 5 s; shorter here to keep the scenarios cheap
              "-Dpekko.management.cluster.bootstrap.contact-point-discovery.stable-margin=2s"),
          podEnvironment(),
          List.of("--discovery", "kubernetes"));
    };
  }

  /** The environment a pod sees: {@code KUBERNETES_SERVICE_HOST} and {@code _PORT}. */
  Map<String, String> podEnvironment() {
    return Map.of(
        "KUBERNETES_SERVICE_HOST",
        "127.0.0.1",
        "KUBERNETES_SERVICE_PORT",
        Integer.toString(server.getAddress().getPort()));
  }

  private void handle(HttpExchange x) throws IOException {
    try (x) {
      String prefix = "/api/v1/namespaces/" + namespace + "/pods";
      if (!x.getRequestMethod().equals("GET") || !x.getRequestURI().getPath().equals(prefix)) {
        reply(x, 404, status(404, "NotFound", "no route " + x.getRequestURI().getPath()));
        return;
      }
      if (!("Bearer " + token).equals(x.getRequestHeaders().getFirst("Authorization"))) {
        reply(x, 401, status(401, "Unauthorized", "Unauthorized"));
        return;
      }
      Map<String, String> selector = selector(x.getRequestURI().getRawQuery());
      List<Pod> matching = new ArrayList<>();
      for (Pod p : pods.values()) {
        Map<String, String> labels = p.getMetadata().getLabels();
        if (selector.entrySet().stream()
            .allMatch(e -> e.getValue().equals(labels.get(e.getKey())))) {
          matching.add(p);
        }
      }
      PodList list =
          new PodListBuilder()
              .withNewMetadata()
              .withResourceVersion(Integer.toString(lists.get() + 1))
              .endMetadata()
              .withItems(matching)
              .build();
      reply(x, 200, JSON.writeValueAsBytes(list));
      lists.incrementAndGet();
    }
  }

  /** An equality-based label selector, {@code k=v,k2=v2} (the form the discovery sends). */
  private static Map<String, String> selector(String rawQuery) {
    Map<String, String> out = new LinkedHashMap<>();
    if (rawQuery == null) {
      return out;
    }
    for (String param : rawQuery.split("&")) {
      int eq = param.indexOf('=');
      if (eq < 0 || !param.substring(0, eq).equals("labelSelector")) {
        continue;
      }
      String value = URLDecoder.decode(param.substring(eq + 1), StandardCharsets.UTF_8);
      for (String term : value.split(",")) {
        String[] kv = term.split("==?", 2);
        if (kv.length != 2) {
          throw new IllegalArgumentException("unsupported label selector term: " + term);
        }
        out.put(kv[0].trim(), kv[1].trim());
      }
    }
    return out;
  }

  private static byte[] status(int code, String reason, String message) throws IOException {
    return JSON.writeValueAsBytes(
        Map.of(
            "kind",
            "Status",
            "apiVersion",
            "v1",
            "status",
            "Failure",
            "message",
            message,
            "reason",
            reason,
            "code",
            code));
  }

  private static void reply(HttpExchange x, int status, byte[] body) throws IOException {
    x.getResponseHeaders().set("Content-Type", "application/json");
    x.sendResponseHeaders(status, body.length);
    x.getResponseBody().write(body);
  }

  private static void keytool(String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IOException("keytool " + String.join(" ", args) + " failed: " + out);
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
