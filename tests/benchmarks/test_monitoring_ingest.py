"""The ingestion benchmark runs end to end at a tiny scale and accounts for every reading."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "monitoring_ingest.py"


def _module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("monitoring_ingest", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["monitoring_ingest"] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_tiny_run(backend: str, database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if not database_url.startswith(backend):
        pytest.skip("runs once per backend, with that backend's session")
    if not (shutil.which("mosquitto") or Path("/usr/sbin/mosquitto").exists()):
        pytest.skip("needs the mosquitto binary for a private broker")
    monkeypatch.syspath_prepend(str(BENCH.parent))  # the publisher process imports it by name
    module = _module()
    result = module.run(backend=backend, **{**module.QUICK, "seconds": 2, "latency_seconds": 2})
    assert result["backend"] == backend and result["zero_loss"], result
    assert result["lost"] == 0 and result["duplicates"] > 0 and result["rejected"]["malformed"]
    assert result["sustained_readings_per_s"] > 0 and result["latency_samples"] > 0
    assert result["worker_peak_rss_mib"] > 0
