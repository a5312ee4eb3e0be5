# Paper Digest Bot: `docker compose up` runs the bot with PostgreSQL (see docker-compose.yml).

# --- build: a wheel and its dependencies into a virtual environment ---------------------
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md constraints.txt ./
COPY src ./src
# constraints.txt pins every dependency to the versions CI tested and audited.
RUN python -m venv /opt/digestbot \
    && /opt/digestbot/bin/pip install --upgrade pip \
    && /opt/digestbot/bin/pip install -c constraints.txt '.[postgres]'

# --- runtime: the virtual environment only, as an unprivileged user --------------------
FROM python:3.11-slim
ENV PATH=/opt/digestbot/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    MPLCONFIGDIR=/tmp/matplotlib \
    PORT=3000
# A Hangul font, so charts in Korean (DIGEST_LANGUAGE=ko) draw their labels.
RUN apt-get update && apt-get install -y --no-install-recommends fonts-nanum \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 10001 digestbot
COPY --from=build /opt/digestbot /opt/digestbot
USER digestbot
WORKDIR /home/digestbot
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["digestbot", "health"]
CMD ["digestbot", "run"]
