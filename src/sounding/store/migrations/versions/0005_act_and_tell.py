"""act and tell: decision history and links, contact opt-outs, "you asked, we did" replies

Revision ID: 0005
Revises: 0004_inbox
"""

from alembic import op
import sqlalchemy as sa

revision = '0005'
down_revision = '0004_inbox'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('decisions') as batch:
        batch.add_column(sa.Column('status', sa.String(length=16), nullable=False, server_default='planned'))
        batch.add_column(sa.Column('author', sa.String(length=255), nullable=True))
    op.create_table(
        'decision_events',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('decision_id', sa.Integer(), sa.ForeignKey('decisions.id'), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('author', sa.String(length=255), nullable=True),
        sa.Column('note', sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_decision_events_decision', 'decision_events', ['decision_id'])
    op.create_table(
        'decision_links',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('decision_id', sa.Integer(), sa.ForeignKey('decisions.id'), nullable=False),
        sa.Column('theme_id', sa.Integer(), sa.ForeignKey('themes.id'), nullable=True),
        sa.Column('comment_id', sa.Integer(), sa.ForeignKey('comments.id'), nullable=True),
        sa.Column('lesson_title', sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('decision_id', 'theme_id', 'comment_id'),
    )
    op.create_index('ix_decision_links_decision', 'decision_links', ['decision_id'])
    op.create_table(
        'contact_optouts',
        sa.Column('author', sa.String(length=64), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('author'),
    )
    op.create_table(
        'loop_replies',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('decision_id', sa.Integer(), sa.ForeignKey('decisions.id'), nullable=False),
        sa.Column('post_id', sa.Integer(), sa.ForeignKey('posts.id'), nullable=False),
        sa.Column('reply_to_comment_id', sa.Integer(), sa.ForeignKey('comments.id'), nullable=True),
        sa.Column('people', sa.JSON(), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('platform_reply_id', sa.String(length=255), nullable=True),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('drafted_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('decision_id', 'post_id'),
    )


def downgrade() -> None:
    op.drop_table('loop_replies')
    op.drop_table('contact_optouts')
    op.drop_index('ix_decision_links_decision', 'decision_links')
    op.drop_table('decision_links')
    op.drop_index('ix_decision_events_decision', 'decision_events')
    op.drop_table('decision_events')
    with op.batch_alter_table('decisions') as batch:
        batch.drop_column('author')
        batch.drop_column('status')
