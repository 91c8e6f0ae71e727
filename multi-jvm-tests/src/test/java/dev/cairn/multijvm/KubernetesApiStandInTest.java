package dev.cairn.multijvm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The stand-in Kubernetes API answers as the API does what the discovery asks: over TLS that only
 * its CA file vouches for, with its token only, the pods matching a label selector.
 */
class KubernetesApiStandInTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir static Path dir;
  private static KubernetesApiStandIn api;
  private static HttpClient trusting;

  @BeforeAll
  static void start() throws Exception {
    api = KubernetesApiStandIn.start(dir, "ns1");
    api.addPod("cairn-0", KubernetesApiStandIn.LABELS, "127.0.0.1", Map.of("management", 7001));
    api.addPod("cairn-1", KubernetesApiStandIn.LABELS, "127.0.0.1", Map.of("management", 7002));
    api.addPod("other", Map.of("app.kubernetes.io/name", "other"), "127.0.0.1", Map.of());
    KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
    trust.load(null, null);
    try (InputStream in = Files.newInputStream(api.caFile())) {
      trust.setCertificateEntry(
          "api", CertificateFactory.getInstance("X.509").generateCertificate(in));
    }
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext tls = SSLContext.getInstance("TLS");
    tls.init(null, tmf.getTrustManagers(), null);
    trusting = HttpClient.newBuilder().sslContext(tls).build();
  }

  @AfterAll
  static void stop() {
    api.close();
  }

  private static HttpResponse<String> list(
      HttpClient client, String ns, String selector, String token) throws Exception {
    Map<String, String> env = api.podEnvironment();
    URI uri =
        URI.create(
            "https://"
                + env.get("KUBERNETES_SERVICE_HOST")
                + ":"
                + env.get("KUBERNETES_SERVICE_PORT")
                + "/api/v1/namespaces/"
                + ns
                + "/pods?labelSelector="
                + URLEncoder.encode(selector, StandardCharsets.UTF_8));
    return client.send(
        HttpRequest.newBuilder(uri).header("Authorization", "Bearer " + token).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void listsTheRunningPodsMatchingTheSelectorWithTheirPorts() throws Exception {
    String token = Files.readString(api.tokenFile());
    HttpResponse<String> r =
        list(
            trusting,
            "ns1",
            "app.kubernetes.io/name=cairn,app.kubernetes.io/component=server",
            token);
    assertThat(r.statusCode()).isEqualTo(200);
    JsonNode items = JSON.readTree(r.body()).path("items");
    assertThat(items).hasSize(2);
    assertThat(items.get(0).path("metadata").path("name").asText()).isEqualTo("cairn-0");
    assertThat(items.get(0).path("status").path("phase").asText()).isEqualTo("Running");
    assertThat(items.get(0).path("status").path("podIP").asText()).isEqualTo("127.0.0.1");
    assertThat(
            items
                .get(1)
                .path("spec")
                .path("containers")
                .get(0)
                .path("ports")
                .get(0)
                .path("name")
                .asText())
        .isEqualTo("management");
    assertThat(list(trusting, "ns1", "app.kubernetes.io/name=other", token).body())
        .contains("\"other\"")
        .doesNotContain("cairn-0");
    api.removePod("cairn-1");
    try {
      assertThat(
              JSON.readTree(list(trusting, "ns1", "app.kubernetes.io/name=cairn", token).body())
                  .path("items"))
          .hasSize(1);
    } finally {
      api.addPod("cairn-1", KubernetesApiStandIn.LABELS, "127.0.0.1", Map.of("management", 7002));
    }
  }

  @Test
  void refusesAWrongTokenAnotherNamespaceAndAClientWithoutItsCa() throws Exception {
    String token = Files.readString(api.tokenFile());
    assertThat(list(trusting, "ns1", "app.kubernetes.io/name=cairn", "wrong").statusCode())
        .isEqualTo(401);
    assertThat(list(trusting, "ns2", "app.kubernetes.io/name=cairn", token).statusCode())
        .isEqualTo(404);
    assertThatThrownBy(
            () -> list(HttpClient.newHttpClient(), "ns1", "app.kubernetes.io/name=cairn", token))
        .hasCauseInstanceOf(SSLHandshakeException.class);
  }
}
