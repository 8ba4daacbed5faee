"""`xlmr-train report OUT`: training curves (PNGs) and a model card (README.md) from OUT/metrics.jsonl.

xlmr-train writes them at the end of every run; the command redraws them at
any time, for instance while a long run is going.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after choosing the backend)

from .presets import PRESETS  # noqa: E402

FIGURES = {"training_curves.png": "Training loss, learning rate and throughput",
           "validation_perplexity.png": "Held-out perplexity per language"}


def read_metrics(path: Path) -> tuple[dict, list[dict], list[dict]]:
    """(start record, train records, eval records); a line cut short by a crash is skipped."""
    start, train, evals = {}, [], []
    for line in path.read_text().splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        {"start": lambda r: start.update(r), "train": train.append, "eval": evals.append}.get(
            record.get("event"), lambda r: None)(record)
    return start, train, evals


def training_curves(train: list[dict], path: Path) -> None:
    steps = [r["step"] for r in train]
    fig, axes = plt.subplots(2, 2, figsize=(10, 7))
    (loss_steps, loss_tokens), (lr, speed) = axes
    loss_steps.plot(steps, [r["loss"] for r in train])
    loss_steps.set(xlabel="step", ylabel="masked-LM loss (nats / predicted token)", title="Training loss by step")
    loss_tokens.plot([r["tokens"] / 1e6 for r in train], [r["loss"] for r in train], color="#DD8452")
    loss_tokens.set(xlabel="tokens seen (millions)", ylabel="masked-LM loss (nats / predicted token)",
                    title="Training loss by tokens")
    lr.plot(steps, [r["lr"] for r in train], color="#55A868")
    lr.set(xlabel="step", ylabel="learning rate", title="Learning rate (warmup, linear decay)")
    speed.plot(steps, [r["tokens_per_s"] / 1e3 for r in train], color="#8172B3")
    speed.set(xlabel="step", ylabel="thousand tokens / s (all processes)", title="Throughput")
    speed.set_ylim(bottom=0)
    if train and train[-1]["step"]:
        per_step = train[-1]["tokens"] / train[-1]["step"] / 1e6  # every step trains the same number of tokens
        for ax in (lr, speed):
            top = ax.secondary_xaxis("top", functions=(lambda s: s * per_step, lambda t: t / per_step))
            top.set_xlabel("tokens seen (millions)", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def validation_curves(evals: list[dict], path: Path) -> None:
    last = evals[-1]["eval"] if evals else {}
    langs = sorted(last, key=lambda lang: last[lang]["perplexity"])
    fig, ax = plt.subplots(figsize=(10, 6))
    for i, lang in enumerate(langs):
        points = [(e["step"], e["eval"][lang]["perplexity"]) for e in evals if lang in e["eval"]]
        # matplotlib cycles 10 colours: a new line style every 10 languages keeps lines apart
        ax.plot(*zip(*points), marker="o", markersize=3, linewidth=1, label=lang,
                linestyle=("-", "--", ":", "-.")[i // 10 % 4])
    ax.set_yscale("log")
    ax.set(xlabel="step", ylabel="perplexity (log scale)",
           title="Held-out masked-LM perplexity per language (legend: best first)")
    if langs:
        ax.legend(fontsize=7, ncol=max(1, math.ceil(len(langs) / 24)), bbox_to_anchor=(1.01, 1), loc="upper left")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _count(n) -> str:
    return f"{n:,}" if isinstance(n, int) else "?"


def model_card(start: dict, train: list[dict], evals: list[dict]) -> str:
    args = start.get("args", {})
    layers, hidden, heads, ffn = PRESETS.get(args.get("model", ""), ("?",) * 4)
    languages = start.get("languages", {})
    last_eval = evals[-1] if evals else {"step": None, "eval": {}}
    rows = ["| language | paragraphs in the corpus | held-out loss | perplexity |", "|---|---:|---:|---:|"]
    rows += [f"| {lang} | {languages.get(lang, 0):,} | {r['loss']:.3f} | {r['perplexity']:.1f} |"
             for lang, r in sorted(last_eval["eval"].items(), key=lambda kv: -languages.get(kv[0], 0))]
    last = train[-1] if train else {}
    header = ["---", "library_name: transformers", "pipeline_tag: fill-mask", "tags:", "- xlm-roberta",
              "- masked-lm", "language:"] + [f'- "{lang}"' for lang in languages] + ["---"]
    plots = "\n\n".join(f"![{title}]({name})" for name, title in FIGURES.items())
    global_batch = args.get("batch_size", 0) * args.get("grad_accum", 0) * start.get("world", 1)
    return f"""{chr(10).join(header)}

# XLM-R-style masked language model ({args.get('model', '?')}), trained with xlmr-train

- **Architecture**: `XLMRobertaForMaskedLM`, {layers} layers, hidden size {hidden}, {heads} heads, feed-forward
  {ffn}, {start.get('parameters', 0):,} parameters, vocabulary {_count(start.get('vocab_size'))}
  (the tokenizer in `final/`), sequences of {args.get('seq_len', '?')} tokens.
- **Data**: `{args.get('data')}`, {len(languages)} languages sampled with p ∝ n^α, α = {args.get('alpha')}
  (n = paragraphs); {sum(start.get('heldout_sequences', {}).values()):,} held-out sequences for evaluation.
- **Tokenizer**: `{args.get('tokenizer')}` (SentencePiece unigram, XLM-R ids).
- **Training**: {last.get('step', 0):,} steps of {args.get('max_steps', 0):,}, {last.get('tokens', 0):,} tokens;
  global batch {global_batch} sequences ({start.get('world', 1)} process(es)); AdamW (0.9, 0.98), lr
  {args.get('lr')} with {args.get('warmup')} warmup steps then linear decay, weight decay
  {args.get('weight_decay')}, dynamic masking {args.get('mask_prob')} (80/10/10), precision
  {args.get('precision')}. Last training loss {last.get('loss', float('nan')):.3f}.

## Held-out perplexity per language (step {last_eval['step']})

{chr(10).join(rows)}

## Curves

{plots}

## Use

```python
from transformers import AutoModelForMaskedLM, AutoTokenizer
tokenizer = AutoTokenizer.from_pretrained("OUT/final")
model = AutoModelForMaskedLM.from_pretrained("OUT/final")
```
"""


def write_training_report(out: Path) -> list[Path]:
    """Draw the figures and write README.md into `out` (which holds metrics.jsonl); returns the files."""
    start, train, evals = read_metrics(out / "metrics.jsonl")
    names = list(FIGURES)
    training_curves(train, out / names[0])
    validation_curves(evals, out / names[1])
    (out / "README.md").write_text(model_card(start, train, evals), encoding="utf-8")
    return [out / n for n in [*names, "README.md"]]
