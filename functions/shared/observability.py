"""Powertools Logger, Tracer and Metrics, created once for every function.

Each function sets POWERTOOLS_SERVICE_NAME in template.yaml; the namespace is shared so the
dashboards can add ingest and importer figures together. Tracing is off outside Lambda
(POWERTOOLS_TRACE_DISABLED) so tests and the local stack need no X-Ray daemon.
"""

from __future__ import annotations

import os

from aws_lambda_powertools import Logger, Metrics, Tracer

os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "Percapita")
if "AWS_LAMBDA_FUNCTION_NAME" not in os.environ:
    os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")

logger = Logger()
tracer = Tracer()
metrics = Metrics()
