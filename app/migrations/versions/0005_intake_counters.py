"""Intake counters: walk-in responses per device and per address, per window and clock hour

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 15:05:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('intake_counters',
    sa.Column('window_id', sa.Integer(), nullable=False),
    sa.Column('hour', sa.DateTime(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('key', sa.String(length=32), nullable=False),
    sa.Column('stored', sa.Integer(), nullable=False),
    sa.CheckConstraint("kind IN ('device', 'address')", name=op.f('ck_intake_counters_kind_known')),
    sa.CheckConstraint('stored > 0', name=op.f('ck_intake_counters_stored_positive')),
    sa.ForeignKeyConstraint(['window_id'], ['windows.id'], name=op.f('fk_intake_counters_window_id_windows')),
    sa.PrimaryKeyConstraint('window_id', 'hour', 'kind', 'key', name=op.f('pk_intake_counters'))
    )
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.drop_index('ix_responses_rate_limit')


def downgrade():
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.create_index('ix_responses_rate_limit', ['window_id', 'client_hash', 'submitted_at'], unique=False)
    op.drop_table('intake_counters')
