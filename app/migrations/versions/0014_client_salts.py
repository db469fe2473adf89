"""Walk-ins' hashes keyed with a salt per Beijing day, deleted after [screening] salt_keep_days (issue 9:
anonymity by construction); the hashes stored before keep their old key, which stays in the instance folder

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 16:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('client_salts',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('salt', sa.String(length=64), nullable=False),
    sa.CheckConstraint('length(salt) = 64', name=op.f('ck_client_salts_salt_length')),
    sa.PrimaryKeyConstraint('day', name=op.f('pk_client_salts'))
    )


def downgrade():
    op.drop_table('client_salts')
