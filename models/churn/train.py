"""Train the churn model and write models/churn/<version>/.

    /usr/bin/python3 models/churn/train.py [--version 1.0.0] [--data path/to.csv]

Preparation, split and model follow the ML Zoomcamp churn example (DictVectorizer
one-hot + liblinear LogisticRegression). Writes model.onnx, model.json (the
manifest the TypeScript service reads), parity.json (predict_proba on every
held-out customer, for the onnxruntime parity test) and metrics.txt.
"""

import sys

# models/churn/ may only hold version folders: the service takes the
# highest-sorting folder as the newest version, and "__pycache__" sorts last.
sys.dont_write_bytecode = True

import json  # noqa: E402
from datetime import datetime, timezone  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import sklearn  # noqa: E402
from sklearn.feature_extraction import DictVectorizer  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics import accuracy_score, roc_auc_score  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

import exporter  # noqa: E402

# Only this model's folder is on sys.path (run, import, tests); add models/_training/,
# which holds what both train.py share: the --version/--data parser and output writing.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "_training"))
from model_folder import GOLDEN_MARGIN, golden, parse_args, probability7, sha256_hex, spread, write_baseline, write_outputs  # noqa: E402

MODEL_NAME = "churn"
MODEL_DIR = Path(__file__).resolve().parent
REPO_ROOT = MODEL_DIR.parents[1]
DEFAULT_DATA = REPO_ROOT.parent / "shared" / "data" / "telco-customer-churn.csv"

CATEGORICAL = [
    "gender", "seniorcitizen", "partner", "dependents", "phoneservice", "multiplelines",
    "internetservice", "onlinesecurity", "onlinebackup", "deviceprotection", "techsupport",
    "streamingtv", "streamingmovies", "contract", "paperlessbilling", "paymentmethod",
]
NUMERICAL = ["tenure", "monthlycharges", "totalcharges"]
ID_COLUMN = "customerid"
TARGET = "churn"

# seniorcitizen is listed as categorical (as in the course), but the CSV holds
# it as 0/1 ints, and DictVectorizer turns non-strings into a single numeric
# column. The manifest describes what the model really takes, so it is numeric.
# These bounds are what the API validates; the data is checked against them.
NUMERIC_SPECS = {
    "seniorcitizen": {"integer": True, "minimum": 0, "maximum": 1},
    "tenure": {"integer": True, "minimum": 0},
    "monthlycharges": {"minimum": 0},
    "totalcharges": {"minimum": 0},
}

SPLIT = {"test_size": 0.2, "random_state": 1}
ESTIMATOR_PARAMS = {"solver": "liblinear", "C": 1.0, "max_iter": 1000}
THRESHOLD = 0.5
# What the monitoring baseline is profiled from: the customers the model was fitted on.
BASELINE_SOURCE = f"training split of telco-customer-churn.csv (train_test_split {SPLIT}, the 80%)"
DESCRIPTION = (
    "Probability that a telco customer churns "
    "(IBM Telco Customer Churn; DictVectorizer one-hot + LogisticRegression)"
)


# --- data -------------------------------------------------------------------

# What load_data does to the published CSV before the model sees it, as data
# rather than code: the manifest carries it ("preprocessing"), and the service
# applies the same steps to every record it is sent, so a raw row of the CSV
# scores as training saw it (README, "Request formats"). Steps, in order:
# - field_names: column names lower-cased, then each [old, new] replaced;
# - missing_numbers: a blank (empty or spaces only) or missing value of these
#   numeric columns becomes the number given; TotalCharges is blank for the
#   customers with tenure 0, who have not been billed yet;
# - text_values: every other text value lower-cased, then each [old, new]
#   replaced ("Month-to-month" -> "month-to-month", "Fiber optic" -> "fiber_optic").
PREPROCESSING = {
    "field_names": {"lowercase": True, "replace": [[" ", "_"]]},
    "missing_numbers": {"totalcharges": 0},
    "text_values": {"lowercase": True, "replace": [[" ", "_"]]},
}


def normalize_text(strings, rule):
    """A pandas Series or Index of strings through a rule: lower-case, then each replacement in order."""
    if rule.get("lowercase"):
        strings = strings.str.lower()
    for old, new in rule.get("replace", []):
        strings = strings.str.replace(old, new, regex=False)
    return strings


def fill_missing_numbers(df, fills):
    """Blank or missing values of each column become its fill; anything else must be a number.

    Exactly what the service does with these columns: only a blank is filled,
    and other text that is not a number fails here as it is refused there.
    """
    for column, value in fills.items():
        blank = df[column].isna() | df[column].astype(str).str.strip().eq("")
        df[column] = pd.to_numeric(df[column].mask(blank, value))


def load_data(path):
    """Reads and cleans the CSV the way the course does, by the steps in PREPROCESSING."""
    # keep_default_na=False: pandas would read "NA", "n/a", "null" and the like
    # as missing; the service does not, so training does not either (the
    # published file holds none of them: only blanks, which are filled below).
    df = pd.read_csv(path, keep_default_na=False)
    df.columns = normalize_text(df.columns, PREPROCESSING["field_names"])
    fill_missing_numbers(df, PREPROCESSING["missing_numbers"])
    for column in df.dtypes[df.dtypes == "object"].index:
        df[column] = normalize_text(df[column], PREPROCESSING["text_values"])
    df[TARGET] = (df[TARGET] == "yes").astype(int)
    return df


