# refund-bot: `docker build -t refund-bot .`, then `docker run --env-file .env -v refund-bot-data:/data refund-bot`
# (or `docker compose up`: PostgreSQL, Redis, two instances behind nginx; see docker-compose.yml).
# Other commands run the same way, e.g. `docker run --rm -it refund-bot console`.
#
# Two stages: the first installs exactly as the README does (`make install`: a virtual
# environment, the package editable with the `images` extra, then rapidocr-onnxruntime with
# --no-deps); the second holds only that environment and the sources, and runs as an
# unprivileged user. Optional extras: `--build-arg EXTRAS=images,embeddings`.
ARG PYTHON_IMAGE=python:3.11-slim

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN apt-get update \
    && apt-get install -y --no-install-recommends make \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml Makefile README.md alembic.ini ./
COPY bot ./bot
COPY knowledge ./knowledge
COPY prompts ./prompts
ARG EXTRAS=images
RUN make install VENV=/opt/venv EXTRAS="${EXTRAS}" \
    && /opt/venv/bin/python -m compileall -q /app/bot

FROM ${PYTHON_IMAGE}
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    REFUND_BOT_HOME=/app \
    POLICY_FILE=/app/knowledge/policy.yaml \
    KNOWLEDGE_DIR=/app/knowledge \
    DATABASE_URL=sqlite+aiosqlite:////data/refund-bot.sqlite3 \
    METRICS_PORT=9090
RUN useradd --system --create-home --uid 10001 --user-group refundbot \
    && mkdir -p /data \
    && chown refundbot:refundbot /data
COPY --from=build /opt/venv /opt/venv
COPY --from=build /app /app
WORKDIR /app
VOLUME ["/data"]
USER refundbot
# 8080: the webhook (WEBHOOK_PORT); 9090: /healthz and /metrics (METRICS_PORT)
EXPOSE 8080 9090
# 200 from /healthz: database, Redis (when set) and the Bot API are fine (see README, Operations)
HEALTHCHECK --interval=30s --timeout=5s --start-period=90s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('METRICS_PORT', '9090'), timeout=4)"]
# SIGTERM (docker stop) stops within SHUTDOWN_TIMEOUT (20 s): give docker stop more than that
STOPSIGNAL SIGTERM
ENTRYPOINT ["refund-bot"]
CMD ["run"]
