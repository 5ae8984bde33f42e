"""dashboard reads: our replies per thread (a partial index), stored learning values per thread

Revision ID: 0009_serveperf
Revises: 0008_act
"""

from alembic import op
import sqlalchemy as sa

revision = '0009_serveperf'
down_revision = '0008_act'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_comments_ours', 'comments', ['post_id', 'created_at'],
                    sqlite_where=sa.text('ours = 1'), postgresql_where=sa.text('ours'))
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
    op.drop_index('ix_comments_ours', 'comments')
