"""Jobs: the manifest alone, and each pool phase over the selected shards (a backfill: runs of GLOSSAPI_SHARDS_PER_RUN shards)."""
from dagster import define_asset_job

from .assets import download_results, downloaded_files, extracted_docs, link_list, math_enriched, ocr_docs

manifest_job = define_asset_job("manifest_job", selection=[download_results],
                                description="Scan the input folder into download_results; register new shards.")
extract_job = define_asset_job("extract_job", selection=[extracted_docs],
                               description="Phase 1 on the selected shards: markdown and Docling JSON.")
ocr_job = define_asset_job("ocr_job", selection=[ocr_docs],
                           description="OCR remediation on the selected shards: needs_ocr documents OCR'd with RapidOCR.")
math_job = define_asset_job("math_job", selection=[math_enriched],
                            description="Phase 2 on the selected shards: formulas decoded to LaTeX on every GPU.")
link_list_job = define_asset_job("link_list_job", selection=[link_list],
                                 description="Enter the links of IN's link list into download_results; register new shards.")
download_job = define_asset_job("download_job", selection=[downloaded_files],
                                description="Fetch the links of the selected shards into OUT/downloads, politely.")
