"""Main-text extraction quality and speed of --extractor trafilatura and resiliparse, on real multilingual pages.

Why: --extractor picks between trafilatura (the default) and resiliparse (about
ten times faster); this puts numbers on what the speed costs in text kept and
boilerplate let through, per script family, on pages in 20-odd languages.

Rows: the two project extractors exactly as the pipeline calls them (charset.py's
decoding, their settings, in-process without the sandbox), and "trafilatura fast":
the same trafilatura settings plus `fast=True` (no fallback extractors), to show
what trafilatura's own fast path would give.

Data: ../shared/data/html (see ../shared/data/PROVENANCE.md, "html/"). The pages
may not be republished, so they are read from there and never copied into the repo.
Every page is read as bytes with content type "text/html" (no charset: charset.py
decides from BOM, UTF-8 validity, meta tag or detection), the URL from
evaldata_subset.json where it gives one.

Text is compared after collapsing whitespace and NFC normalisation on both sides:
trafilatura's output is NFC, resiliparse's keeps the page's code points, and the
same words in another Unicode form are not an extraction error.

1. Snippets (trafilatura/, 105 pages, trafilatura's own evaluation): per page,
   each "with" snippet found in the normalised output is a true
   positive, each one missing a false negative; each "without" snippet found a
   false positive, each one absent a true negative (no output: every "with" is
   missed, every "without" absent). Counts are summed over pages (micro):
   precision, recall, F1, accuracy, overall and per script family of the page
   (the family of its "with" snippets).
2. References (readability/, newspaper4k/, goose3/: 37 pages with a reference
   extraction of each library's test suite): bag-of-words overlap of the output
   with the reference, words from the quality filters' ICU splitter, lower-cased,
   punctuation-only tokens left out (so that resiliparse's list bullets or a
   different quote style are not counted as wrong words); precision = shared
   words / output words, recall = shared words / reference words (a word shared
   as often as it occurs in both). Means over pages, overall, per script family
   of the reference and per source. References under 200 characters are skipped:
   goose3's test suite checks only that the article *starts* with its expected
   text, so several of its references are a sentence long; the longer ones may
   still stop before the article does, so read goose3's precision as a lower bound.
3. Speed: CPU seconds (time.process_time) of each extractor call over every page
   of both sets, after one warm-up call per extractor: ms/page and pages/s on one core.

Run from the repository root (about 15 s on one core):

    .venv/bin/python bench/extraction_quality.py
    .venv/bin/python bench/extraction_quality.py --json bench/out/extraction_quality.json
    .venv/bin/python bench/extraction_quality.py --limit 5 --extractors trafilatura resiliparse
"""

from __future__ import annotations

import argparse
import collections
import json
import re
import statistics
import sys
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from xlmr.common.scripts import script_family
from xlmr.pipeline.filters.words import SYMBOLS, WordSplitter

REPO = Path(__file__).resolve().parent.parent
DEFAULT_HTML = REPO.parent / "shared" / "data" / "html"
ROWS = ("trafilatura", "trafilatura fast", "resiliparse")
SOURCES = ("readability", "newspaper4k", "goose3")
CONTENT_TYPE = "text/html"  # no charset: charset.py decides, as for a response without one
MIN_REFERENCE_CHARS = 200
WARM_UP_PAGE = b"<html><head><title>t</title></head><body><article><p>%s</p></article></body></html>" % (b"Text. " * 40)
_SPACES = re.compile(r"\s+")


# ---------------------------------------------------------------- the extractors


def _trafilatura_fast(html: bytes, content_type: str, url: str) -> tuple[str | None, str]:
    """pipeline/extractors/trafilatura.py with `fast=True`: keep these settings equal to that module's."""
    import trafilatura

    from xlmr.pipeline.extractors.charset import decode_html

    page, how = decode_html(html, content_type)
    text = trafilatura.extract(page, url=url or None, favor_precision=True, include_comments=False,
                               include_tables=True, deduplicate=False, with_metadata=False, output_format="txt",
                               fast=True)
    return text, how


def extractor(row: str):
    """The row's `(html, content_type, url) -> (text or None, charset rule)`; imported only when asked for."""
    if row == "trafilatura fast":
        return _trafilatura_fast
    from xlmr.pipeline.extractors.extract_text import html_to_text

    return html_to_text(row)


# ---------------------------------------------------------------- scoring


