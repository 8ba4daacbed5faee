"""Our FineWeb-2 quality filters against datatrove's, judging the same text.

Each page goes through this project's extraction (trafilatura) and repair, then
lid.176 names its language, and the text is judged twice with FineWeb-2's
thresholds for that language: by `quality_filters.assess`, and by datatrove's own
filters in FineWeb-2's chain (GopherRepetitionFilter -> FineWebQualityFilter ->
GopherQualityFilter, with the settings fineweb-2-pipeline.py fixes) and the word
tokenizer datatrove assigns the language. The text is the one our quality stage
sees: before dedup, where repetition still shows.

Languages whose datatrove tokenizer needs more than spaCy's blank models
(Stanza's model downloads, indic-nlp-library, pythainlp, jieba, sudachipy, pyvi,
Kiwi, khmer-nltk, ...) are left out, and so are languages FineWeb-2 has no
thresholds for. datatrove and spaCy are dev dependencies: the reference, as
datasketch is for MinHash.

    python bench/quality_agreement.py [--shared ../shared/data] [--show 10]

prints the agreement on the sample's pages and on the shared pages (the HTML
pages and the CommonCrawl WARC excerpts), per language, and each disagreement
with the check that decided it on either side.
"""

from __future__ import annotations

import argparse
import collections
import dataclasses
import json
from functools import lru_cache
from importlib import resources
from pathlib import Path

from xlmr.pipeline.extractors.extract_text import ExtractText
from xlmr.pipeline.filters.language_id import LanguageIdentifier
from xlmr.pipeline.filters.quality_filters import assess
from xlmr.pipeline.filters.quality_settings import LanguageSettings, load_thresholds
from xlmr.pipeline.filters.words import WordSplitter
from xlmr.pipeline.formatters.text_repair import RepairText
from xlmr.pipeline.readers.warc import read_records

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "sample" / "sample.warc.gz"
DEFAULT_SHARED = REPO.parent / "shared" / "data"
# datatrove's tokenizers that run here without downloads or packages beyond the dev extras; spaCy's
# blank models for ja, zh and vi need sudachipy, jieba and pyvi
USABLE = {"SpaCyTokenizer", "WhitespaceTokenizer"}
NEEDS_MORE = {"ja", "zh", "vi"}


@dataclasses.dataclass
class Verdict:
    url: str
    lang: str
    ours: list[str]  # the checks our filters fail, in order (empty: keep)
    theirs: str | None  # datatrove's reason for dropping (None: keep)

    @property
    def agree(self) -> bool:
        return (not self.ours) == (self.theirs is None)


def page_texts(records) -> list[tuple[str, str]]:
    """(url, text) of each page the pipeline's own extraction and repair stages keep."""
    extract, repair = ExtractText(timeout=0), RepairText()
    extract.setup()
    return [(doc.url, doc.text) for record in records for extracted in extract.process(record)
            for doc in repair.process(extracted)]


def warc_texts(path: Path) -> list[tuple[str, str]]:
    with open(path, "rb") as f:
        return page_texts(read_records(f, str(path), 10_000_000))


@lru_cache(maxsize=None)
def fineweb2_configs() -> dict[str, str]:
    """lid.176 code -> FineWeb-2's config name (deu_Latn): the language name datatrove's filters take."""
    table = json.loads(resources.files("xlmr.pipeline.data").joinpath("quality_thresholds.json").read_text())
    return {code: entry["config"] for code, entry in table["languages"].items() if entry.get("config")}


@lru_cache(maxsize=None)
def reference_tokenizer_usable(config: str) -> bool:
    from datatrove.utils.word_tokenizers import load_tokenizer_assignments

    factory = load_tokenizer_assignments().get(config)
    return factory is not None and factory.args[0] in USABLE


