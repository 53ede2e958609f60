"""Tests for exporter.py and the data checks in train.py.

    /usr/bin/python3 -B -m unittest discover -s models/intent -p 'test_*.py'

onnxruntime is not available in Python here, so the graph is checked by its
structure, attributes and initializers, and evaluated with numpy after the
Tokenizer; the onnxruntime parity check lives in the jest suite.
"""

import sys

sys.dont_write_bytecode = True  # keep __pycache__ out of models/intent (see train.py)

import hashlib  # noqa: E402
import itertools  # noqa: E402
import unittest  # noqa: E402

import numpy as np  # noqa: E402
import onnx  # noqa: E402
import pandas as pd  # noqa: E402
from onnx import TensorProto, helper, numpy_helper  # noqa: E402
from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402

import exporter  # noqa: E402
import train  # noqa: E402

TEXTS = [
    ("hello there", "greeting"), ("hi team, good morning", "greeting"), ("good evening all", "greeting"),
    ("how do I pay my bill?", "question"), ("can I change my plan", "question"), ("what is my data limit?", "question"),
    ("my internet is down again", "complaint"), ("charged twice, terrible", "complaint"), ("slow wifi every day", "complaint"),
    ("thanks, great help", "praise"), ("brilliant service, thank you", "praise"), ("love the new plan", "praise"),
]
# Prepared (lower-cased) inputs: known n-grams, unknown words, no tokens at all.
PROBES = ["hello, can i pay my bill", "great wifi thanks", "zzz qqq", "", "?!", "a b", "# #", "σας ευχαριστουμε"]
# The held-out split is frozen so that accuracies stay comparable between
# retrainings: these 66 rows (text, intent, in file order) are the test split
# of the first data set. New messages are added with split=train only.
HELD_OUT_SHA256 = "cdba6e6bbc9ed44f0cb8e8aa57d80dba8317a0a2b2cb2e62ea2e8c4dc98c4ea9"
HELD_OUT_COUNTS = {"complaint": 16, "greeting": 17, "praise": 16, "question": 17}


def fit_small(settings=None):
    """A small fitted vectorizer + 4-class LogisticRegression (train.py's fixed settings; C, min_df, ngram_range given)."""
    settings = settings or {"C": 10, "min_df": 1, "ngram_range": (1, 2)}
    texts, labels = zip(*TEXTS)
    vectorizer = TfidfVectorizer(**train.vectorizer_params(settings))
    clf = LogisticRegression(**train.estimator_params(settings)).fit(vectorizer.fit_transform(texts), labels)
    return vectorizer, clf


def export(vectorizer, clf, vocabulary=None):
    return exporter.export_text_classifier(
        vocabulary if vocabulary is not None else vectorizer.vocabulary_,
        vectorizer.idf_, clf.coef_, clf.intercept_, doc_string="synthetic")


def dims(value_info):
    """Tensor shape as a list: ints for fixed dims, names for symbolic ones."""
    return [d.dim_param or d.dim_value for d in value_info.type.tensor_type.shape.dim]


def attributes(node):
    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


