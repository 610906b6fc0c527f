"""yingji (应急): an emergency-management platform for city and county bureaus."""

__version__ = "0.1.0"
