"""redaction choices recorded with a disclosure; the names flag on liaison grants

Revision ID: 20261207_h10
Revises: 0008
Create Date: 2026-12-07 21:45:00.000000
"""

from alembic import op
import sqlalchemy as sa


import assettrack.models.base

revision = '20261207_h10'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    # Existing grants keep today's behaviour (names shown) and are listed for their
    # organisation admin to review; new grants start without (DECISIONS #10 "Names").
    with op.batch_alter_table('user_organisation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('names', sa.Boolean(), nullable=False, server_default=sa.true()))
    with op.batch_alter_table('user_organisation', schema=None) as batch_op:
        batch_op.alter_column('names', existing_type=sa.Boolean(), server_default=sa.false())

    op.create_table('redaction_choice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('mention_key', sa.String(length=120), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('match', sa.String(length=8), nullable=False),
    sa.Column('protected_entity_id', sa.Integer(), nullable=False),
    sa.Column('entity_id', sa.Integer(), nullable=True),
    sa.Column('choice', sa.String(length=8), nullable=False),
    sa.Column('chosen_by_id', sa.Integer(), nullable=False),
    sa.Column('chosen_at', assettrack.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('name', 'text')", name='ck_redaction_choice_kind'),
    sa.CheckConstraint("match IN ('full', 'partial')", name='ck_redaction_choice_match'),
    sa.CheckConstraint("choice IN ('keep', 'mask', 'withhold')", name='ck_redaction_choice_choice'),
    sa.CheckConstraint("NOT (match = 'full' AND choice = 'keep')", name='ck_redaction_choice_full_kept'),
    sa.ForeignKeyConstraint(['case_id'], ['case_file.id'], ),
    sa.ForeignKeyConstraint(['chosen_by_id'], ['app_user.id'], ),
    sa.ForeignKeyConstraint(['entity_id'], ['entity.id'], ),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], ),
    sa.ForeignKeyConstraint(['protected_entity_id'], ['entity.id'], ),
    sa.ForeignKeyConstraint(['report_id'], ['report.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('report_id', 'mention_key', name='uq_redaction_choice_report_key')
    )
    with op.batch_alter_table('redaction_choice', schema=None) as batch_op:
        batch_op.create_index('ix_redaction_choice_org_key', ['organisation_id', 'mention_key', 'chosen_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_redaction_choice_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_redaction_choice_report_id'), ['report_id'], unique=False)


def downgrade():
    with op.batch_alter_table('redaction_choice', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_redaction_choice_report_id'))
        batch_op.drop_index(batch_op.f('ix_redaction_choice_case_id'))
        batch_op.drop_index('ix_redaction_choice_org_key')

    op.drop_table('redaction_choice')
    with op.batch_alter_table('user_organisation', schema=None) as batch_op:
        batch_op.drop_column('names')
