# syntax=docker/dockerfile:1
# The tracker-mcp container: the release binary on distroless/cc (glibc, CA certificates,
# no shell, no package manager), as an unprivileged user, writing nothing.
#
#   docker build -t tracker-mcp .
#   docker run -i --rm --read-only -e REDMINE_URL -e REDMINE_API_KEY tracker-mcp
#
# It serves MCP over stdio (hence `-i`); settings come from `-e` variables or from a .env
# mounted at /config/tracker-mcp/.env (`-v ~/.config/tracker-mcp:/config:ro`). Once the
# binary has `--http` (remote serving), `docker run ... tracker-mcp serve --http 0.0.0.0:8080`
# serves Streamable HTTP instead.

# Build stage: Debian 12, as the runtime, so the binary links against the same glibc.
FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src ./src
# Cargo reads every target Cargo.toml declares, the bench included, before building one.
COPY benches ./benches
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin tracker-mcp \
    && install -D -m 0755 target/release/tracker-mcp /out/tracker-mcp

# Runtime stage: distroless's `nonroot` (uid 65532) owns nothing the server writes to.
FROM gcr.io/distroless/cc-debian12:nonroot
# The MCP registry checks this label to tie the image to server.json's name.
LABEL io.modelcontextprotocol.server.name="io.github.tracker-mcp/tracker-mcp" \
      org.opencontainers.image.title="tracker-mcp" \
      org.opencontainers.image.description="MCP server for Bugzilla, Redmine and Bitbucket (Cloud and Data Center)" \
      org.opencontainers.image.source="https://github.com/tracker-mcp/tracker-mcp" \
      org.opencontainers.image.licenses="MIT OR Apache-2.0"
COPY --from=build /out/tracker-mcp /usr/local/bin/tracker-mcp
# Read-only root filesystem: HOME exists but is never written; the only file read besides
# the environment is $XDG_CONFIG_HOME/tracker-mcp/.env, when mounted.
ENV HOME=/home/nonroot \
    XDG_CONFIG_HOME=/config \
    RUST_LOG=info
USER 65532:65532
WORKDIR /home/nonroot
ENTRYPOINT ["/usr/local/bin/tracker-mcp"]
CMD ["serve"]
