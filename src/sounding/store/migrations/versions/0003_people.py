"""people: the one table of handles, keyed by pseudonym

Analysis reads only pseudonyms (comments.author, posts.author); the handle and display name a
community manager needs to answer someone live here alone, so erasing a person is one delete.

Revision ID: 0003_people
Revises: 0001
"""

from alembic import op
import sqlalchemy as sa


revision = "0003_people"
down_revision = "0002_theme_merges"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "people",
        sa.Column("pseudonym", sa.String(length=64), nullable=False),
        sa.Column("platform", sa.String(length=32), nullable=False),
        sa.Column("handle", sa.String(length=255), nullable=False),
        sa.Column("display_name", sa.String(length=255), nullable=True),
        sa.PrimaryKeyConstraint("pseudonym"),
    )


def downgrade() -> None:
    op.drop_table("people")
