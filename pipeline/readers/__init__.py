"""Input listing and reading: local, gs://, s3:// and http(s) files, WARC/WET records, the URL blocklist."""
