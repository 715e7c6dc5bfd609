"""The manifest alone, the link list, and the downloads over the selected shards."""
from dagster import define_asset_job

from .assets import downloaded_files, link_list
from .manifest import download_results

manifest_job = define_asset_job("manifest_job", selection=[download_results],
                                description="Scan the input folder into download_results; register new shards.")
link_list_job = define_asset_job("link_list_job", selection=[link_list],
                                 description="Enter the links of IN's link list into download_results; register new shards.")
download_job = define_asset_job("download_job", selection=[downloaded_files],
                                description="Fetch the links of the selected shards into OUT/downloads, politely.")
