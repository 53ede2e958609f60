#!/bin/sh
# Serve the baseline with gunicorn in the foreground (for the Node orchestrator):
#   bench/baseline/serve.sh PORT [MODEL_PATH]
# PYTHON (default /usr/bin/python3, Debian's) is the interpreter gunicorn runs on.
# Binds 127.0.0.1 only; one sync worker, one thread (the course's setup).
# exec: gunicorn's master replaces this shell, so killing the spawned PID
# (SIGTERM, or SIGINT) stops the server and its worker.
set -eu
PORT=${1:?usage: serve.sh PORT [MODEL_PATH]}
HERE=$(cd "$(dirname "$0")" && pwd)
MODEL_PATH=$(realpath "${2:-$HERE/.build/model.bin}")
[ -f "$MODEL_PATH" ] || { echo "$MODEL_PATH not found: run /usr/bin/python3 $HERE/train_pickle.py" >&2; exit 1; }
export MODEL_PATH
export PYTHONDONTWRITEBYTECODE=1  # keep bench/baseline free of __pycache__
cd "$HERE"
exec "${PYTHON:-/usr/bin/python3}" -m gunicorn --bind "127.0.0.1:$PORT" --workers 1 --threads 1 app:app
