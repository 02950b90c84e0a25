"""Approvals (SPEC §9): sensitive record actions become requests decided by four eyes."""
