"""Fixed responses apart from their invitations: an invitation keeps only that it was used, a response its
day and duration (no start time, no keyed receipt); answers wait in pending_responses for a shuffled batch

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 16:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('pending_responses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('questionnaire_id', sa.Integer(), nullable=False),
    sa.Column('submitted_on', sa.Date(), nullable=False),
    sa.Column('duration_s', sa.Double(), nullable=True),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('levels', sa.Text(), nullable=False),
    sa.Column('ticket_hash', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_pending_responses_campaign_id_campaigns')),
    sa.ForeignKeyConstraint(['questionnaire_id'], ['questionnaires.id'], name=op.f('fk_pending_responses_questionnaire_id_questionnaires')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_pending_responses_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pending_responses')),
    sa.UniqueConstraint('ticket_hash', name=op.f('uq_pending_responses_ticket_hash'))
    )
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('used', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.execute("UPDATE invitations SET used = (used_at IS NOT NULL)")
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.drop_column('used_at')
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('duration_s', sa.Double(), nullable=True))
    op.execute("UPDATE responses SET duration_s = " + _seconds_between('started_at', 'submitted_at')
               + " WHERE started_at IS NOT NULL")
    # Existing fixed responses forget their time of day too (the start of their Beijing day, in UTC).
    op.execute("UPDATE responses SET submitted_at = " + _beijing_day_start('submitted_at') + " WHERE \"group\" = 'fixed'")
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_responses_nonfixed_has_no_invitation'), type_='check')
        batch_op.drop_constraint(batch_op.f('uq_responses_invitation_receipt'), type_='unique')
        batch_op.drop_column('invitation_receipt')
        batch_op.drop_column('started_at')
        batch_op.create_check_constraint(batch_op.f('ck_responses_duration_not_negative'),
                                         'duration_s IS NULL OR duration_s >= 0')


def downgrade():
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_responses_duration_not_negative'), type_='check')
        batch_op.add_column(sa.Column('started_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('invitation_receipt', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_responses_invitation_receipt'), ['invitation_receipt'])
        batch_op.create_check_constraint(batch_op.f('ck_responses_nonfixed_has_no_invitation'),
                                         "\"group\" = 'fixed' OR invitation_receipt IS NULL")
        batch_op.drop_column('duration_s')
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('used_at', sa.DateTime(), nullable=True))
    # The claim times are gone for good: a used invitation gets its issue time.
    op.execute("UPDATE invitations SET used_at = created_at WHERE used")
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.drop_column('used')
    op.drop_table('pending_responses')


def _seconds_between(start, end):
    if op.get_bind().dialect.name == 'postgresql':
        return f"EXTRACT(EPOCH FROM ({end} - {start}))"
    return f"(julianday({end}) - julianday({start})) * 86400.0"


def _beijing_day_start(column):
    if op.get_bind().dialect.name == 'postgresql':
        return f"date_trunc('day', {column} + interval '8 hours') - interval '8 hours'"
    return f"datetime(date({column}, '+8 hours'), '-8 hours')"
