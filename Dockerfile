# syntax=docker/dockerfile:1
# WeerAan backend image: `docker build -t weeraan .`, see the README's "Deployment" section.
# tests/ops/test_image.py performs these same steps without Docker.

# --- build: the wheel and the compiled catalogs -----------------------------------------
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
RUN pip install "babel>=2.14,<3"
COPY pyproject.toml README.md babel.cfg ./
COPY dialogs ./dialogs
COPY bot ./bot
COPY webhook ./webhook
COPY weeraan ./weeraan
COPY locales ./locales
RUN pip wheel --no-deps --wheel-dir /wheels . \
    && pybabel compile -d locales -D messages --statistics

# --- run: the installed wheel, the catalogs, an unprivileged user ------------------------
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    WEERAAN_DATABASE_URL=sqlite+aiosqlite:////data/weeraan.db \
    WEERAAN_LOCALES_DIR=/app/locales
RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    pip install /wheels/*.whl \
    && useradd --system --uid 10001 --user-group --home-dir /data --shell /usr/sbin/nologin weeraan \
    && install -d -o weeraan -g weeraan -m 0700 /data
COPY --from=build /src/locales /app/locales
USER weeraan
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"]
CMD ["weeraan", "serve", "--host", "0.0.0.0", "--port", "8000"]
