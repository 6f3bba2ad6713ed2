# WeerAan backend image: installs the package, compiles the catalogs, runs `weeraan serve`.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    WEERAAN_DATABASE_URL=sqlite+aiosqlite:////data/weeraan.db \
    WEERAAN_LOCALES_DIR=/app/locales

WORKDIR /app
COPY pyproject.toml README.md babel.cfg ./
COPY dialogs ./dialogs
COPY bot ./bot
COPY webhook ./webhook
COPY weeraan ./weeraan
COPY locales ./locales

RUN pip install --no-cache-dir . \
    && pybabel compile -d locales -D messages \
    && useradd --system --home /data weeraan \
    && mkdir -p /data && chown weeraan /data

USER weeraan
VOLUME ["/data"]
EXPOSE 8000
CMD ["weeraan", "serve", "--host", "0.0.0.0", "--port", "8000"]
