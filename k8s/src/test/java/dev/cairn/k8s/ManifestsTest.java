package dev.cairn.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.cairn.http.CairnServer;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The rendered base and example overlay, typed, checked against the server they deploy: probes on
 * its real routes and ports, the discovery's selector on the pods' labels, a disruption budget that
 * keeps a majority, RBAC no wider than the discovery needs, Service ports on the server's ports,
 * the configuration file's keys in the server's configuration, and the options passed in the
 * server's command line.
 */
class ManifestsTest {

  /** The server's defaults: every reference.conf and the server's application.conf. */
  private static final Config DEFAULTS = ConfigFactory.load();

  private static StatefulSet statefulSet(Manifests m) {
    return m.one(StatefulSet.class);
  }

  private static PodSpec pod(Manifests m) {
    return statefulSet(m).getSpec().getTemplate().getSpec();
  }

  private static Container cairn(Manifests m) {
    return pod(m).getContainers().stream()
        .filter(c -> c.getName().equals("cairn"))
        .findFirst()
        .orElseThrow();
  }

  private static Map<String, String> podLabels(Manifests m) {
    return statefulSet(m).getSpec().getTemplate().getMetadata().getLabels();
  }

  /** The server's options as given in the container's args: {@code --flag value} pairs. */
  private static Map<String, String> args(Manifests m) {
    List<String> a = cairn(m).getArgs();
    Map<String, String> out = new LinkedHashMap<>();
    for (int i = 0; i < a.size(); i++) {
      assertThat(a.get(i)).as("args alternate --flag value: %s", a).startsWith("--");
      assertThat(i + 1).as("a value after %s", a.get(i)).isLessThan(a.size());
      out.put(a.get(i), a.get(++i));
    }
    return out;
  }

  private static int containerPort(Manifests m, IntOrString port) {
    if (port.getIntVal() != null) {
      return port.getIntVal();
    }
    return cairn(m).getPorts().stream()
        .filter(p -> port.getStrVal().equals(p.getName()))
        .map(ContainerPort::getContainerPort)
        .findFirst()
        .orElseThrow(() -> new AssertionError("no container port named " + port.getStrVal()));
  }

  private static int namedPort(Manifests m, String name) {
    return containerPort(m, new IntOrString(name));
  }

  /** The configuration file the ConfigMap mounts at the path given with --config, resolved. */
  private static Config configFile(Manifests m) {
    Path file = Path.of(args(m).get("--config"));
    VolumeMount mount =
        cairn(m).getVolumeMounts().stream()
            .filter(v -> Path.of(v.getMountPath()).equals(file.getParent()))
            .findFirst()
            .orElseThrow(() -> new AssertionError("nothing mounted at " + file.getParent()));
    Volume volume =
        pod(m).getVolumes().stream()
            .filter(v -> v.getName().equals(mount.getName()))
            .findFirst()
            .orElseThrow();
    assertThat(volume.getConfigMap()).as("--config comes from a ConfigMap").isNotNull();
    ConfigMap cm = m.named(ConfigMap.class, volume.getConfigMap().getName());
    String text = cm.getData().get(file.getFileName().toString());
    assertThat(text).as("ConfigMap %s holds %s", cm.getMetadata().getName(), file).isNotNull();
    // The pod's environment is what the file's substitutions read.
    Map<String, String> env = new HashMap<>();
    for (EnvVar e : cairn(m).getEnv()) {
      env.put(e.getName(), "value-of-" + e.getName());
    }
    return ConfigFactory.parseString(text).resolveWith(ConfigFactory.parseMap(env));
  }

  @ParameterizedTest
  @ValueSource(strings = {"base", "overlays/example"})
  void everyOptionPassedIsAnOptionOfCairnServer(String dir) throws Exception {
    Manifests m = Manifests.render(dir);
    Set<String> options = Manifests.serverOptions();
    assertThat(options).containsAll(args(m).keySet());
    assertThat(args(m))
        .containsEntry("--discovery", "kubernetes")
        .containsEntry("--journal", "cassandra")
        .containsEntry("--cluster-host", "$(POD_IP)");
    assertThat(cairn(m).getEnv())
        .anySatisfy(
            e -> {
              assertThat(e.getName()).isEqualTo("POD_IP");
              assertThat(e.getValueFrom().getFieldRef().getFieldPath()).isEqualTo("status.podIP");
            });
  }

