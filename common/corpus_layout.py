"""The layout of an `xlmr-corpus` output: the writer (pipeline/shard_writer.py) and the
reader (corpus_reader.py) both name its files through these, so they cannot drift.

    DIR/lang=<code>/part-NNNNN-of-MMMMM.parquet   hive-style: pyarrow, DuckDB, `datasets` see `lang`
    DIR/_stats.json                               per-language totals and the run's config
    DIR/_SUCCESS                                  written last: the output is complete
"""

STATS_FILE, SUCCESS_FILE, TEMP_DIR = "_stats.json", "_SUCCESS", "_temporary"
SHARD_GLOB = "lang=*/*.parquet"


def language_dir(lang: str) -> str:
    return f"lang={lang}"


def shard_path(lang: str, index: int, total: int) -> str:
    return f"{language_dir(lang)}/part-{index:05d}-of-{total:05d}.parquet"
