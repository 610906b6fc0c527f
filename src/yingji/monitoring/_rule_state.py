"""Per-sensor arrays of the rule engine: compiled configuration and evaluation state.

Row ``i`` of every array belongs to sensor index ``i``. Configuration arrays are derived from
the rule table and ``rule_id``; state arrays are what ``snapshot()`` persists.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from yingji.monitoring._rule_config import LEVEL_COUNT, RuleRows, compile_rules

# State arrays and their initial value for a new sensor, in snapshot order.
STATE_INIT: Final[dict[str, tuple[str, float | int | bool]]] = {
    "last_ts": ("<f8", -np.inf),  # timestamp of the last evaluated reading
    "last_value": ("<f8", np.nan),
    "seen": ("<f8", np.nan),  # staleness counts from here; a new sensor gets its registered_at
    "thr_eval": ("i1", 0),  # evaluated threshold level
    "thr_out": ("i1", 0),  # reported threshold level (frozen during maintenance)
    "rate_eval": ("i1", 0),
    "rate_out": ("i1", 0),
    "stale_eval": ("?", False),
    "stale_out": ("i1", 0),
}


@dataclass(eq=False)
class SensorTable:
    """Configuration and state arrays of every registered sensor."""

    rule_id: npt.NDArray[np.int32]
    config: RuleRows
    state: dict[str, npt.NDArray[Any]]
    since: npt.NDArray[np.float64]  # (4, n): start of the run of readings at ≥ level, NaN if none

    @classmethod
    def empty(cls) -> SensorTable:
        """Return a table with no sensors."""
        rows = compile_rules([])
        state = {name: np.empty(0, dtype) for name, (dtype, _) in STATE_INIT.items()}
        return cls(np.empty(0, np.int32), rows, state, np.empty((LEVEL_COUNT, 0)))

    @property
    def size(self) -> int:
        """Return the number of sensors."""
        return int(self.rule_id.size)

    def grow(self, rule_ids: npt.NDArray[np.int32], table: RuleRows, seen: float) -> None:
        """Append sensors with the given rules (indices into the compiled table)."""
        count = rule_ids.size
        self.rule_id = np.concatenate([self.rule_id, rule_ids])
        self.config = RuleRows._make(
            np.concatenate([old, new[..., rule_ids]], axis=-1)
            for old, new in zip(_columns(self.config), _columns(table), strict=True)
        )
        for name, (dtype, init) in STATE_INIT.items():
            fill = seen if name == "seen" else init
            self.state[name] = np.concatenate([self.state[name], np.full(count, fill, dtype)])
        self.since = np.concatenate([self.since, np.full((LEVEL_COUNT, count), np.nan)], axis=1)

    def assign(self, sensors: npt.NDArray[np.intp], rule_id: int, table: RuleRows) -> None:
        """Give sensors a new rule; runs towards a duration restart where the rule changed."""
        changed = sensors[self.rule_id[sensors] != rule_id]
        self.rule_id[sensors] = rule_id
        for old, new in zip(_columns(self.config), _columns(table), strict=True):
            old[..., sensors] = new[..., rule_id, None] if old.ndim == 2 else new[rule_id]
        self.since[:, changed] = np.nan

    def rebuild_config(self, table: RuleRows) -> None:
        """Derive the configuration arrays from ``rule_id`` (after a restore)."""
        self.config = RuleRows._make(column[..., self.rule_id] for column in _columns(table))

    def encode_state(self) -> dict[str, Any]:
        """Return the state arrays (and rule ids) as JSON values."""
        arrays: dict[str, npt.NDArray[Any]] = {
            "rule_id": self.rule_id,
            "since": self.since,
            **self.state,
        }
        return {name: encode_array(array) for name, array in arrays.items()}

    @classmethod
    def decode_state(cls, raw: dict[str, Any], table: RuleRows) -> SensorTable:
        """Rebuild a table from ``encode_state`` output and the compiled rule table."""
        rule_id = decode_array(raw["rule_id"], "<i4")
        n = rule_id.size
        state = {name: decode_array(raw[name], dtype) for name, (dtype, _) in STATE_INIT.items()}
        since = decode_array(raw["since"], "<f8")
        if any(a.shape != (n,) for a in state.values()) or since.shape != (LEVEL_COUNT, n):
            raise ValueError("snapshot arrays disagree on the number of sensors")
        if n and (rule_id.min() < 0 or rule_id.max() >= table.sign.size):
            raise ValueError("snapshot refers to an unknown rule")
        out = cls(rule_id, table, state, since)
        out.rebuild_config(table)
        return out


def _columns(rows: RuleRows) -> list[npt.NDArray[Any]]:
    """Return the compiled rule arrays as a list, for column-wise operations."""
    return list(rows)


def encode_array(array: npt.NDArray[Any]) -> dict[str, Any]:
    """Encode an array as JSON: dtype, shape and base64 of its little-endian bytes."""
    little = array.astype(array.dtype.newbyteorder("<"), copy=False)
    return {
        "dtype": little.dtype.str,
        "shape": list(array.shape),
        "data": base64.b64encode(np.ascontiguousarray(little).tobytes()).decode("ascii"),
    }


def decode_array(raw: dict[str, Any], dtype: str) -> npt.NDArray[Any]:
    """Decode ``encode_array`` output, checking the dtype is the expected one."""
    if np.dtype(raw["dtype"]) != np.dtype(dtype):
        raise ValueError(f"snapshot array has dtype {raw['dtype']}, expected {dtype}")
    data = base64.b64decode(raw["data"])
    shape = tuple(int(x) for x in raw["shape"])
    return np.frombuffer(data, dtype=dtype).reshape(shape).astype(dtype, copy=True)
