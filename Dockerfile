FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 VAR_DIR=/app/var STATIC_ROOT=/app/staticfiles
WORKDIR /app
COPY pyproject.toml README.md ./
RUN pip install --no-cache-dir -e . 
COPY . .
RUN SECRET_KEY=build-only python manage.py collectstatic --no-input
RUN useradd --create-home hub && mkdir -p /app/var && chown -R hub /app/var
USER hub
EXPOSE 8000
CMD ["gunicorn", "-c", "gunicorn.conf.py", "amhp_hub.wsgi:application", "--access-logfile", "-"]
