"""Responses keep a keyed hash of the network address alone, for screening many responses from one address
(issue 9: stuffing caught afterwards); an index on submitted_at for the live screening of the counts page

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 14:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('address_hash', sa.String(length=32), nullable=True))
        batch_op.create_check_constraint(batch_op.f('ck_responses_address_hash_with_client'),
                                         'address_hash IS NULL OR client_hash IS NOT NULL')
        batch_op.create_index('ix_responses_submitted_at', ['submitted_at'], unique=False)


def downgrade():
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.drop_index('ix_responses_submitted_at')
        batch_op.drop_constraint(batch_op.f('ck_responses_address_hash_with_client'), type_='check')
        batch_op.drop_column('address_hash')
