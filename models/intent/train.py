"""Train the intent model and write models/intent/<version>/.

    /usr/bin/python3 models/intent/train.py [--version 1.0.0] [--data path/to.csv]

Classifies a customer chat message as complaint, greeting, praise or question:
TfidfVectorizer (1-2 grams) + multinomial LogisticRegression, fitted on the
rows of data/messages.csv marked split=train and scored on split=test (the
split is part of the data, not recomputed here). Writes model.onnx, model.json
(the manifest the TypeScript service reads), parity.json (predict_proba on
every held-out message plus edge cases, for the onnxruntime parity test) and
metrics.md.

C, min_df and ngram_range are chosen by 5-fold stratified cross-validation on
the train rows only (fixed seed): lowest mean log loss, ties broken by higher
mean accuracy. The test rows are used for nothing but the final evaluation.
"""

import sys

# models/intent/ may only hold version folders: the service takes the
# highest-sorting folder as the newest version, and "__pycache__" sorts last.
sys.dont_write_bytecode = True

import itertools  # noqa: E402
import json  # noqa: E402
import warnings  # noqa: E402
from datetime import datetime, timezone  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import sklearn  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics import accuracy_score, confusion_matrix  # noqa: E402
from sklearn.model_selection import StratifiedKFold, cross_validate  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402

import exporter  # noqa: E402

# Only this model's folder is on sys.path (run, import, tests); add models/_training/,
# which holds what both train.py share: the --version/--data parser and output writing.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "_training"))
from model_folder import GOLDEN_MARGIN, golden, parse_args, probability7, sha256_hex, write_baseline, write_outputs  # noqa: E402

MODEL_NAME = "intent"
MODEL_DIR = Path(__file__).resolve().parent
REPO_ROOT = MODEL_DIR.parents[1]
DEFAULT_DATA = MODEL_DIR / "data" / "messages.csv"

# clf.classes_ sorts the labels, so this is also the ONNX output's column order.
LABELS = ["complaint", "greeting", "praise", "question"]
MIN_PER_LABEL = 55
MAX_WORDS = 25
# The API's limit on the text field (manifest text.maxLength), in UTF-16 code
# units as JavaScript counts them.
MAX_LENGTH = 2000

# The defaults spelled out: the exporter reproduces exactly these (lowercase,
# default token_pattern, raw counts, smooth idf, l2 norm). sublinear_tf stays
# False: the graph multiplies raw counts by idf, it has no 1 + log(tf) step.
# ngram_range and min_df here are the base values; the CV search below
# overrides them (and C) with the settings it selects.
VECTORIZER_PARAMS = {"lowercase": True, "ngram_range": (1, 2), "min_df": 1, "sublinear_tf": False, "norm": "l2"}
# lbfgs with the default multi_class='auto' is a multinomial softmax for 4 classes.
ESTIMATOR_PARAMS = {"max_iter": 1000}

# Model selection: 5-fold stratified CV on the train rows only, fixed seed.
# Every combination is exportable (the exporter handles word 1-grams and
# 1-2 grams; min_df only shrinks the vocabulary). Selection rule: lowest mean
# log loss over the folds, then higher mean accuracy (accuracy moves in steps
# of one message per ~95 and is too coarse to rank the top settings alone).
CV_FOLDS = 5
CV_SEED = 20261123
SEARCH_GRID = {
    "ngram_range": [(1, 1), (1, 2)],
    "min_df": [1, 2],
    "C": [0.1, 0.3, 1, 3, 10, 30, 100, 300, 1000, 3000],
}
SELECTION_RULE = "lowest mean log loss over the folds; ties: higher mean accuracy"
# What the float32 graph may deviate from predict_proba (numpy evaluation).
TOLERANCE = 1e-5