def check_numeric_ranges(df):
    """The manifest's numeric bounds must hold for the data the model saw."""
    for name, spec in NUMERIC_SPECS.items():
        values = df[name]
        if not pd.api.types.is_numeric_dtype(values) or values.isna().any():
            raise AssertionError(f"{name}: expected numbers without gaps, got dtype {values.dtype}")
        if spec.get("integer") and not pd.api.types.is_integer_dtype(values):
            raise AssertionError(f"{name}: declared integer but dtype is {values.dtype}")
        if "minimum" in spec and values.min() < spec["minimum"]:
            raise AssertionError(f"{name}: minimum {values.min()} < declared {spec['minimum']}")
        if "maximum" in spec and values.max() > spec["maximum"]:
            raise AssertionError(f"{name}: maximum {values.max()} > declared {spec['maximum']}")


def to_records(df):
    """Feature dicts with plain Python values, as the API receives them."""
    records = df[CATEGORICAL + NUMERICAL].to_dict(orient="records")
    return [{key: _plain(key, value) for key, value in record.items()} for record in records]


def _plain(name, value):
    # numpy scalars would not serialize to JSON, and ints must stay ints so
    # DictVectorizer (and the fixture) treat them as numbers, not categories.
    if name in NUMERIC_SPECS:
        return int(value) if NUMERIC_SPECS[name].get("integer") else float(value)
    return str(value)


# --- column layout -----------------------------------------------------------

def features_from_columns(columns, numeric_specs=NUMERIC_SPECS):
    """Describes DictVectorizer's columns as features, in column order.

    A column named exactly like a numeric feature is that feature; any other
    column is "<feature>=<value>", a one-hot column of a categorical feature.
    The service rebuilds the columns by walking the features, so every
    feature's columns must be consecutive; raises ValueError if they are not.
    """
    features = []
    seen = set()
    for column in columns:
        if column in numeric_specs:
            name, value = column, None
        elif "=" in column:
            name, value = column.split("=", 1)
            if name in numeric_specs:
                raise ValueError(f"numeric feature {name!r} has a one-hot column {column!r} (string values?)")
        else:
            raise ValueError(f"column {column!r} is neither a numeric feature nor feature=value")
        current = features[-1] if features else None
        if value is not None and current and current["name"] == name and current["type"] == "categorical":
            current["values"].append(value)
            continue
        if name in seen:
            raise ValueError(f"columns of feature {name!r} are not consecutive: {list(columns)}")
        seen.add(name)
        if value is None:
            features.append({"name": name, "type": "numeric", **numeric_specs[name]})
        else:
            features.append({"name": name, "type": "categorical", "values": [value]})
    return features


def expand_columns(features):
    """The column names a feature list stands for (what the service computes)."""
    columns = []
    for feature in features:
        if feature["type"] == "numeric":
            columns.append(feature["name"])
        else:
            columns.extend(f"{feature['name']}={value}" for value in feature["values"])
    return columns


def describe_layout(dv):
    """features + columns for the manifest; fails loudly on any mismatch."""
    columns = [str(c) for c in dv.get_feature_names_out()]
    features = features_from_columns(columns)
    if expand_columns(features) != columns:
        raise AssertionError("features do not expand to DictVectorizer's columns")
    names = sorted(f["name"] for f in features)
    if names != sorted(CATEGORICAL + NUMERICAL):
        raise AssertionError(f"features {names} differ from the training features")
    kinds = {f["name"]: f["type"] for f in features}
    if any(kinds[name] != "numeric" for name in NUMERIC_SPECS):
        raise AssertionError(f"a numeric feature became one-hot columns: {kinds}")
    return features, columns


# --- training ----------------------------------------------------------------

def train(df):
    full_train, test = train_test_split(df, **SPLIT)
    dv = DictVectorizer(sparse=False)
    x_train = dv.fit_transform(to_records(full_train))
    model = LogisticRegression(**ESTIMATOR_PARAMS)
    model.fit(x_train, full_train[TARGET].values)
    return dv, model, full_train, test


def evaluate(dv, model, test):
    x_test = dv.transform(to_records(test))
    probabilities = model.predict_proba(x_test)[:, 1]
    y = test[TARGET].values
    metrics = {
        "test_roc_auc": round(float(roc_auc_score(y, probabilities)), 4),
        "test_accuracy": round(float(accuracy_score(y, probabilities >= THRESHOLD)), 4),
    }
    return x_test, probabilities, metrics


def check_onnx_matches(onnx_model, x_test, probabilities):
    """The float32 graph must reproduce predict_proba; returns the max deviation."""
    deviation = float(np.max(np.abs(exporter.numpy_reference(onnx_model, x_test)[:, 0] - probabilities)))
    if deviation > 1e-5:
        raise AssertionError(f"ONNX graph deviates from predict_proba by {deviation}")
    return deviation


