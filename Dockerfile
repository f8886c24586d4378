# One build of every executable, then one small runtime image per service:
#   docker build --target auth-service -t trusttrade/auth-service .
# The toolchain the code is built and tested with.
ARG SWIFT_IMAGE=swift:6.3-bookworm
ARG RUNTIME_IMAGE=debian:bookworm-slim

FROM ${SWIFT_IMAGE} AS build
RUN apt-get update && apt-get install -y --no-install-recommends libhiredis-dev libvips-dev pkg-config && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Resolve dependencies in their own layer so code changes do not refetch them.
COPY Package.swift ./
RUN swift package resolve
COPY Shared ./Shared
COPY Services ./Services
COPY Benchmarks ./Benchmarks
COPY Tests ./Tests
RUN swift build -c release --static-swift-stdlib \
        --product auth-service --product notification-service --product standins --product gateway --product core-service --product payment-service \
        --product ai-service --product file-service \
    && mkdir -p /out \
    && cp .build/release/auth-service .build/release/notification-service .build/release/standins .build/release/gateway .build/release/core-service /out/ \
    && cp .build/release/payment-service .build/release/ai-service .build/release/file-service /out/ \
    && cp -R .build/release/*.resources /out/

FROM ${RUNTIME_IMAGE} AS runtime
RUN apt-get update && apt-get install -y --no-install-recommends libhiredis0.14 ca-certificates curl tzdata \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home /app trusttrade
WORKDIR /app
# The queue's Lua scripts: every service with a worker or an outbox loads them.
COPY --from=build /out/TrustTrade_Queue.resources /app/TrustTrade_Queue.resources
ENV HOST=0.0.0.0 LOG_LEVEL=info
USER trusttrade

FROM runtime AS auth-service
COPY --from=build /out/auth-service /app/
COPY --from=build /out/TrustTrade_AuthService.resources /app/TrustTrade_AuthService.resources
EXPOSE 3001
HEALTHCHECK --interval=10s --timeout=3s CMD curl -fsS http://127.0.0.1:3001/health || exit 1
ENTRYPOINT ["/app/auth-service"]

FROM runtime AS standins
COPY --from=build /out/standins /app/
EXPOSE 4010
ENTRYPOINT ["/app/standins"]

FROM runtime AS notification-service
COPY --from=build /out/notification-service /app/
COPY --from=build /out/TrustTrade_NotificationService.resources /app/TrustTrade_NotificationService.resources
EXPOSE 3003
HEALTHCHECK --interval=10s --timeout=3s CMD curl -fsS http://127.0.0.1:3003/health || exit 1
ENTRYPOINT ["/app/notification-service"]

FROM runtime AS gateway
COPY --from=build /out/gateway /app/
COPY --from=build /out/TrustTrade_Gateway.resources /app/TrustTrade_Gateway.resources
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s CMD curl -fsS http://127.0.0.1:8080/health || exit 1
ENTRYPOINT ["/app/gateway"]

FROM runtime AS core-service
COPY --from=build /out/core-service /app/
COPY --from=build /out/TrustTrade_CoreService.resources /app/TrustTrade_CoreService.resources
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s CMD curl -fsS http://127.0.0.1:3000/health || exit 1
ENTRYPOINT ["/app/core-service"]

FROM runtime AS payment-service
COPY --from=build /out/payment-service /app/
COPY --from=build /out/TrustTrade_PaymentService.resources /app/TrustTrade_PaymentService.resources
EXPOSE 3002
HEALTHCHECK --interval=10s --timeout=3s CMD curl -fsS http://127.0.0.1:3002/health || exit 1
ENTRYPOINT ["/app/payment-service"]

FROM runtime AS ai-service
COPY --from=build /out/ai-service /app/
COPY --from=build /out/TrustTrade_AIService.resources /app/TrustTrade_AIService.resources
EXPOSE 5000
HEALTHCHECK --interval=10s --timeout=3s CMD curl -fsS http://127.0.0.1:5000/health || exit 1
ENTRYPOINT ["/app/ai-service"]

# libvips at run time for the file service only.
FROM runtime AS file-service
USER root
RUN apt-get update && apt-get install -y --no-install-recommends libvips42 && rm -rf /var/lib/apt/lists/* \
    && mkdir -p /data/files && chown trusttrade /data/files
USER trusttrade
COPY --from=build /out/file-service /app/
COPY --from=build /out/TrustTrade_FileService.resources /app/TrustTrade_FileService.resources
ENV FILE_STORAGE_PATH=/data/files
EXPOSE 3004
HEALTHCHECK --interval=10s --timeout=3s CMD curl -fsS http://127.0.0.1:3004/health || exit 1
ENTRYPOINT ["/app/file-service"]
