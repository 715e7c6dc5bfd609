"""OCR remediation over the selected shards (a backfill: runs of GLOSSAPI_SHARDS_PER_RUN shards)."""
from dagster import define_asset_job

from .assets import ocr_docs

ocr_job = define_asset_job("ocr_job", selection=[ocr_docs],
                           description="OCR remediation on the selected shards: needs_ocr documents OCR'd with RapidOCR.")
