"""duplicate candidates, reviews, merge records; screening lists, entries and hits

Revision ID: 0006
Revises: 0003
Create Date: 2026-11-26 08:00:00

Written beside 0004 and 0005 (also on 0003); ``assettrack db upgrade`` applies every head.
"""

from alembic import op
import sqlalchemy as sa


import assettrack.models.base

revision = '0006'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('duplicate_scan',
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('scanned_at', assettrack.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('entity_count', sa.Integer(), nullable=False),
    sa.Column('comparisons', sa.Integer(), nullable=False),
    sa.Column('candidate_count', sa.Integer(), nullable=False),
    sa.Column('seconds', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], ),
    sa.PrimaryKeyConstraint('organisation_id')
    )
    op.create_table('duplicate_candidate',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('entity_a_id', sa.Integer(), nullable=False),
    sa.Column('entity_b_id', sa.Integer(), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('explanation', sa.Text(), nullable=False),
    sa.Column('found_at', assettrack.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('entity_a_id < entity_b_id', name='ck_duplicate_candidate_order'),
    sa.CheckConstraint('score >= 0 AND score <= 1', name='ck_duplicate_candidate_score'),
    sa.ForeignKeyConstraint(['entity_a_id'], ['entity.id'], ),
    sa.ForeignKeyConstraint(['entity_b_id'], ['entity.id'], ),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('entity_a_id', 'entity_b_id', name='uq_duplicate_candidate_pair')
    )
    with op.batch_alter_table('duplicate_candidate', schema=None) as batch_op:
        batch_op.create_index('ix_duplicate_candidate_org_score', ['organisation_id', 'score'], unique=False)
        batch_op.create_index(batch_op.f('ix_duplicate_candidate_entity_b_id'), ['entity_b_id'], unique=False)

    op.create_table('duplicate_review',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('entity_a_id', sa.Integer(), nullable=False),
    sa.Column('entity_b_id', sa.Integer(), nullable=False),
    sa.Column('verdict', sa.String(length=10), nullable=False),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('explanation', sa.Text(), nullable=False),
    sa.Column('reviewed_by_id', sa.Integer(), nullable=False),
    sa.Column('reviewed_at', assettrack.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('entity_a_id < entity_b_id', name='ck_duplicate_review_order'),
    sa.CheckConstraint("verdict IN ('same', 'not_same', 'unsure')", name='ck_duplicate_review_verdict'),
    sa.ForeignKeyConstraint(['entity_a_id'], ['entity.id'], ),
    sa.ForeignKeyConstraint(['entity_b_id'], ['entity.id'], ),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], ),
    sa.ForeignKeyConstraint(['reviewed_by_id'], ['app_user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('entity_a_id', 'entity_b_id', name='uq_duplicate_review_pair')
    )
    with op.batch_alter_table('duplicate_review', schema=None) as batch_op:
        batch_op.create_index('ix_duplicate_review_org_verdict', ['organisation_id', 'verdict'], unique=False)
        batch_op.create_index(batch_op.f('ix_duplicate_review_entity_b_id'), ['entity_b_id'], unique=False)

    op.create_table('merge_record',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('survivor_id', sa.Integer(), nullable=False),
    sa.Column('merged_id', sa.Integer(), nullable=False),
    sa.Column('plan', sa.Text(), nullable=False),
    sa.Column('merged_by_id', sa.Integer(), nullable=False),
    sa.Column('merged_at', assettrack.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('undone_at', assettrack.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('undone_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('(undone_at IS NULL) = (undone_by_id IS NULL)', name='ck_merge_record_undone'),
    sa.CheckConstraint('survivor_id <> merged_id', name='ck_merge_record_distinct'),
    sa.ForeignKeyConstraint(['merged_by_id'], ['app_user.id'], ),
    sa.ForeignKeyConstraint(['merged_id'], ['entity.id'], ),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], ),
    sa.ForeignKeyConstraint(['survivor_id'], ['entity.id'], ),
    sa.ForeignKeyConstraint(['undone_by_id'], ['app_user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('merge_record', schema=None) as batch_op:
        batch_op.create_index('ix_merge_record_org_time', ['organisation_id', 'merged_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_merge_record_merged_id'), ['merged_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_merge_record_survivor_id'), ['survivor_id'], unique=False)

    op.create_table('screening_list',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('source', sa.String(length=500), nullable=False),
    sa.Column('entry_count', sa.Integer(), nullable=False),
    sa.Column('loaded_at', assettrack.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('length(name) > 0', name='ck_screening_list_name'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    op.create_table('screening_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('list_id', sa.Integer(), nullable=False),
    sa.Column('external_id', sa.String(length=200), nullable=False),
    sa.Column('schema', sa.String(length=40), nullable=False),
    sa.Column('caption', sa.String(length=500), nullable=False),
    sa.Column('data', sa.Text(), nullable=False),
    sa.Column('sanctions', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['list_id'], ['screening_list.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('list_id', 'external_id', name='uq_screening_entry_external_id')
    )
    with op.batch_alter_table('screening_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_screening_entry_list_id'), ['list_id'], unique=False)

    op.create_table('screening_hit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('entity_id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('list_id', sa.Integer(), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('explanation', sa.Text(), nullable=False),
    sa.Column('found_at', assettrack.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('score >= 0 AND score <= 1', name='ck_screening_hit_score'),
    sa.ForeignKeyConstraint(['entity_id'], ['entity.id'], ),
    sa.ForeignKeyConstraint(['entry_id'], ['screening_entry.id'], ),
    sa.ForeignKeyConstraint(['list_id'], ['screening_list.id'], ),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('entity_id', 'entry_id', name='uq_screening_hit')
    )
    with op.batch_alter_table('screening_hit', schema=None) as batch_op:
        batch_op.create_index('ix_screening_hit_org', ['organisation_id', 'score'], unique=False)
        batch_op.create_index(batch_op.f('ix_screening_hit_entry_id'), ['entry_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_screening_hit_list_id'), ['list_id'], unique=False)


def downgrade():
    for table, indexes in (
        ('screening_hit', ['ix_screening_hit_list_id', 'ix_screening_hit_entry_id', 'ix_screening_hit_org']),
        ('screening_entry', ['ix_screening_entry_list_id']),
        ('screening_list', []),
        ('merge_record', ['ix_merge_record_survivor_id', 'ix_merge_record_merged_id', 'ix_merge_record_org_time']),
        ('duplicate_review', ['ix_duplicate_review_entity_b_id', 'ix_duplicate_review_org_verdict']),
        ('duplicate_candidate', ['ix_duplicate_candidate_entity_b_id', 'ix_duplicate_candidate_org_score']),
        ('duplicate_scan', []),
    ):
        if indexes:
            with op.batch_alter_table(table, schema=None) as batch_op:
                for name in indexes:
                    batch_op.drop_index(name)
        op.drop_table(table)
