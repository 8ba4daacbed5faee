"""Near-duplicate documents (MinHash LSH) and exact paragraphs (CCNet normalisation), engine-free."""
