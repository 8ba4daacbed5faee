"""Write metadata.json from the pipeline's options (tests/pipeline/test_template.py checks it is current).

    python dataflow_templates/make_metadata.py
"""

import json
from pathlib import Path

from xlmr.pipeline.template import metadata

if __name__ == "__main__":
    path = Path(__file__).with_name("metadata.json")
    path.write_text(json.dumps(metadata(), indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {path}")