def norm(text: str) -> str:
    """Whitespace runs to one space, and NFC: snippets and output differ in line breaks, not in words; and
    trafilatura hands out NFC (the snippets were cut from its output) while resiliparse keeps the page's code
    points (Bengali য় written precomposed, which NFC decomposes): the same text either way."""
    return unicodedata.normalize("NFC", _SPACES.sub(" ", text).strip())


def count_snippets(with_: list[str], without: list[str], text: str | None) -> tuple[int, int, int, int]:
    """(tp, fp, fn, tn) of one page: snippets found in the output, as trafilatura's tests/eval_common.py counts."""
    found = norm(text) if text else ""
    tp = sum(norm(s) in found for s in with_) if found else 0
    fp = sum(norm(s) in found for s in without) if found else 0
    return tp, fp, len(with_) - tp, len(without) - fp


@dataclass
class Confusion:
    """Snippet counts summed over pages, and the scores they give (0.0 where a denominator is 0)."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0
    pages: int = 0
    empty: int = 0  # pages the extractor returned no text for

    def add(self, counts: tuple[int, int, int, int], empty: bool) -> None:
        tp, fp, fn, tn = counts
        self.tp, self.fp, self.fn, self.tn = self.tp + tp, self.fp + fp, self.fn + fn, self.tn + tn
        self.pages += 1
        self.empty += empty

    def scores(self) -> dict[str, float]:
        precision = self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0
        recall = self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0
        total = self.tp + self.fp + self.fn + self.tn
        return {"precision": precision, "recall": recall, "f1": _f1(precision, recall),
                "accuracy": (self.tp + self.tn) / total if total else 0.0}

    def as_dict(self) -> dict:
        return {"tp": self.tp, "fp": self.fp, "fn": self.fn, "tn": self.tn, "pages": self.pages,
                "empty": self.empty, **self.scores()}


def _f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def words(text: str | None, splitter: WordSplitter) -> list[str]:
    """Lower-cased words of the ICU splitter (on NFC text, as `norm`), without tokens made only of punctuation
    or symbols."""
    if not text:
        return []
    return [w.lower() for w in splitter.split(unicodedata.normalize("NFC", text)) if w and not set(w) <= SYMBOLS]


def bag_of_words(output: list[str], reference: list[str]) -> dict[str, float]:
    """Precision, recall and F1 of `output`'s words against `reference`'s, each word counted as often as in
    both (multiset intersection). No output: all three are 0."""
    shared = sum((collections.Counter(output) & collections.Counter(reference)).values())
    precision = shared / len(output) if output else 0.0
    recall = shared / len(reference) if reference else 0.0
    return {"precision": precision, "recall": recall, "f1": _f1(precision, recall)}


def mean_scores(pages: list[dict[str, float]]) -> dict[str, float]:
    """Mean precision, recall and F1 over pages (macro: a short page weighs as much as a long one)."""
    return {k: statistics.fmean(p[k] for p in pages) if pages else 0.0 for k in ("precision", "recall", "f1")}


# ---------------------------------------------------------------- data


@dataclass
class Page:
    name: str  # relative to --html
    path: Path
    url: str = ""
    with_: list[str] = field(default_factory=list)
    without: list[str] = field(default_factory=list)
    reference: str = ""


def snippet_pages(root: Path, limit: int | None) -> list[Page]:
    """trafilatura/'s pages that evaldata_subset.json annotates, in name order."""
    evaldata = json.loads((root / "trafilatura" / "evaldata_subset.json").read_text(encoding="utf-8"))
    return [Page(f"trafilatura/{name}", root / "trafilatura" / name, item.get("url") or "", item["with"],
                 item["without"]) for name, item in sorted(evaldata.items())][:limit]


def reference_text(path: Path) -> str:
    """A reference extraction, whitespace-normalised: a .txt as is, readability's article HTML as its
    visible text."""
    if path.suffix == ".txt":
        return norm(path.read_text(encoding="utf-8"))
    import lxml.html

    return norm(lxml.html.fromstring(path.read_text(encoding="utf-8")).text_content())


def reference_pages(root: Path, limit: int | None) -> list[Page]:
    """The pages that come with a reference extraction, by source then name."""
    expected = [path for source in SOURCES for path in sorted((root / source).glob("*.expected.*"))][:limit]
    pages = []
    for path in expected:
        html = path.with_name(path.name.split(".expected.")[0] + ".html")
        pages.append(Page(f"{path.parent.name}/{html.name}", html, reference=reference_text(path)))
    return pages


# ---------------------------------------------------------------- running


