"""效能告诫 as a workflow: admonitions with their document and deduction; ledger lines may come from one

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 15:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('stats_adjustments', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_stats_adjustments_origin_known'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_stats_adjustments_origin_known'),
                                         "origin IN ('manual', 'overdue_case', 'admonition')")
    op.create_table('stats_admonitions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('official', sa.String(length=60), nullable=False),
    sa.Column('level', sa.String(length=30), nullable=False),
    sa.Column('level_label', sa.String(length=30), nullable=False),
    sa.Column('points', sa.Double(), nullable=False),
    sa.Column('facts', sa.Text(), nullable=False),
    sa.Column('case_numbers', sa.String(length=300), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('adjustment_id', sa.Integer(), nullable=True),
    sa.Column('issued_by_id', sa.Integer(), nullable=False),
    sa.Column('issued_at', sa.DateTime(), nullable=False),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.Column('revoked_by_id', sa.Integer(), nullable=True),
    sa.Column('revoke_reason', sa.Text(), nullable=False),
    sa.CheckConstraint('points > 0', name=op.f('ck_stats_admonitions_points_positive')),
    sa.CheckConstraint("revoked_at IS NULL OR revoke_reason <> ''", name=op.f('ck_stats_admonitions_revoke_has_reason')),
    sa.ForeignKeyConstraint(['adjustment_id'], ['stats_adjustments.id'], name=op.f('fk_stats_admonitions_adjustment_id_stats_adjustments')),
    sa.ForeignKeyConstraint(['document_id'], ['issued_documents.id'], name=op.f('fk_stats_admonitions_document_id_issued_documents')),
    sa.ForeignKeyConstraint(['issued_by_id'], ['users.id'], name=op.f('fk_stats_admonitions_issued_by_id_users')),
    sa.ForeignKeyConstraint(['revoked_by_id'], ['users.id'], name=op.f('fk_stats_admonitions_revoked_by_id_users')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_stats_admonitions_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stats_admonitions'))
    )
    with op.batch_alter_table('stats_admonitions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stats_admonitions_unit_id'), ['unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_stats_admonitions_year'), ['year'], unique=False)


def downgrade():
    with op.batch_alter_table('stats_admonitions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stats_admonitions_year'))
        batch_op.drop_index(batch_op.f('ix_stats_admonitions_unit_id'))
    op.drop_table('stats_admonitions')
    op.execute("DELETE FROM stats_adjustments WHERE origin = 'admonition'")
    with op.batch_alter_table('stats_adjustments', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_stats_adjustments_origin_known'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_stats_adjustments_origin_known'),
                                         "origin IN ('manual', 'overdue_case')")
