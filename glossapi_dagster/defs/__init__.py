"""The Dagster face: resources, partitions, assets, checks. Thin: config in, engine call, metadata out."""
