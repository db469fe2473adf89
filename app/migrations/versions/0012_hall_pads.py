"""Hall pads: pads (one per enrolment code issued, the pad once the code is typed on it), and responses of
channel 'pad'

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 12:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('pads',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('window_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('code_expires_at', sa.DateTime(), nullable=False),
    sa.Column('credential_hash', sa.String(length=64), nullable=True),
    sa.Column('enrolled_at', sa.DateTime(), nullable=True),
    sa.Column('last_seen_at', sa.DateTime(), nullable=True),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('revoked_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('(credential_hash IS NULL) = (enrolled_at IS NULL)', name=op.f('ck_pads_enrolled_with_credential')),
    sa.CheckConstraint('code_expires_at > created_at', name=op.f('ck_pads_code_expires_after_issue')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_pads_created_by_id_users')),
    sa.ForeignKeyConstraint(['revoked_by_id'], ['users.id'], name=op.f('fk_pads_revoked_by_id_users')),
    sa.ForeignKeyConstraint(['window_id'], ['windows.id'], name=op.f('fk_pads_window_id_windows')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pads')),
    sa.UniqueConstraint('code_hash', name=op.f('uq_pads_code_hash')),
    sa.UniqueConstraint('credential_hash', name=op.f('uq_pads_credential_hash'))
    )
    with op.batch_alter_table('pads', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pads_window_id'), ['window_id'], unique=False)
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_responses_channel_known'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_responses_channel_known'),
                                         "channel IN ('qr', 'link', 'paper', 'platform', 'pad')")


def downgrade():
    # Ratings given on pads stay, as window ratings (channel qr): they are citizens' answers.
    op.execute("UPDATE responses SET channel = 'qr' WHERE channel = 'pad'")
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_responses_channel_known'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_responses_channel_known'),
                                         "channel IN ('qr', 'link', 'paper', 'platform')")
    with op.batch_alter_table('pads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pads_window_id'))
    op.drop_table('pads')
