# Bazaar in a container: the bot as a non-root user, its config and database on /data.
#
#   docker build -t bazaar .
#   docker run -d --init --name bazaar --env-file bazaar.env -v "$PWD/data:/data" bazaar
#
# /data/config.toml is the config (copy config.example.toml there); with its default
# `[storage] database = "bazaar.db"` the database is /data/bazaar.db, beside the config.
# The directory must be writable by uid 10001 (`sudo chown -R 10001:10001 data`).

FROM python:3.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot/ bot/
COPY cogs/ cogs/
# The bot and its dependencies only (no dev extras), in a virtualenv the next stage copies.
RUN python -m venv /opt/bazaar && /opt/bazaar/bin/pip install .

FROM python:3.11-slim-bookworm
ENV PATH=/opt/bazaar/bin:$PATH PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
RUN useradd --system --user-group --uid 10001 --home-dir /data --no-create-home \
        --shell /usr/sbin/nologin bazaar \
    && install -d -o bazaar -g bazaar -m 0750 /data
COPY --from=build /opt/bazaar /opt/bazaar
USER 10001:10001
WORKDIR /data
VOLUME ["/data"]
# SIGTERM stops the bot cleanly (polling stops, the send in flight finishes, exit 0); give
# it time: `docker stop -t 30` or compose's stop_grace_period.
STOPSIGNAL SIGTERM
# The running bot rewrites /data/bazaar.db.heartbeat every 30 s; `health` fails when it is
# older than 90 s (or missing). Change --config here too if you run with another config.
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
    CMD ["python", "-m", "bot", "health", "--config", "/data/config.toml"]
ENTRYPOINT ["python", "-m", "bot"]
CMD ["run", "--config", "/data/config.toml"]