# Inputs beyond the held-out messages that the service must score like
# scikit-learn: (text as a user would send it, note or None).
LONG_MESSAGE_SENTENCES = [
    "Hi, I have been a customer for nine years and I have never had to write something like this before.",
    "Last month my broadband started dropping every evening around seven, right when the kids do homework.",
    "I restarted the router, changed the cable, moved it away from the microwave and tried every port.",
    "Your engineer came on Tuesday, said the line was fine and left after ten minutes without testing anything.",
    "Then on Friday I was charged for the visit even though the fault is clearly on your side of the box.",
    "I called twice, waited over an hour each time, and the second agent simply ended the call on me.",
]
LONG_MESSAGE = " ".join(LONG_MESSAGE_SENTENCES * 3)
EDGE_CASES = [
    ("", "empty string: no tokens, so the intercept alone decides"),
    ("?!...", "punctuation only: no tokens"),
    ("zorblax quindle frumious", "only words the model has never seen"),
    ("HeLLo, CaN I ChAnGe My PlAn?", "mixed case"),
    ("hello\u0000world", None),  # note filled in by nul_note()
    ("👍🔥😊", "emoji only: no tokens"),
    ("ΣΑΣ ΕΥΧΑΡΙΣΤΟΥΜΕ", "Greek capitals: a word-final Σ lower-cases to ς"),
    ("İSTANBUL", "Turkish dotted capital I lower-cases to i + U+0307 (a combining mark, not a word character)"),
    ("你好", "CJK: one two-character token"),
    ("ПРИВЕТ, у меня не работает интернет", "Cyrillic, upper and lower case"),
    ("#1 provider!!! #thanks #5G", "contains the Tokenizer's pad value '#'"),
    ("a b c d e", "single-character words only: no tokens"),
    ("hello\tthere\nI have a question", "tab and newline as separators"),
    (LONG_MESSAGE, f"a long message: {len(LONG_MESSAGE.split())} words, {len(LONG_MESSAGE)} characters"),
]


# --- data -------------------------------------------------------------------

def load_data(path):
    """Reads the CSV and checks it is the data set the README describes."""
    # keep_default_na=False: a message such as "None" or "NA" is text, not a gap.
    df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    if list(df.columns) != ["text", "intent", "split"]:
        raise AssertionError(f"expected columns text,intent,split, got {list(df.columns)}")
    check_data(df)
    return df


def check_data(df):
    """Fails loudly on data the model or the split rule does not expect."""
    if set(df["intent"]) != set(LABELS):
        raise AssertionError(f"intents {sorted(set(df['intent']))} differ from {LABELS}")
    if not set(df["split"]) <= {"train", "test"}:
        raise AssertionError(f"split must be train or test, got {sorted(set(df['split']))}")
    for label, count in df["intent"].value_counts().items():
        if count < MIN_PER_LABEL:
            raise AssertionError(f"{label}: {count} messages < {MIN_PER_LABEL}")
    for label, group in df.groupby("intent"):
        if not (group["split"] == "test").any() or not (group["split"] == "train").any():
            raise AssertionError(f"{label}: needs messages in both splits")
    words = df["text"].str.split().str.len()
    if words.min() < 1 or words.max() > MAX_WORDS:
        raise AssertionError(f"messages must have 1..{MAX_WORDS} words, got {words.min()}..{words.max()}")
    # A test message that tokenizes exactly like another message would leak
    # (or contradict) its label; the same goes for duplicates within a split.
    token_keys = df["text"].map(lambda text: tuple(exporter.tokenize(text.lower())))
    duplicated = df["text"][token_keys.duplicated(keep=False)]
    if len(duplicated):
        raise AssertionError(f"messages with identical tokens: {list(duplicated)}")


# --- model selection -----------------------------------------------------------

def vectorizer_params(settings):
    return {**VECTORIZER_PARAMS, "ngram_range": tuple(settings["ngram_range"]), "min_df": settings["min_df"]}


def estimator_params(settings):
    return {"C": settings["C"], **ESTIMATOR_PARAMS}


def describe_ngrams(ngram_range):
    return {(1, 1): "word 1-grams", (1, 2): "word 1-2 grams"}[tuple(ngram_range)]


def description(settings):
    return ("Intent of a customer chat message (greeting, question, complaint, praise): "
            f"TF-IDF {describe_ngrams(settings['ngram_range'])} + LogisticRegression")


def cross_validate_grid(train_rows):
    """Mean/std CV scores of every SEARCH_GRID combination, on the train rows only."""
    folds = StratifiedKFold(n_splits=CV_FOLDS, shuffle=True, random_state=CV_SEED)
    results = []
    for ngram_range, min_df, c in itertools.product(*(SEARCH_GRID[k] for k in ("ngram_range", "min_df", "C"))):
        settings = {"C": c, "min_df": min_df, "ngram_range": list(ngram_range)}
        pipeline = make_pipeline(TfidfVectorizer(**vectorizer_params(settings)),
                                 LogisticRegression(**estimator_params(settings)))
        with warnings.catch_warnings():
            warnings.simplefilter("error", ConvergenceWarning)  # an unconverged fit is not a result
            scores = cross_validate(pipeline, train_rows["text"], train_rows["intent"], cv=folds,
                                    scoring=("accuracy", "neg_log_loss"), error_score="raise")
        results.append({
            **settings,
            "accuracy_mean": float(np.mean(scores["test_accuracy"])),
            "accuracy_std": float(np.std(scores["test_accuracy"])),
            "log_loss_mean": float(-np.mean(scores["test_neg_log_loss"])),
        })
    return results


