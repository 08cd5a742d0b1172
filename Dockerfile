# Build: a static, pure-Go binary (modernc.org/sqlite needs no cgo).
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/intake ./cmd/intake \
 && mkdir -p /out/data

# Run: distroless static, as the unprivileged "nonroot" user (uid 65532).
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/intake /usr/local/bin/intake
COPY --from=build /src/configs/intake.example.yaml /etc/intake/intake.example.yaml
COPY --from=build --chown=65532:65532 /out/data /var/lib/intake/data
WORKDIR /var/lib/intake
VOLUME ["/var/lib/intake/data"]
USER nonroot:nonroot
EXPOSE 8080
# Serving beyond loopback needs API tokens: pass INTAKE_ADMIN_TOKEN or a
# config with api.tokens, e.g.
#   docker run -e INTAKE_ADMIN_TOKEN=... -p 8080:8080 intake
ENTRYPOINT ["/usr/local/bin/intake"]
CMD ["serve", "--addr", "0.0.0.0:8080"]
