"""Organisations (departments, member units, enterprises, rescue teams), people, duty assignments."""
