"""The Excel ledgers (台账): import and export of enterprises, risk points and hazards."""
