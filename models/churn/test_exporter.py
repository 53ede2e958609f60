"""Tests for exporter.py and the manifest column layout in train.py.

    /usr/bin/python3 -m unittest discover -s models/churn -p 'test_*.py'

onnxruntime is not available in Python here, so the graph is evaluated by
hand from its initializers; the onnxruntime parity check lives in the jest
suite (tests/parity.test.ts).
"""

import sys

sys.dont_write_bytecode = True  # keep __pycache__ out of models/churn (see train.py)

import io  # noqa: E402
import json  # noqa: E402
import unittest  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import onnx  # noqa: E402
from onnx import TensorProto, numpy_helper  # noqa: E402
from sklearn.feature_extraction import DictVectorizer  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402

import exporter  # noqa: E402
import train  # noqa: E402

N_COLUMNS = 7


def fit_synthetic():
    """A small fitted LogisticRegression and its training data."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, N_COLUMNS))
    true_weights = rng.normal(size=N_COLUMNS)
    y = (x @ true_weights + rng.normal(scale=0.5, size=300) > 0).astype(int)
    model = LogisticRegression(solver="liblinear", C=1.0, max_iter=1000).fit(x, y)
    return model, x


def dims(value_info):
    """Tensor shape as a list: ints for fixed dims, names for symbolic ones."""
    return [d.dim_param or d.dim_value for d in value_info.type.tensor_type.shape.dim]


class ExporterTest(unittest.TestCase):
    def setUp(self):
        self.sk_model, self.x = fit_synthetic()
        self.onnx_model = exporter.export_logistic_regression(
            self.sk_model.coef_, self.sk_model.intercept_, doc_string="synthetic")

    def test_passes_onnx_checker(self):
        onnx.checker.check_model(self.onnx_model, full_check=True)
        self.assertEqual(self.onnx_model.ir_version, 8)
        self.assertEqual([(o.domain, o.version) for o in self.onnx_model.opset_import], [("", 17)])
        self.assertTrue(self.onnx_model.producer_name)
        self.assertEqual(self.onnx_model.doc_string, "synthetic")

    def test_input_and_output_signature(self):
        graph = self.onnx_model.graph
        self.assertEqual([i.name for i in graph.input], ["features"])
        self.assertEqual([o.name for o in graph.output], ["probability"])
        (features,), (probability,) = graph.input, graph.output
        self.assertEqual(features.type.tensor_type.elem_type, TensorProto.FLOAT)
        self.assertEqual(probability.type.tensor_type.elem_type, TensorProto.FLOAT)
        self.assertEqual(dims(features), ["N", N_COLUMNS])
        self.assertEqual(dims(probability), ["N", 1])

    def test_graph_evaluated_by_hand_matches_predict_proba(self):
        # Mirror the graph in float32, as onnxruntime runs it.
        init = {t.name: numpy_helper.to_array(t) for t in self.onnx_model.graph.initializer}
        weights, bias = init["coef"], init["intercept"]
        self.assertEqual((weights.dtype, weights.shape), (np.float32, (N_COLUMNS, 1)))
        self.assertEqual((bias.dtype, bias.shape), (np.float32, (1,)))
        self.assertEqual([n.op_type for n in self.onnx_model.graph.node], ["MatMul", "Add", "Sigmoid"])

        logit = self.x.astype(np.float32) @ weights + bias
        by_hand = 1 / (1 + np.exp(-logit))
        expected = self.sk_model.predict_proba(self.x)[:, 1]
        self.assertEqual(by_hand.shape, (len(self.x), 1))
        np.testing.assert_allclose(by_hand[:, 0], expected, rtol=0, atol=1e-6)
        np.testing.assert_allclose(exporter.numpy_reference(self.onnx_model, self.x)[:, 0], expected, atol=1e-6)

    def test_export_is_byte_deterministic(self):
        again = exporter.export_logistic_regression(
            self.sk_model.coef_.copy(), self.sk_model.intercept_.copy(), doc_string="synthetic")
        self.assertEqual(exporter.to_bytes(self.onnx_model), exporter.to_bytes(again))

    def test_rejects_multiclass_coefficients(self):
        with self.assertRaises(ValueError):
            exporter.export_logistic_regression(np.ones((3, N_COLUMNS)), np.ones(3))

    def test_rejects_non_finite_coefficients(self):
        coef = self.sk_model.coef_.copy()
        coef[0, 0] = np.nan
        with self.assertRaises(ValueError):
            exporter.export_logistic_regression(coef, self.sk_model.intercept_)


class ColumnLayoutTest(unittest.TestCase):
    SPECS = {"tenure": {"integer": True, "minimum": 0}}

    def test_dictvectorizer_columns_map_to_features_in_order(self):
        records = [
            {"contract": "one_year", "tenure": 3, "gender": "male"},
            {"contract": "month-to-month", "tenure": 0, "gender": "female"},
        ]
        columns = list(DictVectorizer(sparse=False).fit(records).get_feature_names_out())
        features = train.features_from_columns(columns, self.SPECS)
        self.assertEqual(features, [
            {"name": "contract", "type": "categorical", "values": ["month-to-month", "one_year"]},
            {"name": "gender", "type": "categorical", "values": ["female", "male"]},
            {"name": "tenure", "type": "numeric", "integer": True, "minimum": 0},
        ])
        self.assertEqual(train.expand_columns(features), columns)

    def test_interleaved_columns_fail_loudly(self):
        with self.assertRaisesRegex(ValueError, "not consecutive"):
            train.features_from_columns(["contract=a", "tenure", "contract=b"], self.SPECS)

    def test_numeric_feature_with_string_values_fails(self):
        with self.assertRaisesRegex(ValueError, "one-hot"):
            train.features_from_columns(["tenure", "tenure=unknown"], self.SPECS)

    def test_unnamed_column_fails(self):
        with self.assertRaisesRegex(ValueError, "neither"):
            train.features_from_columns(["mystery"], self.SPECS)

    def test_churn_layout_is_one_numeric_seniorcitizen_column(self):
        # seniorcitizen is listed as categorical but its values are ints, so
        # DictVectorizer gives it one numeric column; the manifest says so.
        records = [dict(zip(train.CATEGORICAL + train.NUMERICAL, row)) for row in [
            ["female", 0] + ["no"] * 14 + [1, 20.0, 20.0],
            ["male", 1] + ["yes"] * 14 + [0, 30.5, 0.0],
        ]]
        dv = DictVectorizer(sparse=False).fit(records)
        features, columns = train.describe_layout(dv)
        self.assertIn("seniorcitizen", columns)
        senior = next(f for f in features if f["name"] == "seniorcitizen")
        self.assertEqual(senior, {"name": "seniorcitizen", "type": "numeric",
                                  "integer": True, "minimum": 0, "maximum": 1})


# Two rows as the published CSV writes them: mixed-case names and values, a
# blank TotalCharges (tenure 0, not billed yet), spaces inside values.
RAW_CSV = (
    "customerID,gender,SeniorCitizen,Partner,Dependents,tenure,PhoneService,MultipleLines,InternetService,"
    "OnlineSecurity,OnlineBackup,DeviceProtection,TechSupport,StreamingTV,StreamingMovies,Contract,"
    "PaperlessBilling,PaymentMethod,MonthlyCharges,TotalCharges,Churn\n"
    "4472-LVYGI,Female,0,Yes,Yes,0,No,No phone service,DSL,Yes,No,Yes,Yes,Yes,No,Two year,Yes,"
    "Bank transfer (automatic),52.55, ,No\n"
    "7590-VHVEG,Female,0,Yes,No,1,No,No phone service,Fiber optic,No,Yes,No,No,No,No,Month-to-month,Yes,"
    "Electronic check,29.85,29.85,No\n"
)


class PreprocessingTest(unittest.TestCase):
    """load_data follows PREPROCESSING, the block the manifest carries and the service applies."""

    def test_raw_rows_become_what_the_model_takes(self):
        df = train.load_data(io.StringIO(RAW_CSV))
        self.assertEqual(list(df.columns), [c.lower() for c in RAW_CSV.split("\n")[0].split(",")])
        first, second = train.to_records(df)
        self.assertEqual(first["totalcharges"], 0.0)
        self.assertEqual(first["paymentmethod"], "bank_transfer_(automatic)")
        self.assertEqual(first["multiplelines"], "no_phone_service")
        self.assertEqual(second["contract"], "month-to-month")
        self.assertEqual(second["internetservice"], "fiber_optic")
        self.assertEqual((second["totalcharges"], second["monthlycharges"], second["seniorcitizen"]), (29.85, 29.85, 0))

    def test_only_blanks_are_filled(self):
        # The service fills a blank and refuses other text; training must do the same.
        with self.assertRaises(ValueError):
            train.load_data(io.StringIO(RAW_CSV.replace(",29.85,No", ",n/a,No")))

    def test_rules_apply_in_order(self):
        import pandas as pd
        rule = {"lowercase": True, "replace": [[" ", "_"], ["_(", "("]]}
        self.assertEqual(list(train.normalize_text(pd.Series(["Bank Transfer (automatic)"]), rule)), ["bank_transfer(automatic)"])

    def test_every_churn_manifest_carries_the_block_train_py_writes(self):
        for manifest in sorted(Path(train.MODEL_DIR).glob("*/model.json")):
            with self.subTest(manifest=str(manifest)):
                self.assertEqual(json.loads(manifest.read_text())["preprocessing"], train.PREPROCESSING)


if __name__ == "__main__":
    unittest.main()
