# prescale in a container, for running a sweep's shards on a cluster
# (deploy/kubernetes/sweep-job.yaml). Multi-stage: build in the Rust image, run in a
# slim one with the binary alone (its plot font is embedded; it needs no network).
FROM rust:1-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src ./src
COPY benches ./benches
RUN cargo build --release --locked --bin prescale

FROM debian:bookworm-slim
COPY --from=build /src/target/release/prescale /usr/local/bin/prescale
ENTRYPOINT ["prescale"]
