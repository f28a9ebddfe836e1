"""OpenAPI descriptions of the answers every route shares (errors, CSV)."""

from __future__ import annotations

from typing import Any

from openamr.headend.api.models import ErrorBody

__all__ = ["CSV_OR_JSON", "ERRORS"]

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "a parameter that makes no sense"},
    401: {"model": ErrorBody, "description": "no valid bearer token"},
    403: {"model": ErrorBody, "description": "the token's role may not do this"},
    404: {"model": ErrorBody, "description": "no such thing"},
    422: {"model": ErrorBody, "description": "a parameter of the wrong type or out of range"},
}

CSV_OR_JSON: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {"schema": {"type": "string"}}},
          "description": "JSON, or CSV with format=csv / Accept: text/csv"},
}
