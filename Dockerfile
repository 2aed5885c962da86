# syntax=docker/dockerfile:1
#
# The OComms edge: Caddy built with xcaddy at the version pinned in
# xcaddy.json, with this checkout as the ocomms module. Replaces OComms'
# nginx-certbot service (see docker-compose.example.yml).
#
#   docker build -t ocomms-edge .
#   docker run -p 80:80 -p 443:443 -p 443:443/udp -e OCOMMS_SITE=chat.example.com \
#     -e OCOMMS_UPSTREAM=app:3000 -v caddy_data:/data ocomms-edge
#
# scripts/xcaddy-check.sh performs the build stage without Docker; keep the
# two in step (it reads XCADDY_VERSION and CADDY_VERSION from here).

ARG GO_VERSION=1.26.8
ARG CADDY_VERSION=2.11.9
ARG XCADDY_VERSION=v0.4.5

FROM golang:${GO_VERSION}-alpine AS build
ARG CADDY_VERSION
ARG XCADDY_VERSION
RUN apk add --no-cache git
RUN --mount=type=cache,target=/go/pkg/mod \
    go install github.com/caddyserver/xcaddy/cmd/xcaddy@${XCADDY_VERSION}
WORKDIR /src
# Dependencies first, so that source edits do not refetch them.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
ENV CGO_ENABLED=0
# The plugin is a package of this module, not a module: --with names the
# package, --replace points its module at /src. No proxy has the package
# path as a module; the empty file:// proxy after "|" turns any proxy's
# answer for it (404, or 403 from some mirrors) into "not found", so Go
# falls back to the replaced module.
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    mkdir -p /tmp/noproxy \
 && GOPROXY="https://proxy.golang.org|file:///tmp/noproxy" \
    xcaddy build v${CADDY_VERSION} \
      --with github.com/ocomms/ocomms-edge/caddymodule \
      --replace github.com/ocomms/ocomms-edge=/src \
      --output /out/ocomms-caddy \
 && /out/ocomms-caddy list-modules | grep -qx 'http.handlers.ocomms_headers' \
 && /out/ocomms-caddy list-modules | grep -qx 'http.handlers.ocomms_rate_limit'

# The official image: /etc/caddy, XDG_DATA_HOME=/data, XDG_CONFIG_HOME=/config,
# CA certificates, mailcap. Our binary replaces its caddy.
FROM caddy:${CADDY_VERSION}-alpine
COPY --from=build /out/ocomms-caddy /usr/bin/caddy
RUN ln -s /usr/bin/caddy /usr/bin/ocomms-caddy \
 # Bind 80/443 without root (runtimes that allow no file capabilities
 # should set the sysctl net.ipv4.ip_unprivileged_port_start=0 instead).
 && setcap cap_net_bind_service=+ep /usr/bin/caddy \
 && addgroup -S -g 1000 ocomms \
 && adduser -S -D -H -u 1000 -G ocomms -h /data ocomms \
 && mkdir -p /data /config /var/lib/ocomms \
 && chown -R ocomms:ocomms /data /config /var/lib/ocomms
COPY Caddyfile.example /etc/caddy/Caddyfile

# Certificates and ACME account (/data/caddy), autosaved config (/config),
# audit files and spool (/var/lib/ocomms).
VOLUME ["/data", "/config", "/var/lib/ocomms"]
# OCOMMS_AUDIT_FILE puts the audit JSONL files, their spool and the
# checkpoint signing key in the audit volume (not in /data with the
# certificates).
ENV OCOMMS_SITE=localhost \
    OCOMMS_UPSTREAM=app:3000 \
    OCOMMS_AUDIT_FILE=/var/lib/ocomms/audit
EXPOSE 80 443 443/udp
USER ocomms

# Healthy = the edge answers HTTPS for its site with the security headers,
# checked on this container (--resolve 127.0.0.1). An app or Redis outage
# does not make the edge unhealthy (the header check only warns on a 502);
# run the full `ocomms-caddy ocomms doctor` for that.
HEALTHCHECK --interval=30s --timeout=15s --start-period=60s --retries=3 \
  CMD ["ocomms-caddy", "ocomms", "doctor", "--only", "headers", "--resolve", "127.0.0.1", "--admin=", "--timeout", "5s"]

CMD ["caddy", "run", "--config", "/etc/caddy/Caddyfile", "--adapter", "caddyfile"]
