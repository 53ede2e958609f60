"""Command line and output folder of a models/<name>/train.py script.

Shared by models/churn/train.py and models/intent/train.py. This folder is
not a model: the service only serves folders whose names match the manifest's
NAME_PATTERN, which a leading "_" does not.
"""

import argparse
import json
import hashlib
import re
from pathlib import Path

DEFAULT_VERSION = "1.0.0"
# Same rule as the service's manifest schema: the version becomes a folder name.
VERSION_PATTERN = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._-]*$")


def sha256_hex(data):
    return hashlib.sha256(data).hexdigest()


def parse_args(argv, doc, default_data, forbidden_versions=()):
    """--version (checked against VERSION_PATTERN) and --data (a Path).

    doc is the script's docstring, shown by --help. forbidden_versions are
    version-shaped names that are taken in the model folder (intent's data/).
    """
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", default=DEFAULT_VERSION,
                        help=f"model version = output folder name (default {DEFAULT_VERSION})")
    parser.add_argument("--data", type=Path, default=default_data, help=f"CSV path (default {default_data})")
    parser.add_argument("--baseline-only", action="store_true",
                        help="write only the version's baseline.json (monitoring) from the training split; the model is not retrained")
    args = parser.parse_args(argv)
    if not VERSION_PATTERN.match(args.version) or args.version in forbidden_versions:
        taken = "".join(f" and not be {version!r}" for version in sorted(forbidden_versions))
        parser.error(f"--version must match {VERSION_PATTERN.pattern}{taken}")
    return args


def write_outputs(out_dir, files):
    """Writes {file name: bytes or str (UTF-8)} into out_dir, creating it."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        path = out_dir / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        print(f"wrote {path} ({path.stat().st_size} bytes)")


# The service's golden self-test (README, "Golden cases"): a recomputed answer
# may differ from the recorded one by absolute + relative * |recorded|.
GOLDEN_TOLERANCE = {"absolute": 1e-5, "relative": 1e-4}
# A golden case's label must not hang on float rounding: its margin (distance
# to the threshold, or between the two most likely classes) is at least this.
GOLDEN_MARGIN = 0.02


def golden(cases):
    """The manifest's golden block from (request, answer) pairs."""
    return {"tolerance": GOLDEN_TOLERANCE, "cases": [{"request": request, "answer": answer} for request, answer in cases]}


def spread(items, count):
    """count items evenly spaced through items (all of them if fewer)."""
    if len(items) <= count:
        return list(items)
    return [items[round(i * (len(items) - 1) / (count - 1))] for i in range(count)]


def probability7(p):
    """A probability as the service prints it: 7 decimals (float32 precision)."""
    return round(float(p), 7)


def write_baseline(name, version, records, source):
    """The version's monitoring baseline from its training split (README, "Monitoring").

    The records (API-shaped dicts) go to a JSON-lines file that
    `npm run model:baseline` scores with the service's own code and profiles,
    so the baseline is computed exactly as the monitor reads captures.
    """
    import subprocess
    import tempfile

    repo_root = Path(__file__).resolve().parents[2]
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", encoding="utf-8", delete=False) as handle:
        for record in records:
            handle.write(json.dumps(record) + "\n")
        data = handle.name
    try:
        subprocess.run(["npm", "run", "--silent", "model:baseline", "--", name, "--version", version, data, "--source", source],
                       cwd=repo_root, check=True)
    finally:
        Path(data).unlink()