class ExporterTest(unittest.TestCase):
    def setUp(self):
        self.vectorizer, self.clf = fit_small()
        self.onnx_model = export(self.vectorizer, self.clf)
        self.nodes = {node.op_type: node for node in self.onnx_model.graph.node}
        self.init = {t.name: numpy_helper.to_array(t) for t in self.onnx_model.graph.initializer}

    def test_passes_onnx_checker(self):
        onnx.checker.check_model(self.onnx_model, full_check=True)
        self.assertEqual(self.onnx_model.ir_version, 8)
        self.assertEqual([(o.domain, o.version) for o in self.onnx_model.opset_import],
                         [("", 17), ("com.microsoft", 1)])
        self.assertTrue(self.onnx_model.producer_name)
        self.assertEqual(self.onnx_model.doc_string, "synthetic")

    def test_input_and_output_signature(self):
        graph = self.onnx_model.graph
        self.assertEqual([i.name for i in graph.input], ["text"])
        self.assertEqual([o.name for o in graph.output], ["probabilities"])
        (text,), (probabilities,) = graph.input, graph.output
        self.assertEqual(text.type.tensor_type.elem_type, TensorProto.STRING)
        self.assertEqual(probabilities.type.tensor_type.elem_type, TensorProto.FLOAT)
        # [N], not [N, 1]: TfIdfVectorizer rejects the Tokenizer's output for [N, 1].
        self.assertEqual(dims(text), ["N"])
        self.assertEqual(dims(probabilities), ["N", 4])

    def test_node_sequence_and_attributes(self):
        graph = self.onnx_model.graph
        self.assertEqual([(n.domain, n.op_type) for n in graph.node], [
            ("com.microsoft", "Tokenizer"), ("", "TfIdfVectorizer"), ("", "Mul"), ("", "ReduceL2"),
            ("", "Max"), ("", "Div"), ("", "MatMul"), ("", "Add"), ("", "Softmax")])
        self.assertEqual(attributes(self.nodes["Tokenizer"]), {
            "mark": 0, "pad_value": b"#", "mincharnum": 1, "tokenexp": rb"[\p{L}\p{N}_]{2,}"})
        tfidf = attributes(self.nodes["TfIdfVectorizer"])
        self.assertEqual((tfidf["mode"], tfidf["min_gram_length"], tfidf["max_gram_length"], tfidf["max_skip_count"]),
                         (b"TF", 1, 2, 0))
        # Opset 17: axes is an attribute of ReduceL2 (an input from opset 18).
        self.assertEqual(attributes(self.nodes["ReduceL2"]), {"axes": [1], "keepdims": 1})
        self.assertEqual(list(self.nodes["ReduceL2"].input), ["tfidf"])
        self.assertEqual(attributes(self.nodes["Softmax"]), {"axis": 1})
        self.assertEqual(float(self.init["eps"]), np.float32(exporter.EPS))

    def test_pool_matches_vocabulary(self):
        tfidf = attributes(self.nodes["TfIdfVectorizer"])
        vocabulary = self.vectorizer.vocabulary_
        n_unigrams = sum(1 for term in vocabulary if " " not in term)
        self.assertEqual(list(tfidf["ngram_counts"]), [0, n_unigrams])
        self.assertEqual(len(tfidf["pool_strings"]), n_unigrams + 2 * (len(vocabulary) - n_unigrams))
        self.assertEqual(len(tfidf["ngram_indexes"]), len(vocabulary))
        # Every vocabulary term maps to its sklearn column, and nothing else is in the pool.
        by_graph = {" ".join(gram): column for gram, column in exporter.pool_columns(self.nodes["TfIdfVectorizer"]).items()}
        self.assertEqual(by_graph, vocabulary)
        # Output width of TfIdfVectorizer = max index + 1 = number of columns.
        self.assertEqual(max(tfidf["ngram_indexes"]) + 1, len(vocabulary))

    def test_pad_value_is_not_a_token(self):
        tokens = {token for term in self.vectorizer.vocabulary_ for token in term.split(" ")}
        self.assertNotIn(exporter.PAD_VALUE, tokens)
        pool = [s.decode("utf-8") for s in attributes(self.nodes["TfIdfVectorizer"])["pool_strings"]]
        self.assertNotIn(exporter.PAD_VALUE, pool)
        # And the tokenizer can never produce it from user text.
        analyzer = self.vectorizer.build_analyzer()
        self.assertEqual(analyzer("# #"), [])

    def test_rejects_vocabulary_the_tokenizer_cannot_produce(self):
        for bad in ({"#": 0}, {"a": 0}, {"one two three": 0}, {"hello": 1}):
            with self.subTest(vocabulary=bad), self.assertRaises(ValueError):
                exporter.split_vocabulary(bad)

    def test_initializers_equal_estimator(self):
        np.testing.assert_array_equal(self.init["idf"], self.vectorizer.idf_.astype(np.float32))
        np.testing.assert_array_equal(self.init["coef"], self.clf.coef_.T.astype(np.float32))
        np.testing.assert_array_equal(self.init["intercept"], self.clf.intercept_.astype(np.float32))
        for name in ("idf", "coef", "intercept", "eps"):
            self.assertEqual(self.init[name].dtype, np.float32, name)
        self.assertEqual(self.init["coef"].shape, (len(self.vectorizer.vocabulary_), 4))

    def test_graph_evaluated_by_hand_matches_predict_proba(self):
        expected = self.clf.predict_proba(self.vectorizer.transform(PROBES))
        by_graph = exporter.numpy_reference(self.onnx_model, PROBES)
        self.assertEqual(by_graph.shape, (len(PROBES), 4))
        np.testing.assert_allclose(by_graph, expected, rtol=0, atol=1e-6)

    def test_text_without_known_ngrams_scores_the_intercept(self):
        # The Max(norm, eps) floor keeps a zero row zero (no 0/0 = NaN).
        intercept = self.clf.intercept_
        softmax = np.exp(intercept - intercept.max()) / np.exp(intercept - intercept.max()).sum()
        for text in ["", "?!", "zzz qqq", "# #"]:
            with self.subTest(text=text):
                np.testing.assert_allclose(exporter.numpy_reference(self.onnx_model, [text])[0], softmax, atol=1e-6)

    def test_export_is_byte_deterministic(self):
        again = export(self.vectorizer, self.clf)
        self.assertEqual(exporter.to_bytes(self.onnx_model), exporter.to_bytes(again))
        # The vocabulary dict's order does not matter, only its columns.
        shuffled = dict(sorted(self.vectorizer.vocabulary_.items(), reverse=True))
        self.assertEqual(exporter.to_bytes(self.onnx_model), exporter.to_bytes(export(self.vectorizer, self.clf, shuffled)))

    def test_every_search_setting_is_exportable(self):
        # The CV search may pick any grid point; each must export and match predict_proba.
        grid = train.SEARCH_GRID
        for ngram_range, min_df in itertools.product(grid["ngram_range"], grid["min_df"]):
            with self.subTest(ngram_range=ngram_range, min_df=min_df):
                vectorizer, clf = fit_small({"C": 10, "min_df": min_df, "ngram_range": ngram_range})
                expected = clf.predict_proba(vectorizer.transform(PROBES))
                np.testing.assert_allclose(exporter.numpy_reference(export(vectorizer, clf), PROBES), expected,
                                           rtol=0, atol=1e-6)
        self.assertNotIn("sublinear_tf", grid)  # the graph has no log-tf step
        self.assertFalse(train.VECTORIZER_PARAMS["sublinear_tf"])

    def test_rejects_non_finite_or_misshaped_weights(self):
        coef = self.clf.coef_.copy()
        coef[0, 0] = np.nan
        with self.assertRaises(ValueError):
            exporter.export_text_classifier(self.vectorizer.vocabulary_, self.vectorizer.idf_, coef, self.clf.intercept_)
        with self.assertRaises(ValueError):  # a binary model: one row of coef_
            exporter.export_text_classifier(
                self.vectorizer.vocabulary_, self.vectorizer.idf_, self.clf.coef_[:1], self.clf.intercept_[:1])


