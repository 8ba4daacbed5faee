"""Tokenizer stage: the alpha-sampled SentencePiece unigram model (not built yet; see the project's issues)."""
