"""JSON Schema files for producers, generated from the pydantic event models.

`python -m optimizer.events.jsonschema schemas` rewrites `schemas/v1/*.json`; a unit test
fails when the committed files and the models disagree.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from optimizer.events.schema import EVENT_ADAPTER, EVENT_TYPES, SCHEMA_VERSION


def json_schemas() -> dict[str, dict[str, Any]]:
    """File name (relative to the schemas folder) -> schema document."""
    folder = f"v{SCHEMA_VERSION}"
    documents: dict[str, dict[str, Any]] = {}
    union = EVENT_ADAPTER.json_schema()
    union["title"] = "percapita interaction event"
    union["$id"] = f"https://percapita.example/schemas/{folder}/event.json"
    documents[f"{folder}/event.json"] = union
    for name, model in EVENT_TYPES.items():
        schema = model.model_json_schema()
        schema["$id"] = f"https://percapita.example/schemas/{folder}/{name}.json"
        documents[f"{folder}/{name}.json"] = schema
    return documents


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def write_json_schemas(folder: Path) -> list[Path]:
    written = []
    for name, schema in json_schemas().items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render(schema), encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    for path in write_json_schemas(Path(sys.argv[1] if len(sys.argv) > 1 else "schemas")):
        print(path)
