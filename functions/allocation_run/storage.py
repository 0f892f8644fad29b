"""The run bucket: configuration, fitted models, and every step's inputs and outputs.

Layout (one bucket, `RUN_BUCKET`):
- `config/policy.yaml`, `config/settings.json`: the allocation policy and `RunSettings`;
- `models/latest.json` -> `{"version": V}`; `models/V/population.json`: fitted models;
- `runs/<run_id>/run.json`: what the run was started with (snapshot of policy, settings,
  model version, as-of date), so every step of a run sees the same inputs;
- `runs/<run_id>/shards/<shard>.jsonl.gz`: the persons of a shard (profile states);
- `runs/<run_id>/problems/<shard>.npz`: the shard's features and scores;
- `runs/<run_id>/solution.json` and `runs/<run_id>/plans/<shard>.npy`: prices, bound, gap,
  tiers, and each shard's planned exposures;
- `runs/<run_id>/allocated/<shard>.json`: a shard's written records and export files;
- `exports/<run_id>/...`: what buyers download (see `optimizer.publishing.exports`).
Each step writes its output last, so "output exists" means "step done": that is what makes
a retried or re-run step skip work already done.
"""

from __future__ import annotations

import io
import json
from typing import Any

import numpy as np
from botocore.exceptions import ClientError


class RunStorage:
    def __init__(self, s3: Any, bucket: str) -> None:
        self.s3 = s3
        self.bucket = bucket

    def exists(self, key: str) -> bool:
        try:
            self.s3.head_object(Bucket=self.bucket, Key=key)
        except ClientError as error:
            if error.response["Error"]["Code"] in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return True

    def get_bytes(self, key: str) -> bytes:
        body: bytes = self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        return body

    def put_bytes(self, key: str, data: bytes, content_type: str) -> None:
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=data, ContentType=content_type)

    def get_json(self, key: str) -> Any:
        return json.loads(self.get_bytes(key))

    def put_json(self, key: str, value: Any) -> None:
        self.put_bytes(key, json.dumps(value).encode(), "application/json")

    def get_arrays(self, key: str) -> dict[str, np.ndarray]:
        with np.load(io.BytesIO(self.get_bytes(key)), allow_pickle=False) as archive:
            return {name: archive[name] for name in archive.files}

    def put_arrays(self, key: str, arrays: dict[str, np.ndarray]) -> None:
        buffer = io.BytesIO()
        np.savez_compressed(buffer, **arrays)  # type: ignore[arg-type]
        self.put_bytes(key, buffer.getvalue(), "application/octet-stream")

    def keys(self, prefix: str) -> list[str]:
        paginator = self.s3.get_paginator("list_objects_v2")
        return [
            item["Key"]
            for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix)
            for item in page.get("Contents", [])
        ]
