"""FLEX_TEMPLATE_PYTHON_PY_FILE: the launcher runs this with the template's parameters."""

import sys

from xlmr.pipeline.template import main

if __name__ == "__main__":
    sys.exit(main())
