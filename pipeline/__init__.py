"""Corpus pipeline: CommonCrawl WARC/WET to per-language Parquet shards (CC-100 recipe) on Apache Beam."""
