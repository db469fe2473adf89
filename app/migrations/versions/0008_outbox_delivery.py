"""Outbox delivery status: pending, logged (not sent), sent with the gateway's reference, delivered,
undelivered or failed; rows sent so far by the log back end become 'logged'

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 09:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

DONE = "status IN ('logged', 'sent', 'delivered', 'undelivered')"


def upgrade():
    with op.batch_alter_table('case_outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', sa.String(length=12), server_default='pending', nullable=False))
        batch_op.add_column(sa.Column('reference', sa.String(length=64), server_default='', nullable=False))
        batch_op.add_column(sa.Column('reported_at', sa.DateTime(), nullable=True))
    # Until now only the log back end existed in a release: what it "sent" was recorded, not sent.
    op.execute("UPDATE case_outbox SET status = 'logged' WHERE sent_at IS NOT NULL")
    op.execute("UPDATE case_outbox SET status = 'failed' WHERE sent_at IS NULL AND attempts >= 5")
    with op.batch_alter_table('case_outbox', schema=None) as batch_op:
        batch_op.alter_column('status', server_default=None)
        batch_op.alter_column('reference', server_default=None)
        batch_op.create_index(batch_op.f('ix_case_outbox_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_outbox_reference'), ['reference'], unique=False)
        batch_op.create_check_constraint(
            batch_op.f('ck_case_outbox_status_known'), "status IN ('pending', 'logged', 'sent', 'delivered', 'undelivered', 'failed')")
        batch_op.create_check_constraint(batch_op.f('ck_case_outbox_sent_when_done'), f"({DONE}) = (sent_at IS NOT NULL)")
        batch_op.create_check_constraint(
            batch_op.f('ck_case_outbox_sent_has_reference'), "status NOT IN ('sent', 'delivered', 'undelivered') OR reference <> ''")


def downgrade():
    with op.batch_alter_table('case_outbox', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_case_outbox_sent_has_reference'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_case_outbox_sent_when_done'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_case_outbox_status_known'), type_='check')
        batch_op.drop_index(batch_op.f('ix_case_outbox_reference'))
        batch_op.drop_index(batch_op.f('ix_case_outbox_status'))
        batch_op.drop_column('reported_at')
        batch_op.drop_column('reference')
        batch_op.drop_column('status')
