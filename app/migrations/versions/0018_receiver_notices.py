"""首问负责 carried through: notices to a case's first receiver at each step

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02 02:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('case_receiver_notices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=24), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('read_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_receiver_notices_case_id_cases')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_case_receiver_notices_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_receiver_notices'))
    )
    with op.batch_alter_table('case_receiver_notices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_receiver_notices_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_receiver_notices_user_id'), ['user_id'], unique=False)
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cases_first_receiver_id'), ['first_receiver_id'], unique=False)


def downgrade():
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cases_first_receiver_id'))
    with op.batch_alter_table('case_receiver_notices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_receiver_notices_user_id'))
        batch_op.drop_index(batch_op.f('ix_case_receiver_notices_case_id'))
    op.drop_table('case_receiver_notices')