@dataclass
class Output:
    text: str | None
    cpu_s: float
    error: str = ""


def extract_all(row: str, pages: list[Page]) -> dict[str, Output]:
    """The row's extractor on every page, each call timed in CPU seconds. A warm-up call first, so that the
    first page does not pay for imports and lazy set-up. A page the extractor fails on counts as no output
    (as trafilatura's evaluation counts a crash) and its error is kept."""
    extract = extractor(row)
    extract(WARM_UP_PAGE, CONTENT_TYPE, "")
    outputs = {}
    for page in pages:
        html = page.path.read_bytes()
        start = time.process_time()
        try:
            text, error = extract(html, CONTENT_TYPE, page.url)[0], ""
        except Exception as exc:  # one bad page must not end the run; it is reported
            text, error = None, f"{type(exc).__name__}: {exc}"
        outputs[page.name] = Output(text, time.process_time() - start, error)
    return outputs


def evaluate_snippets(pages: list[Page], outputs: dict[str, dict[str, Output]]) -> dict:
    """Confusion counts per row, overall and per script family, plus each page's counts."""
    overall = {row: Confusion() for row in outputs}
    by_family: dict[str, dict[str, Confusion]] = collections.defaultdict(lambda: {row: Confusion() for row in outputs})
    per_page = {}
    for page in pages:
        family = script_family(" ".join(page.with_) or _first_text(outputs, page.name))
        per_page[page.name] = {"family": family, "url": page.url, "rows": {}}
        for row, out in outputs.items():
            counts = count_snippets(page.with_, page.without, out[page.name].text)
            empty = not (out[page.name].text or "").strip()
            overall[row].add(counts, empty)
            by_family[family][row].add(counts, empty)
            per_page[page.name]["rows"][row] = dict(zip(("tp", "fp", "fn", "tn"), counts), empty=empty)
    return {"overall": {row: c.as_dict() for row, c in overall.items()},
            "families": {f: {row: c.as_dict() for row, c in rows.items()} for f, rows in _by_size(by_family)},
            "pages": per_page}


def _first_text(outputs: dict[str, dict[str, Output]], name: str) -> str:
    """The page's text from trafilatura (the first row when it runs), for a page without "with" snippets."""
    return next((out[name].text for out in outputs.values() if out[name].text), "")


def _by_size(groups: dict[str, dict[str, Confusion]]) -> list[tuple[str, dict[str, Confusion]]]:
    """Families largest first, so the table reads from the bulk down."""
    return sorted(groups.items(), key=lambda kv: (-next(iter(kv[1].values())).pages, kv[0]))


def evaluate_references(pages: list[Page], outputs: dict[str, dict[str, Output]]) -> dict:
    """Bag-of-words scores per page, and their means per row: overall, per script family, per source. Pages
    whose reference is under MIN_REFERENCE_CHARS are skipped (goose3's prefixes) and named."""
    splitter = WordSplitter()
    skipped = [page.name for page in pages if len(page.reference) < MIN_REFERENCE_CHARS]
    per_page = {}
    for page in pages:
        if page.name in skipped:
            continue
        reference = words(page.reference, splitter)
        rows = {}
        for row, out in outputs.items():
            output = words(out[page.name].text, splitter)
            rows[row] = {**bag_of_words(output, reference), "words": len(output),
                         "empty": not (out[page.name].text or "").strip()}
        per_page[page.name] = {"family": script_family(page.reference), "source": page.name.split("/")[0],
                               "reference_words": len(reference), "rows": rows}

    def means(names: list[str]) -> dict:
        return {row: {**mean_scores([per_page[n]["rows"][row] for n in names]), "pages": len(names),
                      "empty": sum(per_page[n]["rows"][row]["empty"] for n in names)} for row in outputs}

    families = collections.Counter(p["family"] for p in per_page.values())
    return {"overall": means(list(per_page)),
            "families": {f: means([n for n, p in per_page.items() if p["family"] == f])
                         for f, _ in sorted(families.items(), key=lambda kv: (-kv[1], kv[0]))},
            "sources": {s: means([n for n, p in per_page.items() if p["source"] == s])
                        for s in SOURCES if any(p["source"] == s for p in per_page.values())},
            "skipped_short_references": skipped, "min_reference_chars": MIN_REFERENCE_CHARS, "pages": per_page}


