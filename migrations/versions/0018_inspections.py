"""inspections: plans (recurrence, next due date), records, photos, reminders; the
notification outbox gains an inspection-reminder subject

Revision ID: 0018_inspections
Revises: 0017_preferences
Create Date: 2026-12-02 17:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0018_inspections'
down_revision = '0017_preferences'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'inspection_plans',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('room_id', sa.Integer(), nullable=True),
        sa.Column('name', sa.String(length=128), nullable=False),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('description', sa.Text(), nullable=False),
        sa.Column('checklist', sa.JSON(), nullable=False),
        sa.Column('measurements', sa.JSON(), nullable=False),
        sa.Column('unit', sa.String(length=8), nullable=False),
        sa.Column('every', sa.Integer(), nullable=False),
        sa.Column('start_date', sa.Date(), nullable=False),
        sa.Column('next_due', sa.Date(), nullable=False),
        sa.Column('enabled', sa.Boolean(), nullable=False),
        sa.Column('normal_device_id', sa.Integer(), nullable=True),
        sa.Column('standby_device_id', sa.Integer(), nullable=True),
        sa.Column('created_by', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                  nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                  nullable=False),
        sa.CheckConstraint("kind IN ('inspection', 'generator_maintenance', "
                           "'generator_load_test', 'switchover_test')",
                           name=op.f('ck_inspection_plans_kind')),
        sa.CheckConstraint("unit IN ('day', 'week', 'month', 'year')",
                           name=op.f('ck_inspection_plans_unit')),
        sa.CheckConstraint('every BETWEEN 1 AND 1000', name=op.f('ck_inspection_plans_every')),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id'], ondelete='CASCADE',
                                name=op.f('fk_inspection_plans_site_id_sites')),
        sa.ForeignKeyConstraint(['room_id'], ['distribution_rooms.id'], ondelete='SET NULL',
                                name=op.f('fk_inspection_plans_room_id_distribution_rooms')),
        sa.ForeignKeyConstraint(['normal_device_id'], ['devices.id'], ondelete='SET NULL',
                                name=op.f('fk_inspection_plans_normal_device_id_devices')),
        sa.ForeignKeyConstraint(['standby_device_id'], ['devices.id'], ondelete='SET NULL',
                                name=op.f('fk_inspection_plans_standby_device_id_devices')),
        sa.ForeignKeyConstraint(['created_by'], ['users.id'], ondelete='SET NULL',
                                name=op.f('fk_inspection_plans_created_by_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_inspection_plans')),
        sa.UniqueConstraint('site_id', 'name', name='uq_inspection_plans_site_name'),
    )
    op.create_index(op.f('ix_inspection_plans_site_id'), 'inspection_plans', ['site_id'])
    op.create_index(op.f('ix_inspection_plans_next_due'), 'inspection_plans', ['next_due'])
    op.create_table(
        'inspection_records',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('plan_id', sa.Integer(), nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('performed_by', sa.Integer(), nullable=True),
        sa.Column('performed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('due_on', sa.Date(), nullable=False),
        sa.Column('results', sa.JSON(), nullable=False),
        sa.Column('values', sa.JSON(), nullable=False),
        sa.Column('findings', sa.Text(), nullable=False),
        sa.Column('switchover_seconds', sa.Float(), nullable=True),
        sa.Column('switchover_source', sa.String(length=16), nullable=True),
        sa.Column('normal_opened_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('standby_closed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('repair_order_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                  nullable=False),
        sa.CheckConstraint("switchover_source IS NULL OR switchover_source IN "
                           "('readings', 'manual')",
                           name=op.f('ck_inspection_records_switchover_source')),
        sa.ForeignKeyConstraint(['plan_id'], ['inspection_plans.id'], ondelete='CASCADE',
                                name=op.f('fk_inspection_records_plan_id_inspection_plans')),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id'], ondelete='CASCADE',
                                name=op.f('fk_inspection_records_site_id_sites')),
        sa.ForeignKeyConstraint(['performed_by'], ['users.id'], ondelete='SET NULL',
                                name=op.f('fk_inspection_records_performed_by_users')),
        sa.ForeignKeyConstraint(['repair_order_id'], ['repair_orders.id'], ondelete='SET NULL',
                                name=op.f('fk_inspection_records_repair_order_id_repair_orders')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_inspection_records')),
    )
    op.create_index(op.f('ix_inspection_records_plan_id'), 'inspection_records', ['plan_id'])
    op.create_index('ix_inspection_records_site_performed', 'inspection_records',
                    ['site_id', 'performed_at'])
    op.create_table(
        'inspection_photos',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('record_id', sa.Integer(), nullable=False),
        sa.Column('filename', sa.String(length=255), nullable=False),
        sa.Column('content_type', sa.String(length=64), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=False),
        sa.Column('uploaded_by', sa.Integer(), nullable=True),
        sa.Column('uploaded_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                  nullable=False),
        sa.ForeignKeyConstraint(['record_id'], ['inspection_records.id'], ondelete='CASCADE',
                                name=op.f('fk_inspection_photos_record_id_inspection_records')),
        sa.ForeignKeyConstraint(['uploaded_by'], ['users.id'], ondelete='SET NULL',
                                name=op.f('fk_inspection_photos_uploaded_by_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_inspection_photos')),
    )
    op.create_index(op.f('ix_inspection_photos_record_id'), 'inspection_photos', ['record_id'])
    op.create_table(
        'inspection_reminders',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('plan_id', sa.Integer(), nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('due_on', sa.Date(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['plan_id'], ['inspection_plans.id'], ondelete='CASCADE',
                                name=op.f('fk_inspection_reminders_plan_id_inspection_plans')),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id'], ondelete='CASCADE',
                                name=op.f('fk_inspection_reminders_site_id_sites')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_inspection_reminders')),
        sa.UniqueConstraint('plan_id', 'due_on', name='uq_inspection_reminders_due'),
    )
    op.add_column('notifications', sa.Column('inspection_reminder_id', sa.Integer(),
                                             nullable=True))
    op.create_index(op.f('ix_notifications_inspection_reminder_id'), 'notifications',
                    ['inspection_reminder_id'])
    op.create_foreign_key(op.f('fk_notifications_inspection_reminder_id_inspection_reminders'),
                          'notifications', 'inspection_reminders', ['inspection_reminder_id'],
                          ['id'], ondelete='CASCADE')
    op.drop_constraint(op.f('ck_notifications_subject'), 'notifications', type_='check')
    op.create_check_constraint(
        op.f('ck_notifications_subject'), 'notifications',
        "num_nonnulls(alarm_id, command_id, schedule_run_id, inspection_reminder_id) = 1")


def downgrade() -> None:
    op.execute("DELETE FROM notifications WHERE inspection_reminder_id IS NOT NULL")
    op.drop_constraint(op.f('ck_notifications_subject'), 'notifications', type_='check')
    op.create_check_constraint(op.f('ck_notifications_subject'), 'notifications',
                               "num_nonnulls(alarm_id, command_id, schedule_run_id) = 1")
    op.drop_constraint(op.f('fk_notifications_inspection_reminder_id_inspection_reminders'),
                       'notifications', type_='foreignkey')
    op.drop_index(op.f('ix_notifications_inspection_reminder_id'), table_name='notifications')
    op.drop_column('notifications', 'inspection_reminder_id')
    op.drop_table('inspection_reminders')
    op.drop_index(op.f('ix_inspection_photos_record_id'), table_name='inspection_photos')
    op.drop_table('inspection_photos')
    op.drop_index('ix_inspection_records_site_performed', table_name='inspection_records')
    op.drop_index(op.f('ix_inspection_records_plan_id'), table_name='inspection_records')
    op.drop_table('inspection_records')
    op.drop_index(op.f('ix_inspection_plans_next_due'), table_name='inspection_plans')
    op.drop_index(op.f('ix_inspection_plans_site_id'), table_name='inspection_plans')
    op.drop_table('inspection_plans')
