"""`python -m xlmr.pipeline` is `xlmr-corpus`."""

import sys

from .cli import main

sys.exit(main())
