"""The last step of a models/<name>/exporter.py: graph -> checked, pinned ModelProto.

Shared by models/churn/exporter.py and models/intent/exporter.py, which build
their graphs with onnx.helper (no skl2onnx here).
"""

import onnx
from onnx import helper

# onnx 1.12 knows up to opset 17 / IR 8; pinned rather than taken from the
# installed onnx so a newer onnx does not silently change the file. The
# exporters pin their opsets next to their graphs.
IR_VERSION = 8


def finish_model(graph, opset_imports, producer_name, producer_version, doc_string):
    """make_model with a pinned IR version, then onnx.checker with full_check.

    opset_imports is a list of helper.make_opsetid(domain, version). The
    checker does not know custom-domain ops (com.microsoft); it still checks
    the ai.onnx nodes, the initializers and the model structure. full_check
    also runs strict shape inference, catching a wrong output shape.
    """
    model = helper.make_model(
        graph,
        opset_imports=opset_imports,
        producer_name=producer_name,
        producer_version=producer_version,
        doc_string=doc_string,
    )
    model.ir_version = IR_VERSION  # make_model would stamp the installed onnx's IR version
    onnx.checker.check_model(model, full_check=True)
    return model


def to_bytes(model):
    """Serialized model. Deterministic as long as the graph has no map fields."""
    return model.SerializeToString()
