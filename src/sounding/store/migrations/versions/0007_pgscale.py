"""comments and posts in time order (keyset pages on (created_at, id) read one page of an index
instead of sorting every comment); a thread's latest counts and a post found by its platform id
without a full scan of the snapshots or the posts

Revision ID: 0006_pgscale
Revises: 0005
"""

from alembic import op


revision = '0007_pgscale'
down_revision = '0006_webfeat'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_comments_created', 'comments', ['created_at', 'id'])
    op.create_index('ix_posts_created', 'posts', ['created_at', 'id'])
    op.create_index('ix_posts_platform_id', 'posts', ['platform_id'])
    op.create_index('ix_reaction_snapshots_post', 'reaction_snapshots', ['post_id', 'taken_at'])
    op.create_index('ix_reaction_snapshots_comment', 'reaction_snapshots', ['comment_id'])


def downgrade() -> None:
    op.drop_index('ix_reaction_snapshots_comment', table_name='reaction_snapshots')
    op.drop_index('ix_reaction_snapshots_post', table_name='reaction_snapshots')
    op.drop_index('ix_posts_platform_id', table_name='posts')
    op.drop_index('ix_posts_created', table_name='posts')
    op.drop_index('ix_comments_created', table_name='comments')
