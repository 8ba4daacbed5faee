"""Documents survive pickling (what every Beam shuffle does to them) unchanged and smaller."""

import dataclasses
import pickle

from xlmr.pipeline.records import COMPRESS_FROM, Document


def test_pickling_round_trips_and_compresses_long_texts():
    text = "\n".join(f"Paragraph {i}: Alle Menschen sind frei und gleich an Würde und Rechten geboren. 人人生而自由。"
                     for i in range(200))
    doc = Document(id="<urn:uuid:1>", url="https://example.org/", date="2024-01-01", source="s.warc.gz", text=text,
                   n_paragraphs_extracted=250, lang="de", lang_score=0.93, quality={"chars": len(text), "lang": "de"},
                   quality_drops=("line_punct",), pii_spans=2)
    short = dataclasses.replace(doc, text="x" * (COMPRESS_FROM - 1), quality=None)
    for d in (doc, short):
        assert pickle.loads(pickle.dumps(d)) == d
    # the default dataclass pickling would store every field name and the text as is
    assert len(pickle.dumps(doc)) < len(text.encode("utf-8")) / 2
