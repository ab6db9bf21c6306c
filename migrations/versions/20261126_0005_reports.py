"""reports and H2 permissions

Revision ID: 0005
Revises: 0003
Create Date: 2026-11-26 09:00:00.000000
"""

from alembic import op
import sqlalchemy as sa


import assettrack.models.base

revision = '0005'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('report',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('issuing_organisation_id', sa.Integer(), nullable=False),
    sa.Column('recipient_organisation_id', sa.Integer(), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=True),
    sa.Column('period_end', sa.Date(), nullable=True),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('tlp', sa.String(length=16), nullable=False),
    sa.Column('justification', sa.Text(), nullable=True),
    sa.Column('case_ids', sa.Text(), nullable=False),
    sa.Column('context_hash', sa.String(length=64), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=True),
    sa.Column('size', sa.Integer(), nullable=True),
    sa.Column('file_path', sa.String(length=500), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', assettrack.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('case_brief', 'partner')", name='ck_report_kind'),
    sa.CheckConstraint("language IN ('en', 'fr')", name='ck_report_language'),
    sa.CheckConstraint('period_start IS NULL OR period_end IS NULL OR period_start <= period_end', name='ck_report_period'),
    sa.ForeignKeyConstraint(['created_by_id'], ['app_user.id'], ),
    sa.ForeignKeyConstraint(['issuing_organisation_id'], ['organisation.id'], ),
    sa.ForeignKeyConstraint(['recipient_organisation_id'], ['organisation.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('sha256')
    )
    with op.batch_alter_table('report', schema=None) as batch_op:
        batch_op.create_index('ix_report_context', ['issuing_organisation_id', 'kind', 'context_hash'], unique=False)
        batch_op.create_index(batch_op.f('ix_report_recipient_organisation_id'), ['recipient_organisation_id'], unique=False)

    op.create_table('case_permission',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('recipient_organisation_id', sa.Integer(), nullable=False),
    sa.Column('granted_by', sa.String(length=200), nullable=False),
    sa.Column('granted_on', sa.Date(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('entered_by_id', sa.Integer(), nullable=False),
    sa.Column('entered_at', assettrack.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('length(granted_by) > 0', name='ck_case_permission_granted_by'),
    sa.ForeignKeyConstraint(['case_id'], ['case_file.id'], ),
    sa.ForeignKeyConstraint(['entered_by_id'], ['app_user.id'], ),
    sa.ForeignKeyConstraint(['recipient_organisation_id'], ['organisation.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('case_permission', schema=None) as batch_op:
        batch_op.create_index('ix_case_permission_case_recipient', ['case_id', 'recipient_organisation_id'], unique=False)


def downgrade():
    with op.batch_alter_table('case_permission', schema=None) as batch_op:
        batch_op.drop_index('ix_case_permission_case_recipient')

    op.drop_table('case_permission')
    with op.batch_alter_table('report', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_report_recipient_organisation_id'))
        batch_op.drop_index('ix_report_context')

    op.drop_table('report')
