"""register imports: saved mappings, import runs, register entries

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 09:00:00
"""

from alembic import op
import sqlalchemy as sa


import assettrack.models.base

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('register_mapping',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('columns', sa.Text(), nullable=False),
    sa.Column('statuses', sa.Text(), nullable=False),
    sa.Column('types', sa.Text(), nullable=False),
    sa.Column('defaults', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', assettrack.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', assettrack.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('length(name) > 0', name='ck_register_mapping_name'),
    sa.ForeignKeyConstraint(['created_by_id'], ['app_user.id'], ),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('organisation_id', 'name', name='uq_register_mapping_org_name')
    )
    with op.batch_alter_table('register_mapping', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_register_mapping_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('register_import',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('register_name', sa.String(length=100), nullable=False),
    sa.Column('mapping_name', sa.String(length=100), nullable=True),
    sa.Column('mapping', sa.Text(), nullable=False),
    sa.Column('file_name', sa.String(length=255), nullable=False),
    sa.Column('file_sha256', sa.String(length=64), nullable=False),
    sa.Column('encoding', sa.String(length=20), nullable=False),
    sa.Column('delimiter', sa.String(length=4), nullable=True),
    sa.Column('rows_read', sa.Integer(), nullable=False),
    sa.Column('created', sa.Integer(), nullable=False),
    sa.Column('updated', sa.Integer(), nullable=False),
    sa.Column('unchanged', sa.Integer(), nullable=False),
    sa.Column('skipped', sa.Integer(), nullable=False),
    sa.Column('entered_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', assettrack.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('rows_read >= 0 AND created >= 0 AND updated >= 0 AND unchanged >= 0 AND skipped >= 0', name='ck_register_import_counts'),
    sa.ForeignKeyConstraint(['case_id'], ['case_file.id'], ),
    sa.ForeignKeyConstraint(['entered_by_id'], ['app_user.id'], ),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('register_import', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_register_import_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_register_import_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('register_entry',
    sa.Column('entity_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('import_id', sa.Integer(), nullable=False),
    sa.Column('register_name', sa.String(length=100), nullable=False),
    sa.Column('status_label', sa.String(length=200), nullable=True),
    sa.Column('target', sa.String(length=20), nullable=True),
    sa.Column('region', sa.String(length=200), nullable=True),
    sa.Column('city', sa.String(length=200), nullable=True),
    sa.Column('row', sa.Text(), nullable=False),
    sa.Column('updated_at', assettrack.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("target IS NULL OR target IN ('traced', 'frozen', 'managed', 'confiscated', 'confiscated_final', 'disposed', 'released')", name='ck_register_entry_target'),
    sa.ForeignKeyConstraint(['entity_id'], ['entity.id'], ),
    sa.ForeignKeyConstraint(['import_id'], ['register_import.id'], ),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], ),
    sa.PrimaryKeyConstraint('entity_id')
    )
    with op.batch_alter_table('register_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_register_entry_import_id'), ['import_id'], unique=False)
        batch_op.create_index('ix_register_entry_org_region', ['organisation_id', 'region'], unique=False)
        batch_op.create_index('ix_register_entry_org_status', ['organisation_id', 'status_label'], unique=False)


def downgrade():
    with op.batch_alter_table('register_entry', schema=None) as batch_op:
        batch_op.drop_index('ix_register_entry_org_status')
        batch_op.drop_index('ix_register_entry_org_region')
        batch_op.drop_index(batch_op.f('ix_register_entry_import_id'))

    op.drop_table('register_entry')
    with op.batch_alter_table('register_import', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_register_import_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_register_import_case_id'))

    op.drop_table('register_import')
    with op.batch_alter_table('register_mapping', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_register_mapping_organisation_id'))

    op.drop_table('register_mapping')