def select(results):
    """The SELECTION_RULE's winner, and the results ranked by it (deterministic)."""
    ranked = sorted(results, key=lambda r: (r["log_loss_mean"], -r["accuracy_mean"]))
    return ranked[0], ranked


def model_selection_record(chosen, ranked):
    """JSON-friendly summary for the manifest (scores rounded to 4 decimals)."""
    def rounded(row):
        return {**row, **{k: round(row[k], 4) for k in ("accuracy_mean", "accuracy_std", "log_loss_mean")}}
    return {
        "method": f"{CV_FOLDS}-fold StratifiedKFold(shuffle=True, random_state={CV_SEED}) on the train split only",
        "grid": {key: [list(v) if isinstance(v, tuple) else v for v in values] for key, values in SEARCH_GRID.items()},
        "fixed": {"sublinear_tf": False, "lowercase": True, "norm": "l2", "max_iter": ESTIMATOR_PARAMS["max_iter"]},
        "rule": SELECTION_RULE,
        "chosen": {key: chosen[key] for key in ("C", "min_df", "ngram_range")},
        "results": [rounded(row) for row in ranked],
    }


# --- training ----------------------------------------------------------------

def train(df, settings):
    train_rows = df[df["split"] == "train"]
    vectorizer = TfidfVectorizer(**vectorizer_params(settings))
    x_train = vectorizer.fit_transform(train_rows["text"])
    clf = LogisticRegression(**estimator_params(settings))
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        clf.fit(x_train, train_rows["intent"])
    if list(clf.classes_) != LABELS:
        raise AssertionError(f"classes_ {list(clf.classes_)} differ from {LABELS}")
    return vectorizer, clf


def predict_proba(vectorizer, clf, texts):
    return clf.predict_proba(vectorizer.transform(list(texts)))


def evaluate(vectorizer, clf, test):
    predicted = np.array(LABELS)[predict_proba(vectorizer, clf, test["text"]).argmax(axis=1)]
    matrix = confusion_matrix(test["intent"], predicted, labels=LABELS)
    metrics = {
        "test_accuracy": round(float(accuracy_score(test["intent"], predicted)), 4),
        "confusion_matrix": {
            "labels": LABELS,
            "rows": "true",
            "columns": "predicted",
            "matrix": matrix.tolist(),
        },
    }
    mistakes = [(text, true, pred) for text, true, pred in zip(test["text"], test["intent"], predicted) if true != pred]
    return metrics, mistakes


# --- the caller's text rules -------------------------------------------------

def prepare(text):
    """What the service feeds the graph, in Python: NUL -> space, then lower-case.

    The service lower-cases with JavaScript's toLowerCase; for the parity cases
    it equals str.lower() (checked in the onnxruntime-node run, see README).
    """
    return text.replace("\0", " ").lower()


def nul_note(text):
    """The NUL case's note, after checking scikit-learn sees the same tokens either way."""
    analyzer = TfidfVectorizer(**VECTORIZER_PARAMS).build_analyzer()
    if analyzer(text) != analyzer(text.replace("\0", " ")):
        raise AssertionError(f"scikit-learn tokenizes {text!r} differently once NULs are spaces")
    return ("contains U+0000; expected probabilities are computed on the text with NUL replaced by a space "
            "(what the service sends, since onnxruntime cuts a string at a NUL); scikit-learn yields "
            f"the same n-grams either way: {analyzer(text)}")


def check_vocabulary(vectorizer):
    """The Tokenizer's pad value must never be a token the model knows."""
    terms = vectorizer.vocabulary_
    if any(exporter.PAD_VALUE in term.split(" ") for term in terms):
        raise AssertionError(f"pad value {exporter.PAD_VALUE!r} is a vocabulary token")
    if exporter.tokenize(exporter.PAD_VALUE):
        raise AssertionError(f"pad value {exporter.PAD_VALUE!r} would be tokenized")


def check_onnx_matches(onnx_model, texts, probabilities):
    """The float32 graph must reproduce predict_proba; returns the max deviation."""
    by_graph = exporter.numpy_reference(onnx_model, [prepare(t) for t in texts])
    deviation = float(np.max(np.abs(by_graph - probabilities)))
    if deviation > TOLERANCE:
        raise AssertionError(f"ONNX graph deviates from predict_proba by {deviation}")
    return deviation


# --- outputs -----------------------------------------------------------------

