"""Main text of HTML pages (trafilatura), bounded in time by a child process; charset decoding."""
