"""The channel benchmark runs end to end at a tiny scale and accounts for every delivery."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parents[3] / "benchmarks" / "warnings_channels.py"


def _module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("warnings_channels", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["warnings_channels"] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(("batch_size", "requests"), [(1, 120), (50, 3)])
def test_tiny_run(batch_size: int, requests: int) -> None:
    result = _module().run(count=120, batch_size=batch_size, concurrency=2, warmup=10)

    assert result["deliveries"] == 120 and result["requests"] == requests
    assert result["failures"] == 0
    assert result["gateway_received"] == 120 and result["gateway_duplicates"] == 0
    assert result["deliveries_per_s"] > 0 and result["request_p99_ms"] >= result["request_p50_ms"]
    assert result["peak_rss_mib"] > 0
