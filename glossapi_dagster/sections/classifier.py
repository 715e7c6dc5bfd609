"""A section classifier a user brings or trains: TF-IDF over header and text plus the has_table and
has_list flags, into a linear SVM, as GlossAPI's GlossSectionClassifier builds it, so that
GlossAPI's published model and one trained here are used the same way.

GlossAPI's model (glossapi/models/section_classifier.joblib in PyPI's `glossapi`, EUPL-1.2; never
copied into this repository) is found where an installed glossapi keeps it, or named by the user
(section_classifier_model_path). scikit-learn loads a model reliably only in the version that
saved it (1.6.1 for GlossAPI's): another version is refused with one message saying which.
"""
from __future__ import annotations

import importlib.util
import logging
import re
import threading
import warnings
from pathlib import Path

import pandas as pd

FEATURES = ["header", "section", "has_table", "has_list"]
log = logging.getLogger(__name__)
_LOAD = threading.Lock()


class ModelError(RuntimeError):
    """A section classifier that cannot be loaded or used; the message says why and what to do."""


def combine_text(df):
    """The text a model sees: header and section joined by a space (GlossAPI's combine_text)."""
    return (df["header"].fillna("") + " " + df["section"].fillna("")).values


def build_pipeline():
    from sklearn.compose import ColumnTransformer
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import FunctionTransformer
    from sklearn.svm import LinearSVC

    text = Pipeline([("combine", FunctionTransformer(combine_text, validate=False)),
                     ("tfidf", TfidfVectorizer(max_features=2000))])
    features = ColumnTransformer([("combined_text", text, ["header", "section"]),
                                  ("binary", "passthrough", ["has_table", "has_list"])], remainder="drop")
    return Pipeline([("preprocessor", features), ("classifier", LinearSVC(class_weight="balanced", max_iter=10000))])


def features(df: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame({"header": df["header"].fillna("").astype(str), "section": df["section"].fillna("").astype(str)})
    out["has_table"] = df["has_table"].fillna(False).astype(int)
    out["has_list"] = df["has_list"].fillna(False).astype(int)
    return out


def train_from_csv(csv_file, output_model_file=None):
    """GlossAPI's train_from_csv: a CSV with header, section, has_table, has_list and label; 20% held
    out (stratified) to report on, where every label has two examples at least; saved with joblib
    when output_model_file is given. Returns the fitted pipeline."""
    from sklearn.metrics import classification_report
    from sklearn.model_selection import train_test_split

    df = pd.read_csv(csv_file)
    missing = [c for c in FEATURES + ["label"] if c not in df]
    if missing:
        raise ValueError(f"{csv_file}: the training CSV lacks the column(s) {', '.join(missing)} "
                         "(GlossAPI's format: header, section, has_table, has_list, label)")
    X, y = features(df), df["label"].astype(str)
    counts = y.value_counts()
    if counts.size < 2:
        raise ValueError(f"{csv_file}: a classifier needs two labels at least, the CSV has {list(counts.index)}")
    model = build_pipeline()
    if counts.min() >= 2 and len(df) >= 5 * counts.size:
        X_train, X_val, y_train, y_val = train_test_split(X, y, test_size=0.20, random_state=42, stratify=y)
        model.fit(X_train, y_train)
        log.info("validation on %d rows:\n%s", len(y_val), classification_report(y_val, model.predict(X_val),
                                                                              zero_division=0))
    else:  # too few examples to hold any out
        model.fit(X, y)
    if output_model_file:
        import joblib

        Path(output_model_file).absolute().parent.mkdir(parents=True, exist_ok=True)
        joblib.dump(model, output_model_file)
    return model


def installed_glossapi_model() -> Path | None:
    """GlossAPI's published model, where an installed glossapi keeps it (found, not imported)."""
    try:
        spec = importlib.util.find_spec("glossapi")
    except (ImportError, ValueError):
        return None
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = Path(folder) / "models" / "section_classifier.joblib"
        if path.is_file():
            return path
    return None


def saved_version(path: Path) -> str | None:
    """The scikit-learn version a joblib pickle was saved by (its estimators record it)."""
    data = Path(path).read_bytes()[:200_000]
    match = re.search(rb"_sklearn_version.{1,12}?(\d+\.\d+(?:\.\d+)?(?:\.post\d+|rc\d+)?)", data, re.S)
    return match.group(1).decode() if match else None


def load_model(path):
    """A saved classifier; GlossAPI's loads without importing glossapi (its combine_text is this
    module's). A model saved by another scikit-learn version is refused, with the version to install."""
    import joblib
    import sklearn
    from joblib import numpy_pickle
    from sklearn.exceptions import InconsistentVersionWarning

    path = Path(path)
    if not path.is_file():
        raise ModelError(f"section classifier {path} does not exist")
    saved = saved_version(path)
    with _LOAD, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", InconsistentVersionWarning)
        original = numpy_pickle.NumpyUnpickler
        numpy_pickle.NumpyUnpickler = _unpickler_class(original)  # joblib builds its unpickler by this name
        try:
            model = joblib.load(path)
        except Exception as exc:
            raise ModelError(_version_message(path, saved, sklearn.__version__, exc)) from exc
        finally:
            numpy_pickle.NumpyUnpickler = original
    if any(issubclass(w.category, InconsistentVersionWarning) for w in caught):
        raise ModelError(_version_message(path, saved, sklearn.__version__))
    if not hasattr(model, "predict"):
        raise ModelError(f"{path} holds a {type(model).__name__}, not a classifier with predict()")
    return model


def _version_message(path: Path, saved: str | None, current: str, exc: Exception | None = None) -> str:
    if saved and saved != current:
        return (f"section classifier {path} was saved by scikit-learn {saved}; this environment has {current}, "
                f"which cannot load it reliably: `pip install scikit-learn=={saved}`, or train one here with "
                "train_from_csv")
    return f"section classifier {path} cannot be loaded: {type(exc).__name__}: {exc}"


def _unpickler_class(base):
    class Unpickler(base):
        def find_class(self, module, name):
            # GlossAPI's pickle names glossapi.gloss_section_classifier.combine_text; importing glossapi
            # for it would load Docling and dask (seconds), or fail where glossapi is not installed
            if (module, name) == ("glossapi.gloss_section_classifier", "combine_text"):
                return combine_text
            return super().find_class(module, name)

    return Unpickler


def predict(model, df: pd.DataFrame) -> list[str]:
    """The model's labels for these section rows (its features only)."""
    if df.empty:
        return []
    try:
        return [str(v) for v in model.predict(features(df))]
    except Exception as exc:
        raise ModelError(f"the section classifier failed on {len(df)} sections: {type(exc).__name__}: {exc}") from exc
