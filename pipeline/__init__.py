"""Corpus pipeline: CommonCrawl WARC/WET to per-language Parquet shards (the CC-100 recipe), on Apache Beam
or Spark. job.py assembles the job from the stages of readers/, extractors/, formatters/, filters/ and
dedup/, which writers/ and stats/ turn into the output; engines/ runs it."""
