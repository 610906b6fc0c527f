"""Administrative regions (GB/T 2260) and grids, with geometry and subtree queries."""
