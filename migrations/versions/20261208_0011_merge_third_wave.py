"""merge the third wave: notifications, second factor, relation ends, corrections, search,
watchlists, dossiers, tasks, attachments and comments

Revision ID: 0011
Revises: w3_2fa_01, w3decl_01, w3dossier_02, w3entity_01, w3files_01, w3notify_01, w3search_01, w3watch_01
Create Date: 2026-12-08 02:40:00.000000
"""

revision = "0011"
down_revision = ('w3_2fa_01', 'w3decl_01', 'w3dossier_02', 'w3entity_01', 'w3files_01', 'w3notify_01', 'w3search_01', 'w3watch_01')
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