  @ParameterizedTest
  @ValueSource(strings = {"base", "overlays/example"})
  void everyKeyOfTheConfigurationFileIsAKeyOfTheServersConfiguration(String dir) throws Exception {
    Config file = configFile(Manifests.render(dir));
    assertThat(file.entrySet()).isNotEmpty();
    List<String> unknown = new ArrayList<>();
    for (var e : file.entrySet()) {
      if (!DEFAULTS.hasPathOrNull(e.getKey())) {
        unknown.add(e.getKey());
      }
    }
    assertThat(unknown).as("keys the server does not have").isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {"base", "overlays/example"})
  void theDiscoverySelectorMatchesThePodsAndEveryServiceAndBudgetSelectsThem(String dir)
      throws Exception {
    Manifests m = Manifests.render(dir);
    Map<String, String> labels = podLabels(m);
    Config effective = configFile(m).withFallback(DEFAULTS);
    assertThat(
            effective.getString(
                "pekko.management.cluster.bootstrap.contact-point-discovery.discovery-method"))
        .isEqualTo("kubernetes-api");
    String selector =
        effective
            .getString("pekko.discovery.kubernetes-api.pod-label-selector")
            .replace(
                "%s",
                effective.getString(
                    "pekko.management.cluster.bootstrap.contact-point-discovery.service-name"));
    Map<String, String> wanted = new LinkedHashMap<>();
    for (String term : selector.split(",")) {
      String[] kv = term.split("=", 2);
      wanted.put(kv[0].trim(), kv[1].trim());
    }
    assertThat(labels).containsAllEntriesOf(wanted);
    assertThat(labels)
        .containsAllEntriesOf(statefulSet(m).getSpec().getSelector().getMatchLabels());
    for (Service s : m.all(Service.class)) {
      assertThat(labels)
          .as("Service %s", s.getMetadata().getName())
          .containsAllEntriesOf(s.getSpec().getSelector());
    }
    assertThat(labels)
        .containsAllEntriesOf(
            m.one(PodDisruptionBudget.class).getSpec().getSelector().getMatchLabels());
  }

  @ParameterizedTest
  @ValueSource(strings = {"base", "overlays/example"})
  void theDisruptionBudgetKeepsAMajorityAndTheSizeIsOdd(String dir) throws Exception {
    Manifests m = Manifests.render(dir);
    int replicas = statefulSet(m).getSpec().getReplicas();
    assertThat(replicas % 2).as("an odd number of replicas").isEqualTo(1);
    var spec = m.one(PodDisruptionBudget.class).getSpec();
    int available;
    if (spec.getMaxUnavailable() != null) {
      assertThat(spec.getMaxUnavailable().getIntVal()).as("maxUnavailable as a count").isNotNull();
      available = replicas - spec.getMaxUnavailable().getIntVal();
    } else {
      assertThat(spec.getMinAvailable().getIntVal()).as("minAvailable as a count").isNotNull();
      available = spec.getMinAvailable().getIntVal();
    }
    assertThat(available * 2).as("pods left by a voluntary disruption").isGreaterThan(replicas);
    assertThat(available).as("a disruption is possible at all").isLessThan(replicas);
    // The first cluster forms only once every replica is found (the file says how many).
    assertThat(
            configFile(m)
                .withFallback(DEFAULTS)
                .getInt(
                    "pekko.management.cluster.bootstrap.contact-point-discovery"
                        + ".required-contact-point-nr"))
        .isEqualTo(replicas);
    assertThat(statefulSet(m).getSpec().getPodManagementPolicy()).isEqualTo("Parallel");
  }

  @ParameterizedTest
  @ValueSource(strings = {"base", "overlays/example"})
  void rbacGrantsOnlyReadingPodsToThePodsServiceAccount(String dir) throws Exception {
    Manifests m = Manifests.render(dir);
    assertThat(m.all(ClusterRole.class)).isEmpty();
    assertThat(m.all(ClusterRoleBinding.class)).isEmpty();
    Role role = m.one(Role.class);
    assertThat(role.getRules()).hasSize(1);
    PolicyRule rule = role.getRules().get(0);
    assertThat(rule.getApiGroups()).containsExactly("");
    assertThat(rule.getResources()).containsExactly("pods");
    assertThat(new TreeSet<>(rule.getVerbs())).containsExactly("get", "list", "watch");
    assertThat(rule.getResourceNames()).isNullOrEmpty();
    assertThat(rule.getNonResourceURLs()).isNullOrEmpty();
    RoleBinding binding = m.one(RoleBinding.class);
    assertThat(binding.getRoleRef().getKind()).isEqualTo("Role");
    assertThat(binding.getRoleRef().getName()).isEqualTo(role.getMetadata().getName());
    String account = pod(m).getServiceAccountName();
    m.named(ServiceAccount.class, account);
    assertThat(binding.getSubjects())
        .singleElement()
        .satisfies(
            s -> {
              assertThat(s.getKind()).isEqualTo("ServiceAccount");
              assertThat(s.getName()).isEqualTo(account);
            });
  }

