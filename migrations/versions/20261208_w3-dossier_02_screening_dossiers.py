"""screening dossiers: permit applications screened Bibob-style, with their clock

Revision ID: w3dossier_02
Revises: w3dossier_01
Create Date: 2026-12-08 01:10:00
"""

import sqlalchemy as sa
from alembic import op

import assettrack.models.base

revision = "w3dossier_02"
down_revision = "w3dossier_01"
branch_labels = None
depends_on = None

_UNITS = "('calendar_days', 'working_days', 'weeks')"


def upgrade():
    op.create_table(
        "screening_procedure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "organisation_id", sa.Integer(), sa.ForeignKey("organisation.id"), nullable=False
        ),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("advice_term", sa.Integer(), nullable=False),
        sa.Column("advice_term_unit", sa.String(length=16), nullable=False),
        sa.Column("extension", sa.Integer(), nullable=False),
        sa.Column("extension_unit", sa.String(length=16), nullable=False),
        sa.Column("extensions_allowed", sa.Integer(), nullable=False),
        sa.Column("decision_term", sa.Integer(), nullable=False),
        sa.Column("decision_term_unit", sa.String(length=16), nullable=False),
        sa.Column("advice_extends_decision", sa.Boolean(), nullable=False),
        sa.Column("questions_suspend_decision", sa.Boolean(), nullable=False),
        sa.Column("roll_to_working_day", sa.Boolean(), nullable=False),
        sa.Column("warn_days", sa.Integer(), nullable=False),
        sa.CheckConstraint(f"advice_term_unit IN {_UNITS}", name="ck_sp_advice_unit"),
        sa.CheckConstraint(f"extension_unit IN {_UNITS}", name="ck_sp_extension_unit"),
        sa.CheckConstraint(f"decision_term_unit IN {_UNITS}", name="ck_sp_decision_unit"),
        sa.CheckConstraint(
            "advice_term BETWEEN 0 AND 520 AND extension BETWEEN 0 AND 520 "
            "AND decision_term BETWEEN 0 AND 520 AND extensions_allowed BETWEEN 0 AND 10 "
            "AND warn_days BETWEEN 0 AND 365",
            name="ck_sp_terms",
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("organisation_id", "code", name="uq_screening_procedure_code"),
    )
    op.create_table(
        "screening_dossier",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("case_file.id"), nullable=False),
        sa.Column(
            "organisation_id", sa.Integer(), sa.ForeignKey("organisation.id"), nullable=False
        ),
        sa.Column("procedure_code", sa.String(length=32), nullable=False),
        sa.Column("permit", sa.String(length=200), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("decision_term", sa.Integer(), nullable=True),
        sa.Column("advice_requested_on", sa.Date(), nullable=True),
        sa.Column("extensions", sa.Integer(), nullable=False),
        sa.Column("advice_received_on", sa.Date(), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("measure", sa.String(length=16), nullable=True),
        sa.Column("decided_on", sa.Date(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", assettrack.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", assettrack.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "outcome IS NULL OR outcome IN ('serious_risk', 'lesser_risk', 'no_risk')",
            name="ck_dossier_outcome",
        ),
        sa.CheckConstraint(
            "measure IS NULL OR measure IN ('refusal', 'conditions', 'withdrawal', 'closure')",
            name="ck_dossier_measure",
        ),
        sa.CheckConstraint(
            "extensions BETWEEN 0 AND 10 AND (decision_term IS NULL OR "
            "decision_term BETWEEN 0 AND 520)",
            name="ck_dossier_terms",
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_id"),
    )
    op.create_index(
        "ix_screening_dossier_organisation_id", "screening_dossier", ["organisation_id"]
    )
    op.create_table(
        "dossier_suspension",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "dossier_id", sa.Integer(), sa.ForeignKey("screening_dossier.id"), nullable=False
        ),
        sa.Column("questions_sent_on", sa.Date(), nullable=False),
        sa.Column("answered_on", sa.Date(), nullable=True),
        sa.CheckConstraint(
            "answered_on IS NULL OR answered_on >= questions_sent_on", name="ck_suspension_order"
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_dossier_suspension_dossier_id", "dossier_suspension", ["dossier_id"])


def downgrade():
    op.drop_index("ix_dossier_suspension_dossier_id", table_name="dossier_suspension")
    op.drop_table("dossier_suspension")
    op.drop_index("ix_screening_dossier_organisation_id", table_name="screening_dossier")
    op.drop_table("screening_dossier")
    op.drop_table("screening_procedure")
