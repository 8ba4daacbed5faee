"""The output: per-language Parquet shards, finalised atomically."""
