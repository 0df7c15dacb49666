# refund-bot: `docker build -t refund-bot .`, then `docker run --env-file .env -v refund-bot-data:/data refund-bot`
# (or `docker compose up`, which adds PostgreSQL and Redis). Other commands run the same way,
# e.g. `docker run --rm -it refund-bot console`, `docker run --rm refund-bot --help`.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# optional extras, e.g. `--build-arg EXTRAS=embeddings` for KNOWLEDGE_EMBEDDINGS=true
ARG EXTRAS=""
# the package (with its migrations, locales and fraud data) goes into site-packages; the
# refund policy, the knowledge base and the prompts stay plain files under /app
# pictures (QR codes, OCR): the images extra brings the headless OpenCV; rapidocr-onnxruntime
# goes in without its dependencies, whose GUI OpenCV would need libGL (docs/fraud.md#pictures)
COPY . /tmp/src
RUN pip install "/tmp/src[images${EXTRAS:+,$EXTRAS}]" \
    && pip install --no-deps "rapidocr-onnxruntime==1.4.4" \
    && cp -r /tmp/src/knowledge /app/knowledge \
    && cp -r /tmp/src/prompts /app/prompts \
    && rm -rf /tmp/src \
    && useradd --system --create-home --uid 10001 --user-group refundbot \
    && mkdir -p /data \
    && chown refundbot:refundbot /data

# SQLite in the /data volume unless DATABASE_URL says otherwise (docker-compose.yml uses PostgreSQL)
ENV DATABASE_URL=sqlite+aiosqlite:////data/refund-bot.sqlite3 \
    REFUND_BOT_HOME=/app \
    POLICY_FILE=/app/knowledge/policy.yaml \
    KNOWLEDGE_DIR=/app/knowledge

VOLUME ["/data"]
USER refundbot
EXPOSE 8080

ENTRYPOINT ["refund-bot"]
CMD ["run"]
