"""merge the revisions written side by side for #9, #10 and #11 into one head

Revision ID: 0009
Revises: 20261207_h10, h11_treasury_shares, 20261207_h9_jobs_leases, 20261207_h9_reports,
    20261207_h9admins, h9audit_0001, 20261207_h9sessions
Create Date: 2026-12-07 23:00:00
"""

revision = "0009"
down_revision = (
    "20261207_h10",
    "h11_treasury_shares",
    "20261207_h9_jobs_leases",
    "20261207_h9_reports",
    "20261207_h9admins",
    "h9audit_0001",
    "20261207_h9sessions",
)
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
