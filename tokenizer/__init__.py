"""Tokenizer stage: XLM-R's α-sampled SentencePiece unigram model, exported for Hugging Face transformers."""
