"""dashboard reads: comments and posts in time order, our replies per thread, stored learning values

Revision ID: 0006_serveperf
Revises: 0005
"""

from alembic import op
import sqlalchemy as sa

revision = '0006_serveperf'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_comments_created', 'comments', ['created_at'])
    op.create_index('ix_comments_ours', 'comments', ['post_id', 'created_at'],
                    sqlite_where=sa.text('ours = 1'), postgresql_where=sa.text('ours'))
    op.create_index('ix_posts_created', 'posts', ['created_at'])
    op.create_table(
        'post_learning',
        sa.Column('post_id', sa.Integer(), sa.ForeignKey('posts.id'), nullable=False),
        sa.Column('learning_value', sa.Float(), nullable=False),
        sa.Column('audience_items', sa.Integer(), nullable=False),
        sa.Column('substantive_people', sa.Integer(), nullable=False),
        sa.Column('questions', sa.Integer(), nullable=False),
        sa.Column('themes', sa.Integer(), nullable=False),
        sa.Column('theme_share', sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint('post_id'),
    )


def downgrade() -> None:
    op.drop_table('post_learning')
    op.drop_index('ix_posts_created', 'posts')
    op.drop_index('ix_comments_ours', 'comments')
    op.drop_index('ix_comments_created', 'comments')
