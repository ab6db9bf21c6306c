"""server-side sessions, forms kept across a sign-in, API token expiry

Revision ID: 20261207_h9sessions
Revises: 0008
Create Date: 2026-12-07 21:50:00.000000
"""

from datetime import UTC
from datetime import datetime
from datetime import timedelta

from alembic import op
import sqlalchemy as sa


import assettrack.models.base

revision = '20261207_h9sessions'
down_revision = '0008'
branch_labels = None
depends_on = None

_END_REASONS = (
    "'logout', 'idle', 'expired', 'renewed', 'password_changed', 'password_reset', "
    "'deactivated', 'role_changed', 'grant_changed', 'factor_reset'"
)


def upgrade():
    op.create_table('user_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', assettrack.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', assettrack.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', assettrack.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('user_agent', sa.String(length=255), nullable=True),
    sa.Column('ended_at', assettrack.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('end_reason', sa.String(length=20), nullable=True),
    sa.CheckConstraint(f"end_reason IS NULL OR end_reason IN ({_END_REASONS})", name='ck_user_session_end_reason'),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token_hash')
    )
    with op.batch_alter_table('user_session', schema=None) as batch_op:
        batch_op.create_index('ix_user_session_user_open', ['user_id', 'ended_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_user_session_user_id'), ['user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_user_session_expires_at'), ['expires_at'], unique=False)

    op.create_table('saved_form',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('path', sa.String(length=500), nullable=False),
    sa.Column('fields', sa.Text(), nullable=False),
    sa.Column('created_at', assettrack.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', assettrack.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key_hash')
    )
    with op.batch_alter_table('saved_form', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_saved_form_user_id'), ['user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_saved_form_expires_at'), ['expires_at'], unique=False)

    # Tokens made before expiry existed get the default 90 days from today, not from their
    # creation: an operator learns of the change before scripts start failing.
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expires_at', assettrack.models.base.UTCDateTime(timezone=True), nullable=True))
    api_token = sa.table('api_token', sa.column('expires_at', assettrack.models.base.UTCDateTime(timezone=True)))
    op.execute(api_token.update().values(expires_at=datetime.now(UTC) + timedelta(days=90)))
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.alter_column('expires_at', existing_type=assettrack.models.base.UTCDateTime(timezone=True), nullable=False)


def downgrade():
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.drop_column('expires_at')
    with op.batch_alter_table('saved_form', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_saved_form_expires_at'))
        batch_op.drop_index(batch_op.f('ix_saved_form_user_id'))
    op.drop_table('saved_form')
    with op.batch_alter_table('user_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_session_expires_at'))
        batch_op.drop_index(batch_op.f('ix_user_session_user_id'))
        batch_op.drop_index('ix_user_session_user_open')
    op.drop_table('user_session')
