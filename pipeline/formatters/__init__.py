"""Text repair before the filters: mojibake, table rows, PII."""
