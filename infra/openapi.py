"""Writes the buyers' API OpenAPI spec, generated from the code, to `functions/api/openapi.json`.

The committed file is what buying-system teams read and generate clients from; a test fails
when it drifts from the code. Regenerate with `python -m infra.openapi`.
"""

from __future__ import annotations

import json
from pathlib import Path

SPEC_PATH = Path(__file__).resolve().parent.parent / "functions" / "api" / "openapi.json"


def generate_spec() -> str:
    from functions.api.app import app

    spec = json.loads(
        app.get_openapi_json_schema(
            title="percapita buyers' API",
            version="1.0.0",
            description=(
                "Per-person allocations and run summaries for ad buying systems. "
                "Every request is signed with AWS SigV4 (IAM authorization)."
            ),
        )
    )
    return json.dumps(spec, indent=2, sort_keys=True) + "\n"


def main() -> None:
    SPEC_PATH.write_text(generate_spec())
    print(f"wrote {SPEC_PATH}")


if __name__ == "__main__":
    main()
