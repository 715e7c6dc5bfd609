"""What the asset checks of every pool phase share: the rows of the shards an asset has
materialized, the unaccounted among them, and the Docling outputs that are missing or do not parse."""
import random
import time

from dagster import AssetCheckExecutionContext, AssetCheckResult, MetadataValue

from ..state import OutputLayout, ProgressStore
from ..state.artifacts import load_docling_json
from .resources import CorpusResource

PARSE_SAMPLE = 200     # documents whose Docling JSON is decoded per check; all are stat'ed
VALIDATE_SECONDS = 1.0  # of those, docling-core validates as many as fit, smallest first (at least
                        # one): a big document's validation takes seconds, the check must not cost more


def done_rows(context: AssetCheckExecutionContext, corpus: CorpusResource, asset_key, columns: list[str]):
    """Manifest rows of the shards `asset_key` has materialized (the rest are not due yet), not vanished;
    every column asked for present (None where no run has written it yet)."""
    done = context.instance.get_materialized_partitions(asset_key)
    rows = ProgressStore(OutputLayout(corpus.output_dir).store_dir).read(["stem", "shard", "missing", *columns])
    for column in ("shard", "missing", *columns):
        if column not in rows:  # a store no run has written to yet (another run holds every document)
            rows[column] = None
    if rows.empty:
        return rows
    rows = rows[rows["shard"].isin(done)]
    return rows[~rows["missing"].fillna(False).astype(bool)]


def unaccounted(rows, ok) -> dict:
    """The check's metadata from rows and which of them are accounted for."""
    lost = rows.loc[~ok.fillna(False).astype(bool), "stem"].tolist()
    return {"documents": len(rows), "unaccounted": len(lost), "unaccounted_stems": MetadataValue.json(lost[:100])}


def accounted_for(rows, ok, **metadata) -> AssetCheckResult:
    """A "nothing lost silently" check's result: passed when every row is accounted for (ok)."""
    meta = unaccounted(rows, ok)
    return AssetCheckResult(passed=meta["unaccounted"] == 0, metadata={**meta, **metadata})


def has_reason(rows, column: str):
    """Whether each row's `column` (an error) says why: a text that is not empty."""
    return rows[column].fillna("").astype(str).str.len().gt(0)


def counts(values) -> MetadataValue:
    """How many rows hold each value (an outcome, a status), missing ones counted too."""
    return MetadataValue.json({str(k): int(v) for k, v in values.value_counts(dropna=False).items()})


def broken_docling_outputs(layout: OutputLayout, stems: list[str]) -> tuple[list[str], int, int]:
    """Of these stems: the markdown or Docling JSON missing (every one is stat'ed), or a JSON that
    does not parse (a sample decoded, validated while time allows); with how many were decoded
    and validated."""
    from docling_core.types.doc import DoclingDocument

    sample = random.Random(0).sample(stems, min(PARSE_SAMPLE, len(stems)))
    broken, validated, budget = [], 0, time.monotonic() + VALIDATE_SECONDS
    for stem in stems:  # every output must exist
        missing = [p.name for p in (layout.markdown(stem), layout.docling_json(stem)) if not p.exists()]
        if missing:
            broken.append(f"{stem}: missing {', '.join(missing)}")
    for stem in sorted(sample, key=lambda s: _size(layout.docling_json(s))):
        try:  # a sample is decoded (cost stays flat), and validated while time allows
            data = load_docling_json(layout.docling_json(stem))
            if data.get("schema_name") != "DoclingDocument":
                raise ValueError(f"schema_name is {data.get('schema_name')!r}")
            if not validated or time.monotonic() < budget:
                DoclingDocument.model_validate(data)
                validated += 1
        except FileNotFoundError:
            pass  # reported above
        except Exception as exc:
            broken.append(f"{stem}: {type(exc).__name__}: {exc}"[:300])
    return broken, len(sample), validated


def _size(path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return -1
