"""The seed and the permission sync are quiet and idempotent."""

from __future__ import annotations

import logging

from app.core.seed import sync_permissions


def test_re_syncing_permissions_deletes_nothing_and_logs_no_refusal(app, caplog):
    with caplog.at_level(logging.WARNING):
        sync_permissions()
        sync_permissions()
    refused = [r.getMessage() for r in caplog.records if "Refused to delete" in r.getMessage()]
    assert refused == []
