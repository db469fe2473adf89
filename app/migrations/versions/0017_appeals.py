"""申诉复核: a unit's appeals against 差评 (stats_appeals) with their evidence (stats_appeal_attachments)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02 12:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('stats_appeals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('response_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('lodged_by_id', sa.Integer(), nullable=False),
    sa.Column('lodged_at', sa.DateTime(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('decision_note', sa.Text(), nullable=False),
    sa.CheckConstraint("(status = 'pending') = (decided_at IS NULL)",
                       name=op.f('ck_stats_appeals_decided_when_not_pending')),
    sa.CheckConstraint("reason <> ''", name=op.f('ck_stats_appeals_reason_given')),
    sa.CheckConstraint("status = 'pending' OR (decision_note <> '' AND decided_by_id IS NOT NULL)",
                       name=op.f('ck_stats_appeals_decision_has_note_and_author')),
    sa.CheckConstraint("status IN ('pending', 'upheld', 'rejected')", name=op.f('ck_stats_appeals_status_known')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_stats_appeals_decided_by_id_users')),
    sa.ForeignKeyConstraint(['lodged_by_id'], ['users.id'], name=op.f('fk_stats_appeals_lodged_by_id_users')),
    sa.ForeignKeyConstraint(['response_id'], ['responses.id'], name=op.f('fk_stats_appeals_response_id_responses')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_stats_appeals_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stats_appeals')),
    sa.UniqueConstraint('response_id', name=op.f('uq_stats_appeals_response_id'))
    )
    with op.batch_alter_table('stats_appeals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stats_appeals_unit_id'), ['unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_stats_appeals_year'), ['year'], unique=False)
    op.create_table('stats_appeal_attachments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('appeal_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=120), nullable=False),
    sa.Column('mimetype', sa.String(length=40), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['appeal_id'], ['stats_appeals.id'],
                            name=op.f('fk_stats_appeal_attachments_appeal_id_stats_appeals')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stats_appeal_attachments'))
    )
    with op.batch_alter_table('stats_appeal_attachments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stats_appeal_attachments_appeal_id'), ['appeal_id'], unique=False)


def downgrade():
    op.drop_table('stats_appeal_attachments')
    op.drop_table('stats_appeals')
