"""Train the churn model as models/churn/train.py does and pickle (dv, model).

    /usr/bin/python3 bench/baseline/train_pickle.py [--out PATH] [--data CSV]

The baseline must be the very same model the service serves as ONNX, so the
data preparation, split and estimator are not copied: they are imported from
models/churn/train.py (load_data, train). Only the output differs: the
course's `pickle.dump((dv, model), f_out)` instead of ONNX.
"""

import sys

# Must come before importing train: the import system writes a module's .pyc
# before running it, so train.py's own `sys.dont_write_bytecode = True` would
# come too late and leave models/churn/__pycache__, which the service would
# take as the newest model version (it sorts last).
sys.dont_write_bytecode = True

import argparse  # noqa: E402
import pickle  # noqa: E402
from pathlib import Path  # noqa: E402

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]
sys.path.insert(0, str(REPO_ROOT / "models" / "churn"))

import train  # noqa: E402  (models/churn/train.py)

DEFAULT_OUT = HERE / ".build" / "model.bin"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"pickle path (default {DEFAULT_OUT})")
    parser.add_argument("--data", type=Path, default=train.DEFAULT_DATA,
                        help=f"CSV, read in place (default {train.DEFAULT_DATA})")
    args = parser.parse_args(argv)

    df = train.load_data(args.data.resolve())
    train.check_numeric_ranges(df)
    dv, model, full_train, test = train.train(df)

    args.out.parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "wb") as f_out:
        pickle.dump((dv, model), f_out)
    print(f"wrote {args.out} ({args.out.stat().st_size} bytes): "
          f"{train.estimator_repr()} on {len(dv.feature_names_)} columns, "
          f"train {len(full_train)} rows, held out {len(test)}")


if __name__ == "__main__":
    main()