  @ParameterizedTest
  @ValueSource(strings = {"base", "overlays/example"})
  void servicePortsAreTheServersPorts(String dir) throws Exception {
    Manifests m = Manifests.render(dir);
    Map<String, String> args = args(m);
    Config effective = configFile(m).withFallback(DEFAULTS);
    assertThat(namedPort(m, "http")).isEqualTo(Integer.parseInt(args.get("--port")));
    assertThat(namedPort(m, "ops")).isEqualTo(Integer.parseInt(args.get("--ops-port")));
    assertThat(namedPort(m, "cluster")).isEqualTo(Integer.parseInt(args.get("--cluster-port")));
    assertThat(namedPort(m, "management"))
        .isEqualTo(effective.getInt("pekko.management.http.port"));
    // Bootstrap reads each pod's management port by the name it is given.
    assertThat(
            effective.getString(
                "pekko.management.cluster.bootstrap.contact-point-discovery.port-name"))
        .isEqualTo("management");
    Service client = m.named(Service.class, "cairn");
    assertThat(client.getSpec().getPorts())
        .singleElement()
        .satisfies(p -> assertThat(containerPort(m, p.getTargetPort())).isEqualTo(7070));
    Service peers = m.named(Service.class, statefulSet(m).getSpec().getServiceName());
    assertThat(peers.getSpec().getClusterIP()).isEqualTo("None");
    Set<Integer> peerPorts = new TreeSet<>();
    peers.getSpec().getPorts().forEach(p -> peerPorts.add(containerPort(m, p.getTargetPort())));
    assertThat(peerPorts).contains(namedPort(m, "cluster"), namedPort(m, "management"));
    // The server listens where the Services send: on every address, not loopback.
    assertThat(args.get("--host")).isEqualTo("0.0.0.0");
  }

