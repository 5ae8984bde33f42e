"""comments and posts in time order: the comment pages, newest first or oldest first, read one page
of an index instead of sorting every comment (keyset pagination on (created_at, id))

Revision ID: 0006_pgscale
Revises: 0005
"""

from alembic import op


revision = '0006_pgscale'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_comments_created', 'comments', ['created_at', 'id'])
    op.create_index('ix_posts_created', 'posts', ['created_at', 'id'])


def downgrade() -> None:
    op.drop_index('ix_posts_created', table_name='posts')
    op.drop_index('ix_comments_created', table_name='comments')
