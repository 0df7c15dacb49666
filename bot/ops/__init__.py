"""Operations: health (`/healthz`), Prometheus metrics (`/metrics`) and the small HTTP server
that serves them in polling mode (`METRICS_PORT`).

    health = Health(engine, redis, bot_api=BotApiWatch())     # what /healthz checks
    metrics = Metrics(engine, gateway=lambda: gateway)        # what /metrics shows
    add_routes(app, health, metrics)                          # on the webhook server
"""
