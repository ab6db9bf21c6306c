"""reports issued by POST: every export kind, pending status, job, params, withdrawal

Revision ID: 20261207_h9_reports
Revises: 0008
Create Date: 2026-12-07 21:45:00.000000
"""

from alembic import op
import sqlalchemy as sa


import assettrack.models.base

revision = '20261207_h9_reports'
down_revision = '0008'
branch_labels = None
depends_on = None

_KINDS = "kind IN ('case_brief', 'partner', 'ftm', 'gexf', 'graphml', 'diagram', 'open_data')"
_OLD_KINDS = "kind IN ('case_brief', 'partner')"
_STATUSES = "status IN ('pending', 'issued', 'withdrawn')"


def _sha256_unique():
    # PostgreSQL named the unnamed UNIQUE(sha256) itself; SQLite's gets the batch convention.
    return "report_sha256_key" if op.get_bind().dialect.name == "postgresql" else "uq_report_sha256"


_CONVENTION = {"uq": "uq_%(table_name)s_%(column_0_name)s"}


def upgrade():
    with op.batch_alter_table('report', schema=None, naming_convention=_CONVENTION) as batch_op:
        # Every export gets its own report, so two exports of unchanged data may be equal files.
        batch_op.drop_constraint(_sha256_unique(), type_='unique')
        batch_op.drop_constraint('ck_report_kind', type_='check')
        batch_op.add_column(sa.Column('status', sa.String(length=16), nullable=False, server_default='issued'))
        batch_op.add_column(sa.Column('params', sa.Text(), nullable=False, server_default='{}'))
        batch_op.add_column(sa.Column('redaction', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('mimetype', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('job_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('issued_at', assettrack.models.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('withdrawn_at', assettrack.models.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('withdrawn_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('withdrawal_reason', sa.Text(), nullable=True))
        batch_op.alter_column('context_hash', existing_type=sa.String(length=64), nullable=True)
        batch_op.create_foreign_key('fk_report_job_id', 'job', ['job_id'], ['id'])
        batch_op.create_foreign_key('fk_report_withdrawn_by_id', 'app_user', ['withdrawn_by_id'], ['id'])
        batch_op.create_check_constraint('ck_report_kind', _KINDS)
        batch_op.create_check_constraint('ck_report_status', _STATUSES)
        batch_op.create_index(batch_op.f('ix_report_sha256'), ['sha256'], unique=False)
    op.execute("UPDATE report SET issued_at = created_at, mimetype = 'application/pdf' WHERE sha256 IS NOT NULL")
    with op.batch_alter_table('report', schema=None) as batch_op:
        batch_op.alter_column('status', existing_type=sa.String(length=16), server_default=None)
        batch_op.alter_column('params', existing_type=sa.Text(), server_default=None)


def downgrade():
    op.execute("DELETE FROM report WHERE kind NOT IN ('case_brief', 'partner') OR sha256 IS NULL")
    with op.batch_alter_table('report', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_report_sha256'))
        batch_op.drop_constraint('ck_report_status', type_='check')
        batch_op.drop_constraint('ck_report_kind', type_='check')
        batch_op.drop_constraint('fk_report_withdrawn_by_id', type_='foreignkey')
        batch_op.drop_constraint('fk_report_job_id', type_='foreignkey')
        batch_op.alter_column('context_hash', existing_type=sa.String(length=64), nullable=False)
        batch_op.drop_column('withdrawal_reason')
        batch_op.drop_column('withdrawn_by_id')
        batch_op.drop_column('withdrawn_at')
        batch_op.drop_column('issued_at')
        batch_op.drop_column('job_id')
        batch_op.drop_column('mimetype')
        batch_op.drop_column('redaction')
        batch_op.drop_column('params')
        batch_op.drop_column('status')
        batch_op.create_check_constraint('ck_report_kind', _OLD_KINDS)
        batch_op.create_unique_constraint('uq_report_sha256', ['sha256'])