# --- outputs -----------------------------------------------------------------

def estimator_repr():
    args = ", ".join(f"{key}={value!r}" for key, value in ESTIMATOR_PARAMS.items())
    return f"LogisticRegression({args})"


def golden_block(parity):
    """Five held-out customers spread over the probability range, none near the threshold."""
    clear = [c for c in parity["cases"] if abs(c["churn_probability"] - THRESHOLD) >= GOLDEN_MARGIN]
    chosen = spread(sorted(clear, key=lambda c: c["churn_probability"]), 5)
    return golden([(c["input"], {"churn_probability": probability7(c["churn_probability"]),
                                 TARGET: c["churn_probability"] >= THRESHOLD}) for c in chosen])


def build_manifest(version, onnx_bytes, features, columns, data_path, data_bytes, counts, metrics, parity):
    return {
        "name": MODEL_NAME,
        "version": version,
        "description": DESCRIPTION,
        "created": datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z"),
        "kind": "binary-classification",
        "file": "model.onnx",
        "sha256": sha256_hex(onnx_bytes),
        "onnx": {
            "inputs": [{"name": exporter.INPUT_NAME, "datatype": "FP32", "shape": [None, len(columns)]}],
            "outputs": [{"name": exporter.OUTPUT_NAME, "datatype": "FP32", "shape": [None, 1]}],
        },
        "features": features,
        "columns": columns,
        "output": {"label": TARGET, "probability": "churn_probability", "threshold": THRESHOLD},
        "preprocessing": PREPROCESSING,
        "golden": golden_block(parity),
        "training": {
            "data": data_path.name,
            "data_sha256": sha256_hex(data_bytes),
            **counts,
            "split": SPLIT,
            "library": f"scikit-learn {sklearn.__version__}",
            "estimator": estimator_repr(),
            "metrics": metrics,
        },
    }


def build_parity(version, test, probabilities):
    cases = [
        {"customerid": str(customer), "input": record, "churn_probability": float(p)}
        for customer, record, p in zip(test[ID_COLUMN], to_records(test), probabilities)
    ]
    return {
        "model": MODEL_NAME,
        "version": version,
        "source": "scikit-learn predict_proba on the held-out 20% split",
        "cases": cases,
    }


def parity_json(parity):
    """Valid JSON with one case per line: ~1400 cases stay small and diffable."""
    head = {key: value for key, value in parity.items() if key != "cases"}
    lines = [f"  {json.dumps(key)}: {json.dumps(value)}," for key, value in head.items()]
    cases = ",\n".join(f"    {json.dumps(case)}" for case in parity["cases"])
    return "{\n" + "\n".join(lines) + '\n  "cases": [\n' + cases + "\n  ]\n}\n"


def metrics_text(version, counts, metrics, n_columns, deviation, sha256):
    return (
        f"churn {version}: LogisticRegression on {n_columns} DictVectorizer columns\n"
        f"rows: {counts['rows']} (train {counts['train_rows']}, test {counts['test_rows']})\n"
        f"test ROC AUC: {metrics['test_roc_auc']:.4f}\n"
        f"test accuracy at {THRESHOLD}: {metrics['test_accuracy']:.4f}\n"
        f"max |onnx(float32, numpy) - predict_proba| on test: {deviation:.2e}\n"
        f"model.onnx sha256: {sha256}\n"
    )


# --- main --------------------------------------------------------------------

def main(argv=None):
    args = parse_args(argv, __doc__, DEFAULT_DATA)
    data_path = args.data.resolve()
    data_bytes = data_path.read_bytes()  # hashed for the manifest; the CSV stays where it is

    df = load_data(data_path)
    check_numeric_ranges(df)
    if args.baseline_only:
        full_train, _ = train_test_split(df, **SPLIT)
        write_baseline(MODEL_NAME, args.version, to_records(full_train), BASELINE_SOURCE)
        return
    dv, model, full_train, test = train(df)
    features, columns = describe_layout(dv)
    x_test, probabilities, metrics = evaluate(dv, model, test)

    onnx_model = exporter.export_logistic_regression(model.coef_, model.intercept_, doc_string=DESCRIPTION)
    onnx_bytes = exporter.to_bytes(onnx_model)
    deviation = check_onnx_matches(onnx_model, x_test, probabilities)

    counts = {"rows": len(df), "train_rows": len(full_train), "test_rows": len(test)}
    parity = build_parity(args.version, test, probabilities)
    manifest = build_manifest(args.version, onnx_bytes, features, columns, data_path, data_bytes, counts, metrics, parity)
    write_outputs(MODEL_DIR / args.version, {
        "model.onnx": onnx_bytes,
        "model.json": json.dumps(manifest, indent=2) + "\n",
        "parity.json": parity_json(parity),
        "metrics.txt": metrics_text(args.version, counts, metrics, len(columns), deviation, manifest["sha256"]),
    })
    print(metrics_text(args.version, counts, metrics, len(columns), deviation, manifest["sha256"]), end="")
    write_baseline(MODEL_NAME, args.version, to_records(full_train), BASELINE_SOURCE)


if __name__ == "__main__":
    main()
