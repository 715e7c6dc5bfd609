"""Asset checks on the training dataset, from one read of its shards: every usable document
exported exactly once, no empty text, a dataset card that matches the shards."""
from dagster import AssetCheckExecutionContext, AssetCheckResult, AssetCheckSpec, MetadataValue, multi_asset_check

from ...export import verify_export
from .assets import training_dataset
from ..resources import CorpusResource

EXPORTED_ONCE = "every_usable_document_exported_once"
NO_EMPTY_TEXT = "no_empty_text"
CARD_MATCHES = "dataset_card_matches_shards"


@multi_asset_check(specs=[
    AssetCheckSpec(EXPORTED_ONCE, asset=training_dataset,
                   description="Each usable, non-duplicate document of the store is in exactly one record; "
                               "every shard the export wrote is there."),
    AssetCheckSpec(NO_EMPTY_TEXT, asset=training_dataset, description="No record has an empty text."),
    AssetCheckSpec(CARD_MATCHES, asset=training_dataset,
                   description="README.md's record count, shard list, sizes and download_size are the shards'."),
])
def training_dataset_checks(context: AssetCheckExecutionContext, corpus: CorpusResource):
    event = context.instance.get_latest_materialization_event(training_dataset.key)
    meta = event.asset_materialization.metadata if event and event.asset_materialization else {}
    if "dest" not in meta:
        for name in (EXPORTED_ONCE, NO_EMPTY_TEXT, CARD_MATCHES):
            yield AssetCheckResult(check_name=name, passed=True, metadata={"note": "nothing exported yet"})
        return
    fmt = meta["format"].value
    found = verify_export(corpus.output_dir, meta["dest"].value, fmt, meta["file_name"].value or None)
    lost = found["not_exported"] + found["twice"] + found["unexpected"]
    yield AssetCheckResult(check_name=EXPORTED_ONCE, passed=not lost and not found["missing_shards"], metadata={
        "records": found["records"], "expected": found["expected"],
        "not_exported": MetadataValue.json(found["not_exported"][:100]),
        "exported_twice": MetadataValue.json(found["twice"][:100]),
        "unexpected": MetadataValue.json(found["unexpected"][:100]),
        "missing_shards": MetadataValue.json(found["missing_shards"]),
    })
    yield AssetCheckResult(check_name=NO_EMPTY_TEXT, passed=not found["empty_text"],
                           metadata={"empty": MetadataValue.json(found["empty_text"][:100])})
    card = found["card"] + [f"shard missing: {f}" for f in found["missing_shards"]] + \
        [f"shard changed: {f}" for f in found["changed_shards"]]
    yield AssetCheckResult(check_name=CARD_MATCHES, passed=not card,
                           metadata={"shards": found["shards"], "problems": MetadataValue.json(card)})
