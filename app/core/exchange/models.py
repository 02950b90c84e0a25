"""Change sets: an import of one file into one resource, kept so that it can be reviewed
(preview), applied once (commit) and undone as a whole (revert).

* `ChangeSet` — one import: resource, file, match column, state
  (`analyzing → preview → committed → reverted`; a preview left too long becomes `expired`),
  the counts, who and when, and the Continuum transactions of its commit and its revert.
  A tenant row: another organization's change set does not exist (404).
* `ChangeSetRow` — one data row of the file: its cells as read (`data`), and what the dry run
  found (`action`, `changes` old → new, `errors`); after the commit, the record written and its
  version then (a later edit by someone else shows as a different version at revert time).
* `ChangeSetProgress` — how far a long analysis or commit has got, written through a
  connection of its own (so that any worker answering the page's poll sees it while the work's
  own transaction is still open). Kept apart from `change_set`, whose row the commit locks.

These are bookkeeping, not business records: not versioned (the records an import writes are),
written with plain statements where that is faster.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_appbuilder import Model

from app.core.models import TenantMixin, utcnow

STATES = ("analyzing", "preview", "committed", "reverted", "expired")
ROW_ACTIONS = ("pending", "create", "update", "unchanged", "error")


class ChangeSet(TenantMixin, Model):
    __tablename__ = "change_set"
    __table_args__ = (
        sa.Index("ix_change_set_org_created", "organization_id", "id"),
        sa.Index("ix_change_set_state_expires", "state", "expires_at"),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    resource = sa.Column(sa.String(64), nullable=False)
    file_name = sa.Column(sa.String(255), nullable=False)
    file_format = sa.Column(sa.String(8), nullable=False)
    key_column = sa.Column(sa.String(64), nullable=False)
    columns = sa.Column(sa.JSON, nullable=False)  # the file's header, as read
    state = sa.Column(sa.String(16), nullable=False, default="analyzing")
    total_rows = sa.Column(sa.Integer, nullable=False, default=0)
    count_create = sa.Column(sa.Integer, nullable=False, default=0)
    count_update = sa.Column(sa.Integer, nullable=False, default=0)
    count_unchanged = sa.Column(sa.Integer, nullable=False, default=0)
    count_error = sa.Column(sa.Integer, nullable=False, default=0)
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)
    created_by_id = sa.Column(sa.Integer, sa.ForeignKey("ab_user.id"))
    expires_at = sa.Column(sa.DateTime, nullable=False)
    # the analysis runs in one request at a time: whoever holds the lease
    lease_until = sa.Column(sa.DateTime)
    committed_at = sa.Column(sa.DateTime)
    committed_by_id = sa.Column(sa.Integer, sa.ForeignKey("ab_user.id"))
    transaction_id = sa.Column(sa.BigInteger)
    reverted_at = sa.Column(sa.DateTime)
    reverted_by_id = sa.Column(sa.Integer, sa.ForeignKey("ab_user.id"))
    revert_transaction_id = sa.Column(sa.BigInteger)

    def summary(self) -> dict[str, int]:
        return {
            "create": self.count_create,
            "update": self.count_update,
            "unchanged": self.count_unchanged,
            "error": self.count_error,
        }


class ChangeSetRow(Model):
    __tablename__ = "change_set_row"
    __table_args__ = (
        sa.UniqueConstraint("change_set_id", "row_no"),
        sa.Index("ix_change_set_row_set_action", "change_set_id", "action", "row_no"),
    )

    id = sa.Column(sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True)
    change_set_id = sa.Column(sa.Integer, sa.ForeignKey("change_set.id", ondelete="CASCADE"), nullable=False)
    row_no = sa.Column(sa.Integer, nullable=False)  # the line in the file (the header is line 1)
    key = sa.Column(sa.String(255))
    action = sa.Column(sa.String(16), nullable=False, default="pending")
    data = sa.Column(sa.JSON, nullable=False)  # {column: text} as read
    changes = sa.Column(sa.JSON)  # {field: [old, new]}
    errors = sa.Column(sa.JSON)  # {field: [message, ...]}
    record_id = sa.Column(sa.Integer)
    seen_version = sa.Column(sa.Integer)  # the record's version when previewed
    written_version = sa.Column(sa.Integer)  # its version right after the commit


class ChangeSetProgress(Model):
    __tablename__ = "change_set_progress"

    change_set_id = sa.Column(sa.Integer, primary_key=True, autoincrement=False)
    phase = sa.Column(sa.String(16), nullable=False)
    done = sa.Column(sa.Integer, nullable=False, default=0)
    total = sa.Column(sa.Integer, nullable=False, default=0)
    updated_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)
