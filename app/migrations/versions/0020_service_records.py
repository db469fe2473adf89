"""Service records (办件) and their one rating: service_records (事项, 办件编号, officer, finish time, the
rating link's hash and expiry, the claimed response, the callback phone while needed) and responses of channel
'service'

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-02 03:29:32.177459

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('service_records',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=32), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('window_id', sa.Integer(), nullable=False),
    sa.Column('matter_code', sa.String(length=64), nullable=False),
    sa.Column('matter_name', sa.String(length=200), nullable=False),
    sa.Column('case_number', sa.String(length=64), nullable=False),
    sa.Column('officer_number', sa.String(length=32), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('response_id', sa.Integer(), nullable=True),
    sa.Column('callback_phone', sa.String(length=11), nullable=True),
    sa.Column('api_key_id', sa.Integer(), nullable=True),
    sa.Column('registered_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('(api_key_id IS NULL) <> (registered_by_id IS NULL)', name=op.f('ck_service_records_one_registrar')),
    sa.CheckConstraint('callback_phone IS NULL OR length(callback_phone) = 11', name=op.f('ck_service_records_phone_is_mobile')),
    sa.CheckConstraint('expires_at > created_at', name=op.f('ck_service_records_expires_after_creation')),
    sa.ForeignKeyConstraint(['api_key_id'], ['api_keys.id'], name=op.f('fk_service_records_api_key_id_api_keys')),
    sa.ForeignKeyConstraint(['registered_by_id'], ['users.id'], name=op.f('fk_service_records_registered_by_id_users')),
    sa.ForeignKeyConstraint(['response_id'], ['responses.id'], name=op.f('fk_service_records_response_id_responses')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_service_records_unit_id_units')),
    sa.ForeignKeyConstraint(['window_id'], ['windows.id'], name=op.f('fk_service_records_window_id_windows')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_records')),
    sa.UniqueConstraint('public_id', name=op.f('uq_service_records_public_id')),
    sa.UniqueConstraint('response_id', name=op.f('uq_service_records_response_id')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_service_records_token_hash')),
    sa.UniqueConstraint('unit_id', 'case_number', name=op.f('uq_service_records_unit_id_case_number'))
    )
    with op.batch_alter_table('service_records', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_records_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_service_records_unit_id'), ['unit_id'], unique=False)
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_responses_channel_known'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_responses_channel_known'),
                                         "channel IN ('qr', 'link', 'paper', 'platform', 'pad', 'service')")


def downgrade():
    # Service ratings stay as walk-in responses of the window (channel qr); their records go.
    op.execute("UPDATE responses SET channel = 'qr' WHERE channel = 'service'")
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_responses_channel_known'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_responses_channel_known'),
                                         "channel IN ('qr', 'link', 'paper', 'platform', 'pad')")
    with op.batch_alter_table('service_records', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_records_unit_id'))
        batch_op.drop_index(batch_op.f('ix_service_records_expires_at'))

    op.drop_table('service_records')
