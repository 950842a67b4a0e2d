"""Points (积分): the ledger, leaderboards and the pioneer index (党员先锋系数)."""
