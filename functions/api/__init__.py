"""The buyers' REST API: per-person allocations, run summaries and paginated run listings."""