def speed(outputs: dict[str, dict[str, Output]]) -> dict:
    """CPU time per row over every page it ran on, and the slowest page (the one to look at first)."""
    result = {}
    for row, out in outputs.items():
        seconds = {name: o.cpu_s for name, o in out.items()}
        total, slowest = sum(seconds.values()), max(seconds, key=seconds.get, default="")
        result[row] = {"pages": len(seconds), "cpu_s": total,
                       "ms_per_page": 1000 * total / len(seconds) if seconds else 0.0,
                       "pages_per_s_per_core": len(seconds) / total if total else 0.0,
                       "median_ms": 1000 * statistics.median(seconds.values()) if seconds else 0.0,
                       "slowest_page": slowest, "slowest_ms": 1000 * seconds.get(slowest, 0.0),
                       "errors": {name: o.error for name, o in out.items() if o.error}}
    return result


# ---------------------------------------------------------------- printing


def _print_snippets(result: dict) -> None:
    print(f"{'family':<18}{'pages':>5}  {'extractor':<17}{'TP':>5}{'FP':>5}{'FN':>5}{'TN':>5}"
          f"{'prec':>7}{'recall':>7}{'F1':>7}{'acc':>7}{'empty':>6}")
    for group, rows in [("all", result["overall"]), *result["families"].items()]:
        for i, (row, c) in enumerate(rows.items()):
            label = f"{group:<18}{c['pages']:>5}" if i == 0 else " " * 23
            print(f"{label}  {row:<17}{c['tp']:>5}{c['fp']:>5}{c['fn']:>5}{c['tn']:>5}{c['precision']:>7.3f}"
                  f"{c['recall']:>7.3f}{c['f1']:>7.3f}{c['accuracy']:>7.3f}{c['empty']:>6}")


def _print_references(result: dict) -> None:
    print(f"{'group':<24}{'pages':>5}  {'extractor':<17}{'prec':>7}{'recall':>7}{'F1':>7}{'empty':>6}")
    groups = [("all", result["overall"]), *result["families"].items(),
              *((f"source {s}", rows) for s, rows in result["sources"].items())]
    for group, rows in groups:
        for i, (row, m) in enumerate(rows.items()):
            label = f"{group:<24}{m['pages']:>5}" if i == 0 else " " * 29
            print(f"{label}  {row:<17}{m['precision']:>7.3f}{m['recall']:>7.3f}{m['f1']:>7.3f}{m['empty']:>6}")


def _print_speed(result: dict) -> None:
    print(f"{'extractor':<17}{'pages':>6}{'CPU s':>8}{'ms/page':>9}{'pages/s/core':>14}{'median ms':>11}  slowest page")
    for row, s in result.items():
        print(f"{row:<17}{s['pages']:>6}{s['cpu_s']:>8.2f}{s['ms_per_page']:>9.1f}{s['pages_per_s_per_core']:>14.1f}"
              f"{s['median_ms']:>11.1f}  {s['slowest_page']} ({s['slowest_ms']:.0f} ms)")


def _print_empty_and_errors(snippets: dict, references: dict, timing: dict) -> None:
    """Pages a row returned nothing for, and extractor errors: the cases worth opening the page for."""
    for row in timing:
        empty = [n for n, p in {**snippets["pages"], **references["pages"]}.items() if p["rows"][row]["empty"]]
        if empty:
            print(f"{row}: no text for {len(empty)} page(s): {', '.join(empty)}")
        for name, error in timing[row]["errors"].items():
            print(f"{row}: failed on {name}: {error}")


# ---------------------------------------------------------------- what survives the pipeline


def survival(corpora: dict[str, Path]) -> dict:
    """Per language, documents and characters in each extractor's corpus (xlmr-corpus outputs of the
    same input), and the counters where they differ: what each extractor's text gives after repair,
    the quality filters, dedup and LID."""
    stats = {row: json.loads((out / "_stats.json").read_text()) for row, out in corpora.items()}
    langs = sorted({lang for st in stats.values() for lang in st["languages"]},
                   key=lambda lang: -max(st["languages"].get(lang, {}).get("characters", 0) for st in stats.values()))
    per_language = {lang: {row: {k: st["languages"].get(lang, {}).get(k, 0) for k in ("documents", "characters")}
                           for row, st in stats.items()} for lang in langs}
    names = sorted({k for st in stats.values() for k in st["counters"]})
    counters = {k: {row: st["counters"].get(k, 0) for row, st in stats.items()} for k in names}
    return {"corpora": {row: str(out) for row, out in corpora.items()}, "totals": {row: st["totals"] for row, st in
            stats.items()}, "languages": per_language,
            "counters": {k: v for k, v in counters.items() if len(set(v.values())) > 1}}


