"""confirm: the judicial confirmation of an urgent freeze is its own action

Revision ID: w3dossier_01
Revises: 0010
Create Date: 2026-12-08 01:00:00

Before, a judicial (non-urgent) freeze of an asset under an urgent freeze was stored as a
freeze with ``confirms_urgent`` — even when it came after the lapse, which hid the lapse.
DECISIONS.md #13: only past confirmations within the term become ``confirm``; later ones stay
``freeze`` (a new freezing order, counted as one) flagged "lapse not acknowledged
(migrated)". Each reclassification is written to ``decision_reclassification``, which
``assettrack db upgrade`` audits once; this migration prints how each year's figures change.
"""

import json
from datetime import date

import sqlalchemy as sa
from alembic import op

import assettrack.models.base

revision = "w3dossier_01"
down_revision = "0010"
branch_labels = None
depends_on = None

_OLD_ACTIONS = "action IN ('freeze', 'manage', 'confiscate', 'dispose', 'release')"
_NEW_ACTIONS = "action IN ('freeze', 'confirm', 'manage', 'confiscate', 'dispose', 'release')"
_FLAG = "lapse_flag IS NULL OR lapse_flag IN ('not_acknowledged_migrated')"


def upgrade():
    op.create_table(
        "decision_reclassification",
        sa.Column("decision_id", sa.Integer(), sa.ForeignKey("decision.id"), nullable=False),
        sa.Column(
            "organisation_id", sa.Integer(), sa.ForeignKey("organisation.id"), nullable=False
        ),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("action_before", sa.String(length=12), nullable=False),
        sa.Column("action_after", sa.String(length=12), nullable=False),
        sa.Column("lapse_flag", sa.String(length=32), nullable=True),
        sa.Column("audited_at", assettrack.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("decision_id"),
    )
    with op.batch_alter_table("decision", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("lapse_acknowledged", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("lapse_flag", sa.String(length=32), nullable=True))
        batch_op.drop_constraint("ck_decision_action", type_="check")
        batch_op.create_check_constraint("ck_decision_action", _NEW_ACTIONS)
        batch_op.create_check_constraint("ck_decision_lapse_flag", _FLAG)
    _reclassify(op.get_bind())
    with op.batch_alter_table("decision", schema=None) as batch_op:
        batch_op.drop_column("confirms_urgent")


def downgrade():
    with op.batch_alter_table("decision", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("confirms_urgent", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    bind = op.get_bind()
    bind.execute(
        sa.text(
            "UPDATE decision SET action = 'freeze', confirms_urgent = true "
            "WHERE action = 'confirm' OR lapse_flag IS NOT NULL"
        )
    )
    with op.batch_alter_table("decision", schema=None) as batch_op:
        batch_op.drop_constraint("ck_decision_lapse_flag", type_="check")
        batch_op.drop_constraint("ck_decision_action", type_="check")
        batch_op.create_check_constraint("ck_decision_action", _OLD_ACTIONS)
        batch_op.drop_column("lapse_flag")
        batch_op.drop_column("lapse_acknowledged")
    op.drop_table("decision_reclassification")


def _reclassify(bind):
    rows = bind.execute(
        sa.text(
            "SELECT d.id, d.organisation_id, d.decided_on, d.annulled_at, da.state_before "
            "FROM decision d JOIN decision_asset da ON da.decision_id = d.id "
            "WHERE d.action = 'freeze' AND d.confirms_urgent = :yes ORDER BY d.id"
        ),
        {"yes": True},
    ).all()
    decisions = {}
    for decision_id, org_id, decided_on, annulled_at, state_before in rows:
        decided_on = _day(decided_on)
        entry = decisions.setdefault(
            decision_id,
            {"org": org_id, "day": decided_on, "counted": annulled_at is None, "within": True},
        )
        expires = json.loads(state_before or "{}").get("urgent_expires_on")
        # Within the term: decided on or before the last day of every covered urgent freeze.
        if expires and decided_on > date.fromisoformat(expires):
            entry["within"] = False
    changes = {}
    for decision_id, entry in decisions.items():
        action, flag = (
            ("confirm", None) if entry["within"] else ("freeze", "not_acknowledged_migrated")
        )
        bind.execute(
            sa.text("UPDATE decision SET action = :action, lapse_flag = :flag WHERE id = :id"),
            {"action": action, "flag": flag, "id": decision_id},
        )
        bind.execute(
            sa.text(
                "INSERT INTO decision_reclassification (decision_id, organisation_id, year, "
                "action_before, action_after, lapse_flag) VALUES (:id, :org, :year, 'freeze', "
                ":action, :flag)"
            ),
            {
                "id": decision_id,
                "org": entry["org"],
                "year": entry["day"].year,
                "action": action,
                "flag": flag,
            },
        )
        if entry["counted"] and flag:
            # It was a confirmation and is now a freezing order: one more order, one less
            # confirmation. Within the term, the figures stay as they were.
            figures = changes.setdefault((entry["org"], entry["day"].year), [0, 0])
            figures[0] += 1
            figures[1] -= 1
    if not decisions:
        return
    print(
        f"w3dossier_01: {len(decisions)} confirmation(s) of urgent freezes reclassified, "
        f"{sum(1 for e in decisions.values() if not e['within'])} after the lapse"
    )
    for (org_id, year), (orders, confirmations) in sorted(changes.items()):
        print(
            f"  organisation {org_id}, {year}: freezing orders {orders:+d}, "
            f"confirmations {confirmations:+d}"
        )


def _day(value):
    # SQLite returns the ISO text, PostgreSQL a date.
    return date.fromisoformat(value) if isinstance(value, str) else value
