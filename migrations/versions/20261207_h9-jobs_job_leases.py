"""job leases: attempts, lease_until and worker, so a job whose worker died is found again

Revision ID: 20261207_h9_jobs_leases
Revises: 0008
Create Date: 2026-12-07 21:40:00
"""

from alembic import op
import sqlalchemy as sa


import assettrack.models.base

revision = '20261207_h9_jobs_leases'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attempts', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('lease_until', assettrack.models.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('worker', sa.String(length=100), nullable=True))
        batch_op.create_check_constraint('ck_job_attempts', 'attempts >= 0')
        batch_op.create_index('ix_job_status_lease', ['status', 'lease_until'], unique=False)
    # Jobs left running by a worker that died before leases existed: their lease (none) has
    # expired, so the first sweep queues them again; count that run as their first attempt.
    op.execute("UPDATE job SET attempts = 1 WHERE status = 'running'")


def downgrade():
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.drop_index('ix_job_status_lease')
        batch_op.drop_constraint('ck_job_attempts', type_='check')
        batch_op.drop_column('worker')
        batch_op.drop_column('lease_until')
        batch_op.drop_column('attempts')