def estimator_repr(settings):
    args = ", ".join(f"{key}={value!r}" for key, value in estimator_params(settings).items())
    vec = vectorizer_params(settings)
    return (f"TfidfVectorizer(ngram_range={vec['ngram_range']!r}, min_df={vec['min_df']!r}) "
            f"+ LogisticRegression({args})")


def data_reference(data_path):
    """Repository-relative path of the CSV (absolute if it lives elsewhere)."""
    try:
        return data_path.relative_to(REPO_ROOT).as_posix()
    except ValueError:
        return str(data_path)


def golden_block(parity):
    """The first parity message of each label whose top two probabilities are clearly apart."""
    chosen = []
    for label in LABELS:
        for case in parity["cases"]:
            top, second = sorted(case["probabilities"], reverse=True)[:2]
            if case["intent"] == label and top - second >= GOLDEN_MARGIN:
                chosen.append(case)
                break
    return golden([({"text": c["text"]}, {"intent": c["intent"], "probabilities": dict(zip(LABELS, map(probability7, c["probabilities"])))})
                   for c in chosen])


def build_manifest(version, onnx_bytes, data_path, data_bytes, counts, vocabulary_size, metrics, settings, selection, parity):
    return {
        "name": MODEL_NAME,
        "version": version,
        "description": description(settings),
        "created": datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z"),
        "kind": "text-classification",
        "file": "model.onnx",
        "sha256": sha256_hex(onnx_bytes),
        "onnx": {
            "inputs": [{"name": exporter.INPUT_NAME, "datatype": "BYTES", "shape": [None]}],
            "outputs": [{"name": exporter.OUTPUT_NAME, "datatype": "FP32", "shape": [None, len(LABELS)]}],
        },
        "text": {"field": "text", "lowercase": True, "maxLength": MAX_LENGTH},
        "labels": LABELS,
        "output": {"label": "intent", "probabilities": "probabilities"},
        "golden": golden_block(parity),
        "training": {
            "data": data_reference(data_path),
            "data_sha256": sha256_hex(data_bytes),
            **counts,
            "library": f"scikit-learn {sklearn.__version__}",
            "estimator": estimator_repr(settings),
            "vocabulary_size": vocabulary_size,
            "model_selection": selection,
            "metrics": metrics,
        },
    }


def parity_cases(test):
    """(text, note) for every held-out message, then the edge cases."""
    cases = [(text, None) for text in test["text"]]
    for text, note in EDGE_CASES:
        if len(text.encode("utf-16-le")) // 2 > MAX_LENGTH:
            raise AssertionError(f"edge case longer than the API's {MAX_LENGTH} characters")
        cases.append((text, nul_note(text) if "\0" in text else note))
    return cases


def build_parity(version, cases, probabilities):
    rows = []
    for (text, note), p in zip(cases, probabilities):
        row = {"text": text, "intent": LABELS[int(np.argmax(p))], "probabilities": [float(v) for v in p]}
        if note:
            row["note"] = note
        rows.append(row)
    return {
        "model": MODEL_NAME,
        "version": version,
        "source": "scikit-learn predict_proba",
        "cases": rows,
    }


def parity_json(parity):
    """Valid JSON with one case per line: small diffs, readable non-Latin text."""
    head = {key: value for key, value in parity.items() if key != "cases"}
    lines = [f"  {json.dumps(key)}: {json.dumps(value)}," for key, value in head.items()]
    # ensure_ascii=False keeps Greek, Cyrillic and emoji readable; control
    # characters such as U+0000 are still written as \u escapes.
    cases = ",\n".join(f"    {json.dumps(case, ensure_ascii=False)}" for case in parity["cases"])
    return "{\n" + "\n".join(lines) + '\n  "cases": [\n' + cases + "\n  ]\n}\n"


