"""first counts on the item row: each post's and comment's first reaction snapshot moves onto it

An import writes one row per comment instead of two; ``reaction_snapshots`` keeps the later
observations only. Growth curves read the same (``sounding.store.reactions`` joins both).

Revision ID: 0006_importspeed
Revises: 0005
"""

from alembic import op
import sqlalchemy as sa

revision = '0010_importspeed'
down_revision = '0009_serveperf'
branch_labels = None
depends_on = None

COUNTS = ('likes', 'reposts', 'replies', 'views')
#: (item table, the snapshot column naming it)
ITEMS = (('posts', 'post_id'), ('comments', 'comment_id'))
ANY_COUNT = ' OR '.join(f's.{c} IS NOT NULL' for c in COUNTS)


def _firsts(column: str) -> str:
    """The earliest snapshot with a count of each item: the one that moves onto the item's row."""
    return (
        f'SELECT id, item, taken_at, {", ".join(COUNTS)} FROM ('
        f'SELECT s.id, s.{column} AS item, s.taken_at, {", ".join("s." + c for c in COUNTS)}, '
        f'row_number() OVER (PARTITION BY s.{column} ORDER BY s.taken_at, s.id) AS n '
        f'FROM reaction_snapshots s WHERE s.{column} IS NOT NULL AND ({ANY_COUNT})) ranked WHERE n = 1'
    )


def upgrade() -> None:
    for table, column in ITEMS:
        # plain ALTER TABLE on both backends (SQLite adds and drops a plain column in place; a batch
        # table rebuild would drop a table other rows still point at)
        for name in COUNTS:
            op.add_column(table, sa.Column(f'first_{name}', sa.BigInteger(), nullable=True))
        op.add_column(table, sa.Column('first_seen_at', sa.DateTime(timezone=True), nullable=True))
        assignments = ', '.join(f'first_{c} = f.{c}' for c in COUNTS)
        op.execute(
            f'WITH f AS ({_firsts(column)}) '
            f'UPDATE {table} SET {assignments}, '
            f'first_seen_at = CASE WHEN f.taken_at = {table}.created_at THEN NULL ELSE f.taken_at END '
            f'FROM f WHERE f.item = {table}.id'
        )
        op.execute(f'DELETE FROM reaction_snapshots WHERE id IN (SELECT id FROM ({_firsts(column)}) moved)')


def downgrade() -> None:
    for table, column in ITEMS:
        other = 'comment_id' if column == 'post_id' else 'post_id'
        op.execute(
            f'INSERT INTO reaction_snapshots (platform, target_id, {column}, {other}, taken_at, {", ".join(COUNTS)}) '
            f'SELECT platform, platform_id, id, NULL, COALESCE(first_seen_at, created_at), '
            f'{", ".join("first_" + c for c in COUNTS)} FROM {table} '
            f'WHERE {" OR ".join(f"first_{c} IS NOT NULL" for c in COUNTS)}'
        )
        for name in ('first_seen_at', *(f'first_{c}' for c in COUNTS)):
            op.drop_column(table, name)
