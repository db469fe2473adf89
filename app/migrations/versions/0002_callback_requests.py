"""Pending callback requests: a bad rating's phone waits here, without a time, for the sweep

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 08:33:26.850223

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('case_callback_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('phone', sa.String(length=11), nullable=False),
    sa.Column('items', sa.Text(), nullable=False),
    sa.Column('requested_on', sa.Date(), nullable=False),
    sa.CheckConstraint("items <> ''", name=op.f('ck_case_callback_requests_items_given')),
    sa.CheckConstraint('length(phone) = 11', name=op.f('ck_case_callback_requests_phone_is_mobile')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_case_callback_requests_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_callback_requests'))
    )


def downgrade():
    op.drop_table('case_callback_requests')
