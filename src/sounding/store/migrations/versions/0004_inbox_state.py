"""inbox state: which audience questions were marked answered or ignored, and who they are assigned to

Revision ID: 0004_inbox
Revises: 0001
"""

from alembic import op
import sqlalchemy as sa


revision = '0004_inbox'
down_revision = '0003_people'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'inbox_state',
        sa.Column('platform', sa.String(length=32), nullable=False),
        sa.Column('item_id', sa.String(length=255), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('assignee', sa.String(length=255), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('platform', 'item_id'),
    )


def downgrade() -> None:
    op.drop_table('inbox_state')
