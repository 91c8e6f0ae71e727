# The image k8s/ runs: `docker build -t cairn:0.1.0-SNAPSHOT .` from the repository's root.
# Its entrypoint is bin/cairn server, the launcher the README uses, on the build's classes and jars.
# k8s/src/test/java/dev/cairn/k8s/DockerfileTest checks the paths, ports and options named here.

# ---- build: the server's modules and their runtime jars
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY . .
RUN mvn -B -ntp -DskipTests -pl http -am package \
      dependency:copy-dependencies -DincludeScope=runtime -DexcludeGroupIds=dev.cairn \
      -DoutputDirectory=/opt/cairn/lib
# bin/cairn runs <module>/target/classes plus the jars listed in http/target/classpath.txt.
RUN for m in core persistence actors recipes http; do \
      mkdir -p /opt/cairn/$m/target && cp -r $m/target/classes /opt/cairn/$m/target/; \
    done \
    && ls /opt/cairn/lib/*.jar | paste -sd: > /opt/cairn/http/target/classpath.txt \
    && mkdir -p /opt/cairn/bin && cp bin/cairn /opt/cairn/bin/cairn

# ---- run: a JRE, the launcher, a non-root user
FROM eclipse-temurin:17-jre
RUN groupadd --system --gid 10001 cairn \
    && useradd --system --uid 10001 --gid 10001 --no-create-home --shell /usr/sbin/nologin cairn \
    && mkdir -p /var/lib/cairn && chown 10001:10001 /var/lib/cairn
COPY --from=build /opt/cairn /opt/cairn
# The heap is a share of the container's memory limit, not a fixed size: half of it, the rest for
# metaspace, code, threads, direct buffers and the page cache (docs/deploy-kubernetes.md).
ENV CAIRN_JAVA_OPTS="-XX:MaxRAMPercentage=50 -XX:InitialRAMPercentage=25 -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:+ExitOnOutOfMemoryError"
USER 10001:10001
VOLUME /var/lib/cairn
# http, ops (probes, metrics), cluster, management (Cluster Bootstrap)
EXPOSE 7070 7071 25520 7626
ENTRYPOINT ["/opt/cairn/bin/cairn", "server"]
# Alone (docker run) it is the single node on the embedded journal; the StatefulSet passes its own.
CMD ["--host", "0.0.0.0", "--port", "7070", "--ops-port", "7071", "--data-dir", "/var/lib/cairn"]
