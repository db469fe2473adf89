"""API keys are counted by the shared rate limiter ([limits] api_key): api_keys drops its own minute
counter (window_started_at, window_requests)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-02 03:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('api_keys', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_api_keys_window_requests_not_negative'), type_='check')
        batch_op.drop_column('window_requests')
        batch_op.drop_column('window_started_at')


def downgrade():
    with op.batch_alter_table('api_keys', schema=None) as batch_op:
        batch_op.add_column(sa.Column('window_started_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('window_requests', sa.Integer(), server_default='0', nullable=False))
        batch_op.create_check_constraint(batch_op.f('ck_api_keys_window_requests_not_negative'), 'window_requests >= 0')
