"""The layout of an `xlmr-corpus` output: the writers (pipeline/writers/, pipeline/stats/) and
the reader (corpus_reader.py) name its files through these, so they cannot drift.

    DIR/lang=<code>/part-PPPPP-NNNNN-of-MMMMM.parquet  shard N of M of part P (pipeline/writers/parts.py);
                                                  hive-style: pyarrow, DuckDB, `datasets` see `lang`
    DIR/_stats.json                               per-language totals and the run's config
    DIR/_SUCCESS                                  written last: the output is complete
    DIR/README.md, DIR/*.png                      the dataset card and its plots
    DIR/_index/<kind>/part-PPPPP-NNNNN-of-MMMMM.parquet  the dedup index (pipeline/dedup/index.py)
    DIR/_parts/                                   each run's plan and each part's commit record
"""

STATS_FILE, SUCCESS_FILE, TEMP_DIR, CARD_FILE, INDEX_DIR, PARTS_DIR = (
    "_stats.json", "_SUCCESS", "_temporary", "README.md", "_index", "_parts")
DOCUMENTS_PLOT, MIX_PLOT, FUNNEL_PLOT, LID_PLOT, QUALITY_PLOT, PERPLEXITY_PLOT = (
    "documents_per_language.png", "language_mix.png", "funnel.png", "lid_confidence.png", "quality_removals.png",
    "perplexity.png")
PLOT_FILES = (DOCUMENTS_PLOT, MIX_PLOT, FUNNEL_PLOT, LID_PLOT, QUALITY_PLOT, PERPLEXITY_PLOT)


def language_dir(lang: str) -> str:
    return f"lang={lang}"


def shard_glob(lang: str = "*") -> str:
    """The shards of one language, or of every language by default (relative to DIR)."""
    return f"{language_dir(lang)}/*.parquet"


def shard_path(lang: str, part: int, index: int, total: int) -> str:
    return f"{language_dir(lang)}/{_file(part, index, total)}"


def index_glob(kind: str = "*") -> str:
    return f"{INDEX_DIR}/{kind}/*.parquet"


def index_path(kind: str, part: int, index: int, total: int) -> str:
    return f"{INDEX_DIR}/{kind}/{_file(part, index, total)}"


def _file(part: int, index: int, total: int) -> str:
    return f"part-{part:05d}-{index:05d}-of-{total:05d}.parquet"
