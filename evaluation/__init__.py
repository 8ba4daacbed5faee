"""`xlmr-eval`: zero-shot cross-lingual evaluation of an XLM-R checkpoint in the Hugging Face format."""
