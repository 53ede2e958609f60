"""Export TfidfVectorizer + multinomial LogisticRegression to ONNX with onnx.helper only.

skl2onnx is not available here, so the graph is written by hand. It follows
the design verified in /work/shared/TOOLCHAIN.md ("A text classifier in one
ONNX graph"):

    text string [N]  (already lower-cased by the caller, NULs replaced)
      -> com.microsoft Tokenizer   tokens [N, C], short rows padded with PAD_VALUE
      -> TfIdfVectorizer (TF)      n-gram counts [N, V] in sklearn's column order
      -> Mul idf                   tf-idf
      -> ReduceL2 / Max(., EPS) / Div   l2 norm; an all-zero row stays zero
      -> MatMul coef^T + Add intercept -> Softmax(axis=1)
    probabilities float32 [N, n_classes], columns in clf.classes_ order

The output bytes depend only on the fitted vocabulary, weights and the doc
string (no timestamps, no library versions, no dict ordering), so retraining
on the same data yields the same file and the same sha256.
"""

import re
import sys
from pathlib import Path

import numpy as np
from onnx import TensorProto, helper, numpy_helper

# Only this model's folder is on sys.path (train.py, tests); add models/_training/,
# which holds what both exporters share: finish_model (make_model + IR pin + checker).
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "_training"))
from onnx_model import finish_model, to_bytes  # noqa: E402, F401  (to_bytes: used as exporter.to_bytes)

INPUT_NAME = "text"
OUTPUT_NAME = "probabilities"
BATCH_DIM = "N"

# onnx 1.12 knows up to opset 17 / IR 8; pinned rather than taken from the
# installed onnx so a newer onnx does not silently change the file (the IR
# version is pinned in models/_training/onnx_model.py).
OPSET = 17
MS_DOMAIN = "com.microsoft"
MS_OPSET = 1

PRODUCER_NAME = "models/intent/exporter.py"
# Bump when the graph layout changes, so the file says which exporter made it.
PRODUCER_VERSION = "1"

# RE2 spelling of scikit-learn's default token_pattern (?u)\b\w\w+\b: runs of
# two or more letters, digits or underscores. Checked over every code point:
# the same set as Python 3.11's \w, except letters that Python's Unicode 14
# database does not know yet (Unicode 15+ scripts, see the README).
TOKEN_EXP = r"[\p{L}\p{N}_]{2,}"
# The Tokenizer pads shorter rows of a batch with this string. It cannot be a
# token (it is not a word character), so it never matches a vocabulary n-gram.
PAD_VALUE = "#"
# Lower bound for the l2 norm: a text without known n-grams has norm 0, and
# 0 / EPS = 0 keeps it an all-zero row as in scikit-learn (which skips the
# division) instead of NaN. Far below any real norm (idf >= 1, counts >= 1).
EPS = 1e-30

# What a vocabulary term must look like for the Tokenizer to ever produce it.
_TOKEN = re.compile(r"\w{2,}")


def export_text_classifier(vocabulary, idf, coef, intercept, doc_string=""):
    """Builds and checks the ONNX model for a fitted TF-IDF + LogisticRegression.

    vocabulary is TfidfVectorizer.vocabulary_ ({term: column}, terms are one
    token or two tokens joined by a space), idf its idf_ ([V]), coef and
    intercept the multinomial LogisticRegression's coef_ ([n_classes, V]) and
    intercept_ ([n_classes]). Weights are stored as float32 initializers.
    """
    unigrams, bigrams = split_vocabulary(vocabulary)
    n_columns = len(vocabulary)
    idf32 = _as_float32(idf, "idf")
    weights = _as_float32(coef, "coef")
    bias = _as_float32(intercept, "intercept")
    if idf32.shape != (n_columns,):
        raise ValueError(f"idf must have shape [{n_columns}], got {idf32.shape}")
    if weights.ndim != 2 or weights.shape[0] < 3 or weights.shape[1] != n_columns:
        # A binary LogisticRegression has one row of coef_ and a sigmoid, not a softmax.
        raise ValueError(f"coef must have shape [n_classes >= 3, {n_columns}], got {weights.shape}")
    n_classes = weights.shape[0]
    if bias.shape != (n_classes,):
        raise ValueError(f"intercept must have shape [{n_classes}], got {bias.shape}")

    pool = [term for term, _ in unigrams] + [token for term, _ in bigrams for token in term.split(" ")]
    indexes = [column for _, column in unigrams] + [column for _, column in bigrams]

    nodes = [
        helper.make_node(
            "Tokenizer", [INPUT_NAME], ["tokens"], name="tokenize", domain=MS_DOMAIN,
            mark=0, pad_value=PAD_VALUE, mincharnum=1, tokenexp=TOKEN_EXP),
        helper.make_node(
            "TfIdfVectorizer", ["tokens"], ["tf"], name="count_ngrams",
            mode="TF", min_gram_length=1, max_gram_length=2, max_skip_count=0,
            # Starts of the 1-gram and 2-gram sections of pool_strings.
            ngram_counts=[0, len(unigrams)], ngram_indexes=indexes, pool_strings=pool),
        helper.make_node("Mul", ["tf", "idf"], ["tfidf"], name="mul_idf"),
        # At opset 17 ReduceL2 takes axes as an attribute (an input from 18 on).
        helper.make_node("ReduceL2", ["tfidf"], ["norm"], name="l2_norm", axes=[1], keepdims=1),
        helper.make_node("Max", ["norm", "eps"], ["safe_norm"], name="norm_floor"),
        helper.make_node("Div", ["tfidf", "safe_norm"], ["features"], name="l2_normalize"),
        helper.make_node("MatMul", ["features", "coef"], ["logits_no_bias"], name="matmul"),
        helper.make_node("Add", ["logits_no_bias", "intercept"], ["logits"], name="add_intercept"),
        helper.make_node("Softmax", ["logits"], [OUTPUT_NAME], name="softmax", axis=1),
    ]
    graph = helper.make_graph(
        nodes=nodes,
        name="tfidf_logistic_regression",
        inputs=[helper.make_tensor_value_info(INPUT_NAME, TensorProto.STRING, [BATCH_DIM])],
        outputs=[helper.make_tensor_value_info(OUTPUT_NAME, TensorProto.FLOAT, [BATCH_DIM, n_classes])],
        initializer=[
            numpy_helper.from_array(idf32, name="idf"),
            numpy_helper.from_array(np.array(EPS, dtype=np.float32), name="eps"),
            # MatMul wants [V, n_classes]; sklearn stores [n_classes, V].
            numpy_helper.from_array(np.ascontiguousarray(weights.T), name="coef"),
            numpy_helper.from_array(bias, name="intercept"),
        ],
    )
    # The checker does not know com.microsoft ops; it still checks the ai.onnx
    # nodes, initializers and the model structure.
    opset_imports = [helper.make_opsetid("", OPSET), helper.make_opsetid(MS_DOMAIN, MS_OPSET)]
    return finish_model(graph, opset_imports, PRODUCER_NAME, PRODUCER_VERSION, doc_string)


