# jinmyaku classification service: the default model inside, served on port 8000.
#   docker build -t jinmyaku .
#   docker run -p 8000:8000 jinmyaku            # env: JINMYAKU_WORKERS, JINMYAKU_ADMIN_TOKEN, ...
# Python 3.11 as the shipped model was trained under it (its scikit-learn pin is checked at load).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY pyproject.toml setup.py README.md ./
COPY training ./training
COPY service ./service
COPY models ./models
# Editable, so the code keeps finding the models/ directory next to it in /app; bytecode
# compiled now, as the service user cannot write to /app. gcc builds the compiled scoring
# loops and keyword matching (training/_fastscore.c, training/_fastmatch.c; the import fails
# the build if either is missing) and leaves.
RUN apt-get update \
    && apt-get install -y --no-install-recommends gcc libc6-dev \
    && pip install -e . \
    && python -c "import training._fastscore, training._fastmatch" \
    && apt-get purge -y --auto-remove gcc libc6-dev \
    && rm -rf /var/lib/apt/lists/* \
    && python -m compileall -q training service \
    && useradd --create-home --uid 10001 jinmyaku

USER jinmyaku
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=10s --start-period=20s --retries=3 \
    CMD ["python", "-m", "service.healthcheck"]
CMD ["python", "-m", "service", "--host", "0.0.0.0"]
