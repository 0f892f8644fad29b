"""The importer Lambda: point-of-sale files landing in S3 become purchase events."""
