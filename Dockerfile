# syntax=docker/dockerfile:1
# The action image: one statically linked binary plus the CA bundle, nothing else.
#
# Builder: rust:1.95.0-bookworm pinned by the multi-arch index digest (the digest seen when
# docker.io/library/rust:1.95-bookworm resolves; re-check with
# `docker buildx imagetools inspect rust:1.95.0-bookworm` before bumping). Dependabot's docker
# ecosystem keeps it current.
FROM rust:1.95.0-bookworm@sha256:6258907abe69656e41cd992e0b705cdcfabcbbe3db374f92ed2d47121282d4a1 AS builder

# glibc's static libc: the binary needs no loader and no shared libraries at run time (no musl
# target here, and glibc 2.36 resolves `files`/`dns` without dlopen, so DNS works in `scratch`).
ENV RUSTFLAGS="-C target-feature=+crt-static" \
    CARGO_TERM_COLOR=never \
    CARGO_NET_RETRY=5

WORKDIR /build
COPY . .

# The target triple is explicit so RUSTFLAGS do not reach build scripts and proc macros (they
# cannot be static); `uname -m` keeps the same file usable for an arm64 image. The readelf check
# fails the build if the binary would still need the dynamic loader or a shared library.
RUN set -eux; \
    triple="$(uname -m)-unknown-linux-gnu"; \
    cargo build --locked --profile dist --target "$triple" --bin cloudfront-publish; \
    mkdir -p /out; \
    cp "target/$triple/dist/cloudfront-publish" /out/cloudfront-publish; \
    if readelf -ld /out/cloudfront-publish | grep -E 'NEEDED|program interpreter'; then \
        echo "cloudfront-publish is not statically linked" >&2; exit 1; \
    fi; \
    /out/cloudfront-publish --help >/dev/null

FROM scratch
LABEL org.opencontainers.image.title="cloudfront-publish" \
      org.opencontainers.image.description="Test and publish CloudFront Functions from CI" \
      org.opencontainers.image.source="https://github.com/cloudfront-publish/cloudfront-publish" \
      org.opencontainers.image.licenses="MIT OR Apache-2.0"
COPY --from=builder /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=builder /out/cloudfront-publish /cloudfront-publish
# rustls-native-certs looks here first; explicit so nothing depends on probing.
ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
ENTRYPOINT ["/cloudfront-publish"]