def split_vocabulary(vocabulary):
    """(unigrams, bigrams) as [(term, column)] sorted by column.

    Sorting makes the pool independent of the dict's insertion order. Raises
    ValueError for anything the graph could not reproduce: a term that is not
    one or two tokens, the pad value as a token, columns that are not 0..V-1.
    """
    unigrams, bigrams = [], []
    for term, column in sorted(vocabulary.items(), key=lambda item: int(item[1])):
        tokens = term.split(" ")
        if len(tokens) not in (1, 2):
            raise ValueError(f"term {term!r} is not a 1- or 2-gram")
        for token in tokens:
            if token == PAD_VALUE or not _TOKEN.fullmatch(token):
                raise ValueError(f"term {term!r}: {token!r} is not a token the Tokenizer can produce")
        (unigrams if len(tokens) == 1 else bigrams).append((term, int(column)))
    columns = sorted(column for _, column in unigrams + bigrams)
    if columns != list(range(len(vocabulary))):
        raise ValueError("vocabulary columns are not 0..V-1")
    return unigrams, bigrams


def tokenize(text):
    """Python stand-in for the graph's Tokenizer (scikit-learn's default pattern)."""
    return re.findall(r"(?u)\b\w\w+\b", text)


def numpy_reference(model, texts):
    """Evaluates the exported graph with numpy, from its own attributes and initializers.

    texts must already be prepared (lower-cased, NULs replaced). Used by
    train.py as a sanity check of the written file against predict_proba
    (onnxruntime is not available in Python here); tokenization is Python's
    regex, so this checks everything after the Tokenizer.
    """
    ops = [node.op_type for node in model.graph.node]
    expected = ["Tokenizer", "TfIdfVectorizer", "Mul", "ReduceL2", "Max", "Div", "MatMul", "Add", "Softmax"]
    if ops != expected:
        raise ValueError(f"unexpected graph {ops}")
    ngram_columns = pool_columns(model.graph.node[1])
    init = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    tf = np.zeros((len(texts), len(init["idf"])), dtype=np.float32)
    for row, text in enumerate(texts):
        tokens = tokenize(text)
        for gram in [(t,) for t in tokens] + list(zip(tokens, tokens[1:])):
            if gram in ngram_columns:
                tf[row, ngram_columns[gram]] += 1
    tfidf = tf * init["idf"]
    norm = np.maximum(np.sqrt(np.sum(tfidf * tfidf, axis=1, keepdims=True)), init["eps"])
    logits = (tfidf / norm) @ init["coef"] + init["intercept"]
    exp = np.exp(logits - logits.max(axis=1, keepdims=True))
    return exp / exp.sum(axis=1, keepdims=True)


def pool_columns(node):
    """{n-gram tuple: output column} as the TfIdfVectorizer node encodes it."""
    attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
    pool = [s.decode("utf-8") for s in attrs["pool_strings"]]
    starts = list(attrs["ngram_counts"]) + [len(pool)]
    grams = []
    for n, (start, end) in enumerate(zip(starts, starts[1:]), start=1):
        grams += [tuple(pool[i:i + n]) for i in range(start, end, n)]
    return dict(zip(grams, attrs["ngram_indexes"]))


def _as_float32(values, what):
    array = np.asarray(values, dtype=np.float64)
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{what} has non-finite values")
    return array.astype(np.float32)