  @ParameterizedTest
  @ValueSource(strings = {"base", "overlays/example"})
  void podsRunAsNonRootOnAReadOnlyRootWithWritableDataAndTmp(String dir) throws Exception {
    Manifests m = Manifests.render(dir);
    PodSpec pod = pod(m);
    Container c = cairn(m);
    assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
    assertThat(pod.getSecurityContext().getRunAsUser()).isPositive();
    assertThat(c.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
    assertThat(c.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
    assertThat(c.getSecurityContext().getCapabilities().getDrop()).contains("ALL");
    for (String path : List.of(args(m).get("--data-dir"), "/tmp")) {
      VolumeMount mount =
          c.getVolumeMounts().stream()
              .filter(v -> v.getMountPath().equals(path))
              .findFirst()
              .orElseThrow(() -> new AssertionError("no volume at " + path));
      assertThat(mount.getReadOnly()).as(path).isNotEqualTo(Boolean.TRUE);
      boolean claim =
          statefulSet(m).getSpec().getVolumeClaimTemplates() != null
              && statefulSet(m).getSpec().getVolumeClaimTemplates().stream()
                  .anyMatch(t -> t.getMetadata().getName().equals(mount.getName()));
      boolean emptyDir =
          pod.getVolumes().stream()
              .anyMatch(v -> v.getName().equals(mount.getName()) && v.getEmptyDir() != null);
      assertThat(claim || emptyDir).as("%s is a writable volume", path).isTrue();
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"base", "overlays/example"})
  void resourcesGraceAndStartupBudgetCoverWhatWasMeasured(String dir) throws Exception {
    Manifests m = Manifests.render(dir);
    Container c = cairn(m);
    Quantity request = c.getResources().getRequests().get("memory");
    Quantity limit = c.getResources().getLimits().get("memory");
    // 310-320 MB resident measured for a node under writes (docs/deploy-kubernetes.md).
    assertThat(Quantity.getAmountInBytes(request).longValue()).isGreaterThan(320L << 20);
    assertThat(Quantity.getAmountInBytes(limit))
        .isGreaterThanOrEqualTo(Quantity.getAmountInBytes(request));
    assertThat(c.getResources().getLimits()).as("no CPU limit").doesNotContainKey("cpu");
    // Coordinated shutdown's phases that can wait: requests draining, shards handed over, the
    // cluster left.
    Config co = DEFAULTS.getConfig("pekko.coordinated-shutdown.phases");
    long waits =
        co.getDuration("service-requests-done.timeout").toSeconds()
            + co.getDuration("cluster-sharding-shutdown-region.timeout").toSeconds()
            + co.getDuration("cluster-exiting.timeout").toSeconds();
    assertThat(pod(m).getTerminationGracePeriodSeconds()).isGreaterThanOrEqualTo(waits);
    // /health answered about 5 s after the JVM started, on a loaded 2-core machine.
    Probe startup = c.getStartupProbe();
    assertThat(startup.getPeriodSeconds() * startup.getFailureThreshold())
        .isGreaterThanOrEqualTo(30);
  }

  @Test
  void theExampleOverlayGivesCassandraItsContactPointsAndCredentials() throws Exception {
    Manifests m = Manifests.render("overlays/example");
    Map<String, String> env = new HashMap<>();
    for (EnvVar e : cairn(m).getEnv()) {
      if (e.getValueFrom() != null && e.getValueFrom().getConfigMapKeyRef() != null) {
        var ref = e.getValueFrom().getConfigMapKeyRef();
        env.put(e.getName(), m.named(ConfigMap.class, ref.getName()).getData().get(ref.getKey()));
      } else if (e.getValueFrom() != null && e.getValueFrom().getSecretKeyRef() != null) {
        var ref = e.getValueFrom().getSecretKeyRef();
        Secret s = m.named(Secret.class, ref.getName());
        assertThat(s.getData()).as("Secret %s", ref.getName()).containsKey(ref.getKey());
        env.put(e.getName(), "from-secret-" + ref.getKey());
      } else if (e.getValue() != null) {
        env.put(e.getName(), e.getValue());
      }
    }
    assertThat(args(m)).containsEntry("--cassandra", "$(CASSANDRA_CONTACT_POINTS)");
    assertThat(env.get("CASSANDRA_CONTACT_POINTS")).matches("[^,:]+:\\d+(,[^,:]+:\\d+)*");
    // The driver reads its credentials from the server's application.conf, whose substitutions
    // name these variables.
    Config driver =
        ConfigFactory.parseResources("application.conf")
            .resolveWith(ConfigFactory.parseMap(env))
            .getConfig("datastax-java-driver.advanced.auth-provider");
    assertThat(driver.getString("class")).isEqualTo("PlainTextAuthProvider");
    assertThat(driver.getString("username")).isEqualTo("from-secret-username");
    assertThat(driver.getString("password")).isEqualTo("from-secret-password");
  }

  @Test
  @Timeout(value = 2, unit = TimeUnit.MINUTES)
  void probesAnswerOnTheServersRealRoutesAndOpsListener(@TempDir Path dir) throws Exception {
    Manifests m = Manifests.render("base");
    Container c = cairn(m);
    Map<String, Probe> probes =
        Map.of(
            "startup", c.getStartupProbe(),
            "liveness", c.getLivenessProbe(),
            "readiness", c.getReadinessProbe());
    assertThat(c.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/ready");
    assertThat(c.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/health");
    for (var e : probes.entrySet()) {
      assertThat(containerPort(m, e.getValue().getHttpGet().getPort()))
          .as("%s probe on the ops listener", e.getKey())
          .isEqualTo(Integer.parseInt(args(m).get("--ops-port")));
    }
    // A real node with an ops listener: every probe's path answers 200 there.
    Config config =
        ConfigFactory.parseMap(
            Map.of(
                "cairn.http.port",
                0,
                "cairn.http.ops.port",
                0,
                "cairn.persistence.journal.dir",
                dir.resolve("journal").toString(),
                "cairn.persistence.snapshot-store.dir",
                dir.resolve("snapshots").toString()));
    HttpClient http = HttpClient.newHttpClient();
    try (CairnServer server = CairnServer.start(config)) {
      for (var e : probes.entrySet()) {
        URI uri =
            URI.create(
                "http://127.0.0.1:" + server.opsPort() + e.getValue().getHttpGet().getPath());
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        int status;
        while (true) {
          status =
              http.send(
                      HttpRequest.newBuilder(uri).GET().build(),
                      HttpResponse.BodyHandlers.ofString())
                  .statusCode();
          if (status == 200 || System.nanoTime() > deadline) {
            break;
          }
          LockSupport.parkNanos(Duration.ofMillis(200).toNanos());
        }
        assertThat(status).as("%s probe %s", e.getKey(), uri).isEqualTo(200);
      }
      URI missing = URI.create("http://127.0.0.1:" + server.opsPort() + "/healthz");
      assertThat(
              http.send(
                      HttpRequest.newBuilder(missing).GET().build(),
                      HttpResponse.BodyHandlers.ofString())
                  .statusCode())
          .as("a path the server does not serve is not 200: the check above can fail")
          .isEqualTo(404);
    }
  }
}
