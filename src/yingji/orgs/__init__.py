"""Organisations (bureaus, member units, enterprises, rescue teams), people, duty assignments."""
