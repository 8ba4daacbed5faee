"""How often clean text fails each quality check, per language: where our words differ from FineWeb-2's.

FineWeb-2 fitted its thresholds on words from per-language tokenizers; the
filters here split words with ICU for every language. Clean, edited text (the
lingua-py test sentences: Leipzig news and web sentences, 1,000 per language)
should pass nearly every check; a check that fails much clean text in a
language shows that our words are not the ones its threshold was fitted on.
Each language's sentences are cut into documents of 40 lines (one sentence per
line, as extracted paragraphs), and each check's failure rate is printed with
the mean of the signal it looks at and the threshold.

    python bench/quality_calibration.py --shared ../shared/data [--min-rate 0.2]
"""

from __future__ import annotations

import argparse
import collections
from pathlib import Path

from xlmr.pipeline.filters.quality_filters import assess
from xlmr.pipeline.filters.quality_settings import load_thresholds
from xlmr.pipeline.filters.words import WordSplitter

SIGNAL_OF = {"min_avg_word_length": "avg_word_length", "max_avg_word_length": "avg_word_length",
             "alpha_words": "alpha_words_frac", "stop_words": "stop_words", "line_punct": "line_punct_frac",
             "new_line_ratio": "new_line_ratio", "min_words": "words"}
THRESHOLD_OF = {"min_avg_word_length": "min_avg_word_length", "max_avg_word_length": "max_avg_word_length",
                "alpha_words": "max_non_alpha_words_ratio", "stop_words": "min_stop_words",
                "line_punct": "line_punct_thr", "new_line_ratio": "new_line_ratio", "min_words": "min_doc_words"}


def documents(path: Path, lines: int = 40) -> list[str]:
    sentences = path.read_text(encoding="utf-8").splitlines()
    return ["\n".join(sentences[i:i + lines]) for i in range(0, len(sentences) - lines + 1, lines)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", type=Path, required=True, help="the shared data folder (holds lid/lingua)")
    parser.add_argument("--min-rate", type=float, default=0.2, help="print checks failing at least this share")
    args = parser.parse_args()
    thresholds = load_thresholds()
    words = WordSplitter()
    print(f"{'lang':<6}{'docs':>5}  {'check':<22}{'fails':>7}  {'mean signal':>12}  threshold")
    for path in sorted((args.shared / "lid" / "lingua").glob("*.txt")):
        lang = path.stem
        settings = thresholds.languages.get(lang)
        docs = documents(path)
        if settings is None or not docs:
            continue
        fails, sums = collections.Counter(), collections.Counter()
        for doc in docs:
            signals, failed = assess(doc, settings, words.split, lang)
            fails.update(set(failed))
            sums.update({k: v for k, v in signals.items()})
        for check, n in fails.most_common():
            if n / len(docs) >= args.min_rate:
                signal = SIGNAL_OF.get(check, "")
                mean = f"{sums[signal] / len(docs):.3f}" if signal else ""
                limit = getattr(settings, THRESHOLD_OF[check]) if check in THRESHOLD_OF else ""
                print(f"{lang:<6}{len(docs):>5}  {check:<22}{n / len(docs):>7.0%}  {mean:>12}  {limit}")


if __name__ == "__main__":
    main()
