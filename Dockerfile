# syntax=docker/dockerfile:1
# papers-bot: build the wheel (and its dependencies' wheels) in one stage; the image that runs
# holds Python, those wheels installed, and nothing to build with. Not built on the machine this
# was written on (no Docker engine there); tests/test_deployment.py checks it statically.

FROM python:3.11-slim AS builder
WORKDIR /src
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
COPY pyproject.toml README.md LICENSE constraints.txt ./
COPY bot ./bot
COPY adapters ./adapters
COPY storage ./storage
# The project's wheel, then every runtime dependency as a wheel, at the versions CI tests (constraints.txt).
RUN pip wheel --no-deps --wheel-dir /wheels . \
 && pip wheel --prefer-binary --constraint constraints.txt --wheel-dir /wheels "$(ls /wheels/papers_bot-*.whl)[postgres]"

FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN --mount=type=bind,from=builder,source=/wheels,target=/wheels \
    pip install --no-index --find-links /wheels "$(ls /wheels/papers_bot-*.whl)[postgres]" \
 && useradd --create-home --uid 10001 papers \
 && install -d -o papers -g papers /home/papers/.cache /home/papers/.cache/papers-bot
USER papers
WORKDIR /home/papers
# Heartbeats (papers-bot health) and the find index's snapshot live in the user's own folders. The
# volume's folder is made above, owned by the user: a named volume starts with the image's folder
# (owner included); made by `VOLUME` itself it would belong to root and the snapshot could not be written.
ENV RUNTIME_DIR=/home/papers/run
VOLUME ["/home/papers/.cache/papers-bot"]
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=15s --start-period=120s --retries=3 CMD ["papers-bot", "health"]
CMD ["papers-bot", "run"]