def metrics_markdown(version, counts, metrics, vocabulary_size, deviation, sha256, mistakes, settings, ranked):
    matrix = metrics["confusion_matrix"]["matrix"]
    lines = [
        f"# intent {version}: held-out metrics",
        "",
        f"TF-IDF {describe_ngrams(settings['ngram_range'])} ({vocabulary_size} terms, min_df={settings['min_df']}) "
        f"+ {estimator_repr(settings).split(' + ')[1]}.",
        f"Rows: {counts['rows']} (train {counts['train_rows']}, test {counts['test_rows']}).",
        "",
        f"**Test accuracy: {metrics['test_accuracy']:.4f}** "
        f"({sum(matrix[i][i] for i in range(len(LABELS)))}/{counts['test_rows']})",
        "",
        "Confusion matrix (rows: true intent, columns: predicted):",
        "",
        "| true \\ predicted | " + " | ".join(LABELS) + " |",
        "| --- | " + " | ".join("---:" for _ in LABELS) + " |",
    ]
    lines += [f"| {label} | " + " | ".join(str(v) for v in row) + " |" for label, row in zip(LABELS, matrix)]
    lines += ["", "Misclassified held-out messages:", ""]
    lines += [f"- {json.dumps(text, ensure_ascii=False)}: true {true}, predicted {pred}" for text, true, pred in mistakes]
    lines += [
        "",
        f"## Model selection ({CV_FOLDS}-fold stratified CV on the {counts['train_rows']} train rows only)",
        "",
        f"StratifiedKFold(n_splits={CV_FOLDS}, shuffle=True, random_state={CV_SEED}); vectorizer fitted inside "
        "each fold; sublinear_tf=False (the graph has no log-tf step). "
        f"Rule: {SELECTION_RULE}. The test split played no part.",
        "",
        "| rank | ngram_range | min_df | C | CV accuracy (mean ± std) | CV log loss (mean) |",
        "| ---: | --- | ---: | ---: | ---: | ---: |",
    ]
    for rank, row in enumerate(ranked, start=1):
        cells = [str(rank), f"({row['ngram_range'][0]}, {row['ngram_range'][1]})", str(row["min_df"]), f"{row['C']:g}",
                 f"{row['accuracy_mean']:.4f} ± {row['accuracy_std']:.4f}", f"{row['log_loss_mean']:.4f}"]
        if rank == 1:
            cells = [f"**{cell}**" for cell in cells]
        lines.append("| " + " | ".join(cells) + " |")
    lines += [
        "",
        f"Chosen: ngram_range=({settings['ngram_range'][0]}, {settings['ngram_range'][1]}), "
        f"min_df={settings['min_df']}, C={settings['C']:g}.",
        "",
        f"max \\|float32 graph (numpy) − predict_proba\\| over parity.json: {deviation:.2e}",
        "",
        f"model.onnx sha256: `{sha256}`",
        "",
    ]
    return "\n".join(lines)


# --- main --------------------------------------------------------------------

def main(argv=None):
    # "data" is this folder's data set, not a version.
    args = parse_args(argv, __doc__, DEFAULT_DATA, forbidden_versions={"data"})
    data_path = args.data.resolve()
    data_bytes = data_path.read_bytes()  # hashed for the manifest

    df = load_data(data_path)
    test = df[df["split"] == "test"]
    # The monitoring baseline: the messages the model was fitted on, as the API takes them.
    baseline_records = [{"text": text} for text in df[df["split"] == "train"]["text"]]
    baseline_source = "training split of models/intent/data/messages.csv (split = train)"
    if args.baseline_only:
        write_baseline(MODEL_NAME, args.version, baseline_records, baseline_source)
        return
    # Settings come from the train rows alone; the test rows are not passed in.
    chosen, ranked = select(cross_validate_grid(df[df["split"] == "train"]))
    settings = {key: chosen[key] for key in ("C", "min_df", "ngram_range")}
    vectorizer, clf = train(df, settings)
    check_vocabulary(vectorizer)
    metrics, mistakes = evaluate(vectorizer, clf, test)

    cases = parity_cases(test)
    probabilities = predict_proba(vectorizer, clf, [prepare(text) for text, _ in cases])

    onnx_model = exporter.export_text_classifier(
        vectorizer.vocabulary_, vectorizer.idf_, clf.coef_, clf.intercept_, doc_string=description(settings))
    onnx_bytes = exporter.to_bytes(onnx_model)
    deviation = check_onnx_matches(onnx_model, [text for text, _ in cases], probabilities)

    counts = {"rows": len(df), "train_rows": len(df) - len(test), "test_rows": len(test)}
    vocabulary_size = len(vectorizer.vocabulary_)
    parity = build_parity(args.version, cases, probabilities)
    manifest = build_manifest(args.version, onnx_bytes, data_path, data_bytes, counts, vocabulary_size, metrics,
                              settings, model_selection_record(chosen, ranked), parity)
    report = metrics_markdown(args.version, counts, metrics, vocabulary_size, deviation, manifest["sha256"], mistakes,
                              settings, ranked)
    write_outputs(MODEL_DIR / args.version, {
        "model.onnx": onnx_bytes,
        "model.json": json.dumps(manifest, indent=2) + "\n",
        "parity.json": parity_json(parity),
        "metrics.md": report,
    })
    write_baseline(MODEL_NAME, args.version, baseline_records, baseline_source)
    print(report, end="")


if __name__ == "__main__":
    main()