def _print_survival(result: dict) -> None:
    rows = list(result["corpora"])
    print(f"{'lang':<6}" + "".join(f"{row + ' docs':>18}{'chars':>12}" for row in rows))
    for lang, by_row in [("total", result["totals"]), *result["languages"].items()]:
        print(f"{lang:<6}" + "".join(f"{by_row[row]['documents']:>18,}{by_row[row]['characters']:>12,}" for row in rows))
    print(f"\n{'counter (where they differ)':<44}" + "".join(f"{row:>16}" for row in rows))
    for name, by_row in result["counters"].items():
        print(f"{name:<44}" + "".join(f"{by_row[row]:>16,}" for row in rows))


# ---------------------------------------------------------------- main


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--html", type=Path, default=DEFAULT_HTML,
                        help="the shared html/ folder (holds trafilatura/, readability/, newspaper4k/, goose3/); "
                             "default: ../shared/data/html beside the repository")
    parser.add_argument("--json", type=Path, help="also write every figure (and each page's scores) here as JSON")
    parser.add_argument("--extractors", nargs="+", choices=ROWS, default=list(ROWS), metavar="ROW",
                        help=f"rows to run, of {', '.join(repr(r) for r in ROWS)} (quote 'trafilatura fast'); "
                             "default: all")
    parser.add_argument("--corpora", nargs=2, type=Path, metavar=("TRAFILATURA_DIR", "RESILIPARSE_DIR"),
                        help="also compare two xlmr-corpus outputs of the same input, made with --extractor "
                             "trafilatura and resiliparse (bench_pipeline.py leaves them in bench/out/output-*): "
                             "documents and characters per language, and the counters that differ")
    parser.add_argument("--limit", type=int, help="only the first N pages of each set (snippet pages by name, "
                                                  "reference pages by source then name), for a quick run")
    return parser


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    if not (args.html / "trafilatura" / "evaldata_subset.json").is_file():
        # The pages cannot be bundled (their licence forbids republishing), so say where they come from.
        print(f"extraction_quality: no HTML evaluation data in {args.html} (pass --html; the html/ set of "
              f"../shared/data, see its PROVENANCE.md)", file=sys.stderr)
        raise SystemExit(2)
    rows = [r for r in ROWS if r in args.extractors]  # the table order, whatever the flag order
    started = time.perf_counter()
    snippet_set = snippet_pages(args.html, args.limit)
    reference_set = reference_pages(args.html, args.limit)
    all_pages = snippet_set + reference_set
    outputs = {row: extract_all(row, all_pages) for row in rows}
    snippet_outputs = {row: {p.name: out[p.name] for p in snippet_set} for row, out in outputs.items()}
    reference_outputs = {row: {p.name: out[p.name] for p in reference_set} for row, out in outputs.items()}
    snippets = evaluate_snippets(snippet_set, snippet_outputs)
    references = evaluate_references(reference_set, reference_outputs)
    skipped = references["skipped_short_references"]
    timing = speed(outputs)
    wall = time.perf_counter() - started

    print(f"Snippets: trafilatura's evaldata, {len(snippet_set)} pages, counts summed over pages\n")
    _print_snippets(snippets)
    print(f"\nReferences: bag of words against reference extractions, {len(references['pages'])} pages, "
          f"means over pages\n({len(skipped)} skipped, reference under {MIN_REFERENCE_CHARS} chars: "
          f"{', '.join(skipped) or '-'})\n")
    _print_references(references)
    print(f"\nSpeed: CPU time of the extractor call, in-process, {len(all_pages)} pages\n")
    _print_speed(timing)
    print()
    _print_empty_and_errors(snippets, references, timing)
    corpora = survival(dict(zip(("trafilatura", "resiliparse"), args.corpora))) if args.corpora else None
    if corpora:
        print("\nWhat survives the whole pipeline, per language (the same input through each extractor)\n")
        _print_survival(corpora)
    print(f"\nwall time {wall:.1f} s")

    if args.json:
        from importlib.metadata import version

        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(
            {"versions": {"trafilatura": version("trafilatura"), "resiliparse": version("resiliparse")},
             "limit": args.limit, "wall_s": wall, "snippets": snippets, "references": references, "speed": timing,
             "survival": corpora},
            indent=1, ensure_ascii=False), encoding="utf-8")
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
