"""Ratings imported from the provincial platform: responses of channel 'platform', and platform_ratings
keeping each one's platform id (imported once)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('platform_ratings',
    sa.Column('response_id', sa.Integer(), nullable=False),
    sa.Column('rating_id', sa.String(length=64), nullable=False),
    sa.Column('imported_at', sa.DateTime(), nullable=False),
    sa.Column('imported_by_id', sa.Integer(), nullable=True),
    sa.Column('handling_status', sa.String(length=20), nullable=False),
    sa.Column('called_back_on', sa.Date(), nullable=True),
    sa.Column('rectified_on', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['imported_by_id'], ['users.id'], name=op.f('fk_platform_ratings_imported_by_id_users')),
    sa.ForeignKeyConstraint(['response_id'], ['responses.id'], name=op.f('fk_platform_ratings_response_id_responses')),
    sa.PrimaryKeyConstraint('response_id', name=op.f('pk_platform_ratings')),
    sa.UniqueConstraint('rating_id', name=op.f('uq_platform_ratings_rating_id'))
    )
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_responses_channel_known'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_responses_channel_known'),
                                         "channel IN ('qr', 'link', 'paper', 'platform')")


def downgrade():
    op.execute("DELETE FROM answers WHERE response_id IN (SELECT response_id FROM platform_ratings)")
    op.drop_table('platform_ratings')
    op.execute("DELETE FROM responses WHERE channel = 'platform'")
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_responses_channel_known'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_responses_channel_known'), "channel IN ('qr', 'link', 'paper')")