class DataTest(unittest.TestCase):
    def frame(self, rows):
        return pd.DataFrame(rows, columns=["text", "intent", "split"])

    def test_committed_data_passes_the_checks(self):
        df = train.load_data(train.DEFAULT_DATA)
        counts = df.groupby(["intent", "split"]).size().unstack()
        self.assertTrue((counts.sum(axis=1) >= train.MIN_PER_LABEL).all())
        # Balanced training intents: no intent more than 5% above another.
        self.assertLessEqual(counts["train"].max() / counts["train"].min(), 1.05, counts["train"].to_dict())

    def test_held_out_split_is_unchanged(self):
        df = train.load_data(train.DEFAULT_DATA)
        test = df[df["split"] == "test"]
        self.assertEqual(test["intent"].value_counts().sort_index().to_dict(), HELD_OUT_COUNTS)
        digest = hashlib.sha256("\n".join(f"{text}\t{intent}" for text, intent in zip(test["text"], test["intent"]))
                                .encode("utf-8")).hexdigest()
        self.assertEqual(digest, HELD_OUT_SHA256)

    def test_selection_rule_prefers_log_loss_then_accuracy(self):
        results = [
            {"C": 1, "min_df": 1, "ngram_range": [1, 2], "accuracy_mean": 0.90, "accuracy_std": 0, "log_loss_mean": 0.6},
            {"C": 3, "min_df": 1, "ngram_range": [1, 2], "accuracy_mean": 0.80, "accuracy_std": 0, "log_loss_mean": 0.5},
            {"C": 9, "min_df": 2, "ngram_range": [1, 1], "accuracy_mean": 0.85, "accuracy_std": 0, "log_loss_mean": 0.5},
        ]
        chosen, ranked = train.select(results)
        self.assertEqual(chosen["C"], 9)
        self.assertEqual([r["C"] for r in ranked], [9, 3, 1])

    def test_duplicate_tokens_fail_loudly(self):
        rows = [(f"message number {label} {i}", label, "test" if i == 0 else "train")
                for label in train.LABELS for i in range(train.MIN_PER_LABEL)]
        rows.append(("Message number complaint 0!", "complaint", "train"))
        with self.assertRaisesRegex(AssertionError, "identical tokens"):
            train.check_data(self.frame(rows))

    def test_unknown_intent_fails(self):
        rows = [("hello", "greeting", "train"), ("hmm", "other", "test")]
        with self.assertRaisesRegex(AssertionError, "intents"):
            train.check_data(self.frame(rows))

    def test_nul_is_a_separator_for_scikit_learn(self):
        self.assertIn("hello", train.nul_note("hello\0world"))
        self.assertEqual(train.prepare("Hello\0World"), "hello world")


if __name__ == "__main__":
    unittest.main()
