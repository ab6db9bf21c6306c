"""Join the imports, reports and matching branches, written side by side on 0003

Revision ID: 0007
Revises: 0004, 0005, 0006
Create Date: 2026-11-26
"""

revision = "0007"
down_revision = ("0004", "0005", "0006")
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
