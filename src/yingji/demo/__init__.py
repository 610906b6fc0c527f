"""The 宜昌市 demo: real district boundaries, synthetic towns, grids, organisations and users."""
