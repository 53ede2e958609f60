"""Export a binary LogisticRegression to ONNX with onnx.helper only.

skl2onnx is not available here, and a logistic regression is three ops, so the
graph is written by hand:

    probability = Sigmoid(MatMul(features, coef^T) + intercept)

features is float32 [N, n_columns], probability is float32 [N, 1] = P(class 1).
The output bytes depend only on the coefficients and the doc string (no
timestamps, no library versions), so retraining on the same data yields the
same file and the same sha256.
"""

import sys
from pathlib import Path

import numpy as np
from onnx import TensorProto, helper, numpy_helper

# Only this model's folder is on sys.path (train.py, tests); add models/_training/,
# which holds what both exporters share: finish_model (make_model + IR pin + checker).
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "_training"))
from onnx_model import finish_model, to_bytes  # noqa: E402, F401  (to_bytes: used as exporter.to_bytes)

INPUT_NAME = "features"
OUTPUT_NAME = "probability"
BATCH_DIM = "N"

# onnx 1.12 knows up to opset 17 / IR 8; pinned rather than taken from the
# installed onnx so a newer onnx does not silently change the file (the IR
# version is pinned in models/_training/onnx_model.py).
OPSET = 17

PRODUCER_NAME = "models/churn/exporter.py"
# Bump when the graph layout changes, so the file says which exporter made it.
PRODUCER_VERSION = "1"


def export_logistic_regression(coef, intercept, doc_string=""):
    """Builds and checks the ONNX model for a fitted binary LogisticRegression.

    coef is the estimator's coef_ (shape [1, n_columns]) and intercept its
    intercept_ (shape [1]); both are stored as float32 initializers.
    """
    weights = _as_float32(coef, "coef")
    bias = _as_float32(intercept, "intercept")
    if weights.ndim != 2 or weights.shape[0] != 1 or weights.shape[1] < 1:
        raise ValueError(f"coef must have shape [1, n_columns] (binary classifier), got {weights.shape}")
    if bias.shape != (1,):
        raise ValueError(f"intercept must have shape [1], got {bias.shape}")
    n_columns = weights.shape[1]

    graph = helper.make_graph(
        nodes=[
            helper.make_node("MatMul", [INPUT_NAME, "coef"], ["logit_no_bias"], name="matmul"),
            helper.make_node("Add", ["logit_no_bias", "intercept"], ["logit"], name="add_intercept"),
            helper.make_node("Sigmoid", ["logit"], [OUTPUT_NAME], name="sigmoid"),
        ],
        name="logistic_regression",
        inputs=[helper.make_tensor_value_info(INPUT_NAME, TensorProto.FLOAT, [BATCH_DIM, n_columns])],
        outputs=[helper.make_tensor_value_info(OUTPUT_NAME, TensorProto.FLOAT, [BATCH_DIM, 1])],
        initializer=[
            # MatMul wants [n_columns, 1]; sklearn stores [1, n_columns].
            numpy_helper.from_array(np.ascontiguousarray(weights.T), name="coef"),
            numpy_helper.from_array(bias, name="intercept"),
        ],
    )
    return finish_model(graph, [helper.make_opsetid("", OPSET)], PRODUCER_NAME, PRODUCER_VERSION, doc_string)


def numpy_reference(model, features):
    """Evaluates the exported graph with numpy, from its own initializers.

    Used by train.py as a sanity check of the written file against
    predict_proba (onnxruntime is not available in Python here).
    """
    ops = [node.op_type for node in model.graph.node]
    if ops != ["MatMul", "Add", "Sigmoid"]:
        raise ValueError(f"unexpected graph {ops}")
    init = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    x = np.asarray(features, dtype=np.float32)
    logit = x @ init["coef"] + init["intercept"]
    return 1.0 / (1.0 + np.exp(-logit))


def _as_float32(values, what):
    array = np.asarray(values, dtype=np.float64)
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{what} has non-finite values")
    return array.astype(np.float32)
