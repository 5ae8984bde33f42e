"""lesson merges: a lesson merged into another by hand, reversibly (the members it handed over are kept)

Revision ID: 0006_act
Revises: 0005
"""

from alembic import op
import sqlalchemy as sa

revision = '0008_act'
down_revision = '0007_pgscale'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'lesson_merges',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('source_theme_id', sa.Integer(), sa.ForeignKey('themes.id'), nullable=False),
        sa.Column('into_theme_id', sa.Integer(), sa.ForeignKey('themes.id'), nullable=False),
        sa.Column('source_lesson_id', sa.Integer(), nullable=False),
        sa.Column('into_lesson_id', sa.Integer(), nullable=False),
        sa.Column('source_title', sa.Text(), nullable=True),
        sa.Column('merged_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('merged_by', sa.String(length=255), nullable=True),
        sa.Column('note', sa.Text(), nullable=True),
        sa.Column('unmerged_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('unmerged_by', sa.String(length=255), nullable=True),
        sa.Column('unmerge_note', sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_lesson_merges_source_lesson_id', 'lesson_merges', ['source_lesson_id'])
    op.create_table(
        'lesson_merge_members',
        sa.Column('merge_id', sa.Integer(), sa.ForeignKey('lesson_merges.id'), nullable=False),
        sa.Column('text_hash', sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint('merge_id', 'text_hash'),
    )
    op.create_index('ix_lesson_merge_members_text_hash', 'lesson_merge_members', ['text_hash'])


def downgrade() -> None:
    op.drop_index('ix_lesson_merge_members_text_hash', 'lesson_merge_members')
    op.drop_table('lesson_merge_members')
    op.drop_index('ix_lesson_merges_source_lesson_id', 'lesson_merges')
    op.drop_table('lesson_merges')
