"""HTML bytes -> main text: the extractors behind --extractor, each a module with
`html_to_text(html, content_type, url) -> (text or None, charset rule)`.

Named here, not imported, so that parsing the options does not load every extractor."""

EXTRACTORS = {"trafilatura": f"{__name__}.trafilatura", "resiliparse": f"{__name__}.resiliparse"}
