"""Score runs record who confirmed publishing a ranking that leaves units without a rank (issue 9: units
below [survey] min_ranked are not ranked)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 10:00:00

"""
from alembic import op
import sqlalchemy as sa

from stats.web.models import FROZEN_RUN_TRIGGERS


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


FK = 'fk_stats_score_runs_unranked_confirmed_by_id_users'


def upgrade():
    # A plain ADD COLUMN, not a batch copy: copying stats_score_runs on SQLite would drop its triggers.
    if op.get_context().dialect.name == 'sqlite':  # SQLite takes the reference in the column's definition
        op.execute(f'ALTER TABLE stats_score_runs ADD COLUMN unranked_confirmed_by_id INTEGER '
                   f'CONSTRAINT {FK} REFERENCES users (id)')
        return
    op.add_column('stats_score_runs', sa.Column('unranked_confirmed_by_id', sa.Integer(), nullable=True))
    op.create_foreign_key(op.f(FK), 'stats_score_runs', 'users', ['unranked_confirmed_by_id'], ['id'])


def downgrade():
    dialect = op.get_context().dialect.name
    if dialect != 'sqlite':
        op.drop_constraint(op.f(FK), 'stats_score_runs', type_='foreignkey')
        op.drop_column('stats_score_runs', 'unranked_confirmed_by_id')
        return
    # SQLite cannot drop a column under a foreign key: the table is copied without it, which drops its
    # triggers, so they are made again.
    with op.batch_alter_table('stats_score_runs', recreate='always') as batch_op:
        batch_op.drop_column('unranked_confirmed_by_id')
    for statement in FROZEN_RUN_TRIGGERS['sqlite']:
        op.execute(statement)
