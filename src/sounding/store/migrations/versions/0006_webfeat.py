"""sync errors per account and hashed, revocable API tokens

Revision ID: 0006_webfeat
Revises: 0005
"""

from alembic import op
import sqlalchemy as sa

revision = '0006_webfeat'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('accounts') as batch:
        batch.add_column(sa.Column('last_error_kind', sa.String(length=32), nullable=True))
        batch.add_column(sa.Column('last_error', sa.Text(), nullable=True))
        batch.add_column(sa.Column('last_error_at', sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        'api_tokens',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('scope', sa.String(length=16), nullable=False),
        sa.Column('name', sa.String(length=255), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('token_hash'),
    )


def downgrade() -> None:
    op.drop_table('api_tokens')
    with op.batch_alter_table('accounts') as batch:
        batch.drop_column('last_error_at')
        batch.drop_column('last_error')
        batch.drop_column('last_error_kind')
