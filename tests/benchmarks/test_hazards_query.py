"""The hazard benchmark runs end to end at a tiny scale and reports every figure."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "hazards_query.py"


def _module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("hazards_query", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["hazards_query"] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_tiny_run(backend: str, database_url: str) -> None:
    if not database_url.startswith(backend):
        pytest.skip("runs once per backend, with that backend's session")
    result = _module().run(backend=backend, hazards=2000, enterprises=50, samples=10, seed=3)
    assert result["backend"] == backend and result["hazards"] == 2000
    for key in ("list_p50_ms", "list_p95_ms", "stats_p50_ms", "stats_p95_ms", "load_seconds"):
        assert result[key] >= 0
