"""Work assignments of the valuation firm (SPEC §7)."""