def reference_filters(settings: LanguageSettings, config: str) -> list:
    """datatrove's filters as FineWeb-2 runs them: the thresholds of `settings`, its fixed settings beside."""
    from datatrove.pipeline.filters import FineWebQualityFilter, GopherQualityFilter, GopherRepetitionFilter

    off = float("inf")  # FineWebQualityFilter compares literally: a threshold no ratio exceeds
    return [
        GopherRepetitionFilter(dup_line_frac=settings.dup_line_frac, dup_para_frac=0, dup_line_char_frac=0,
                               dup_para_char_frac=0, top_n_grams=settings.top_n_grams,
                               dup_n_grams=settings.dup_n_grams, language=config),
        FineWebQualityFilter(line_punct_thr=-1 if settings.line_punct_thr is None else settings.line_punct_thr,
                             line_punct_exclude_zero=False, short_line_thr=999,
                             char_duplicates_ratio=off if settings.char_duplicates_ratio is None
                             else settings.char_duplicates_ratio,
                             new_line_ratio=off if settings.new_line_ratio is None else settings.new_line_ratio,
                             language=config),
        GopherQualityFilter(min_doc_words=settings.min_doc_words, max_doc_words=settings.max_doc_words,
                            min_avg_word_length=settings.min_avg_word_length,
                            max_avg_word_length=settings.max_avg_word_length,
                            max_symbol_word_ratio=settings.max_symbol_word_ratio,
                            max_bullet_lines_ratio=settings.max_bullet_lines_ratio,
                            max_ellipsis_lines_ratio=settings.max_ellipsis_lines_ratio,
                            max_non_alpha_words_ratio=settings.max_non_alpha_words_ratio,
                            min_stop_words=settings.min_stop_words, stop_words=sorted(settings.stopwords),
                            language=config),
    ]


def reference_reason(text: str, filters: list) -> str | None:
    """None when every filter keeps `text`, else the first one's reason for dropping it."""
    from datatrove.data import Document

    doc = Document(text=text, id="0")
    for filter_ in filters:
        kept = filter_.filter(doc)
        if kept is not True:
            return kept[1] if isinstance(kept, tuple) else filter_.name
    return None


def judge(texts: list[tuple[str, str]], identifier: LanguageIdentifier,
          languages: frozenset[str] | None = None) -> list[Verdict]:
    """A verdict for each text in a language both sides can judge (and among `languages`, when given)."""
    thresholds, configs, words = load_thresholds(), fineweb2_configs(), WordSplitter()
    filters: dict[str, list] = {}
    verdicts = []
    for url, text in texts:
        lang, _ = identifier.predict(text)
        if languages is not None and lang not in languages:
            continue
        config = configs.get(lang)
        if config is None or lang in NEEDS_MORE or not reference_tokenizer_usable(config):
            continue
        settings = thresholds.for_language(lang)
        if lang not in filters:
            filters[lang] = reference_filters(settings, config)
        _, failed = assess(text, settings, words.split, lang)
        verdicts.append(Verdict(url, lang, failed, reference_reason(text, filters[lang])))
    return verdicts


def agreement(verdicts: list[Verdict]) -> float:
    return sum(v.agree for v in verdicts) / len(verdicts)


def shared_texts(shared: Path) -> list[tuple[str, str]]:
    """The shared pages: each HTML page (not the reference extractions beside them) and each WARC response."""
    from xlmr.pipeline.records import RawRecord

    html = [p for p in sorted((shared / "html").glob("*/*.html")) if ".expected" not in p.name]
    records = [RawRecord(id=p.name, url=f"file://{p}", date="", source=str(p), offset=0, payload=p.read_bytes(),
                         content_type="text/html") for p in html]
    texts = page_texts(records)
    for path in sorted((shared / "warc").glob("*/*.warc*")):
        if path.suffix in (".wat", ".wet") or ".wat." in path.name or ".wet." in path.name:
            continue
        texts += warc_texts(path)
    return texts


def report(name: str, verdicts: list[Verdict], show: int) -> None:
    by_lang = collections.defaultdict(list)
    for v in verdicts:
        by_lang[v.lang].append(v)
    print(f"{name}: {len(verdicts)} documents in {len(by_lang)} languages, agreement {agreement(verdicts):.3f}")
    print("  " + ", ".join(f"{lang} {sum(v.agree for v in vs)}/{len(vs)}" for lang, vs in sorted(by_lang.items())))
    split = collections.Counter((v.ours[0] if v.ours else "keep", v.theirs or "keep") for v in verdicts if not v.agree)
    for (ours, theirs), n in split.most_common():
        print(f"  {n:3d}  ours: {ours:<22} datatrove: {theirs}")
    for v in [v for v in verdicts if not v.agree][:show]:
        print(f"    {v.lang} {v.url[:90]}  ours {v.ours or 'keep'}  datatrove {v.theirs or 'keep'}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED,
                        help="the shared data folder (html/, warc/); default: ../shared/data beside the checkout")
    parser.add_argument("--show", type=int, default=10, help="disagreements to list (default: 10)")
    args = parser.parse_args(argv)
    identifier = LanguageIdentifier()
    report("sample", judge(warc_texts(SAMPLE), identifier), args.show)
    if not args.shared.is_dir():
        raise SystemExit(f"--shared {args.shared}: not a folder; the shared pages cannot be bundled, "
                         "pass the folder that holds html/ and warc/")
    report("shared pages", judge(shared_texts(args.shared), identifier), args.show)


if __name__ == "__main__":
    main()
