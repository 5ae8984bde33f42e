"""theme merges: a merged theme points to the theme that absorbed it

Revision ID: 0002_theme_merges
Revises: 0001
"""

from alembic import op
import sqlalchemy as sa


revision = '0002_theme_merges'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # batch mode: SQLite cannot add a foreign key to an existing table in place
    with op.batch_alter_table('themes') as batch:
        batch.add_column(sa.Column('merged_into', sa.Integer(), nullable=True))
        batch.create_foreign_key('fk_themes_merged_into', 'themes', ['merged_into'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('themes') as batch:
        batch.drop_constraint('fk_themes_merged_into', type_='foreignkey')
        batch.drop_column('merged_into')
