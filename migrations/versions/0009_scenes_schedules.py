"""scenes and their runs; schedules and their history (one row per occurrence, unique on
(schedule, occurrence): exactly one run); notifications may tell of a schedule's missed run

Revision ID: 0009_scenes_schedules
Revises: 0008_command_origin
Create Date: 2026-12-02 10:30:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0009_scenes_schedules'
down_revision = '0008_command_origin'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('scenes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('actions', sa.JSON(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('updated_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_scenes_created_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_scenes_site_id_sites'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by'], ['users.id'], name=op.f('fk_scenes_updated_by_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scenes')),
    sa.UniqueConstraint('site_id', 'name', name='uq_scenes_site_name')
    )
    op.create_index(op.f('ix_scenes_site_id'), 'scenes', ['site_id'], unique=False)
    op.create_table('scene_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scene_id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('run_by', sa.Integer(), nullable=True),
    sa.Column('run_by_name', sa.String(length=64), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('idempotency_key', sa.String(length=64), nullable=False),
    sa.Column('origin_kind', sa.String(length=16), nullable=True),
    sa.Column('origin_id', sa.Integer(), nullable=True),
    sa.Column('results', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['run_by'], ['users.id'], name=op.f('fk_scene_runs_run_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['scene_id'], ['scenes.id'], name=op.f('fk_scene_runs_scene_id_scenes'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_scene_runs_site_id_sites'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scene_runs')),
    sa.UniqueConstraint('scene_id', 'run_by', 'idempotency_key', name='uq_scene_runs_key', postgresql_nulls_not_distinct=True)
    )
    op.create_index('ix_scene_runs_scene_started', 'scene_runs', ['scene_id', 'started_at'], unique=False)
    op.create_index(op.f('ix_scene_runs_site_id'), 'scene_runs', ['site_id'], unique=False)
    op.create_table('schedules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('scene_id', sa.Integer(), nullable=True),
    sa.Column('actions', sa.JSON(), nullable=True),
    sa.Column('times', sa.JSON(), nullable=False),
    sa.Column('weekdays', sa.JSON(), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=True),
    sa.Column('end_date', sa.Date(), nullable=True),
    sa.Column('except_dates', sa.JSON(), nullable=False),
    sa.Column('extra_dates', sa.JSON(), nullable=False),
    sa.Column('run_late', sa.Boolean(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('checked_until', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('updated_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('(scene_id IS NULL) <> (actions IS NULL)', name=op.f('ck_schedules_target')),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_schedules_created_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['scene_id'], ['scenes.id'], name=op.f('fk_schedules_scene_id_scenes')),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_schedules_site_id_sites'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by'], ['users.id'], name=op.f('fk_schedules_updated_by_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_schedules')),
    sa.UniqueConstraint('site_id', 'name', name='uq_schedules_site_name')
    )
    op.create_index(op.f('ix_schedules_scene_id'), 'schedules', ['scene_id'], unique=False)
    op.create_index(op.f('ix_schedules_site_id'), 'schedules', ['site_id'], unique=False)
    op.create_table('schedule_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('schedule_id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('occurrence', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('found_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ran_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('results', sa.JSON(), nullable=True),
    sa.CheckConstraint("status IN ('ran', 'missed', 'ran_late', 'skipped_disabled')", name=op.f('ck_schedule_runs_status')),
    sa.ForeignKeyConstraint(['schedule_id'], ['schedules.id'], name=op.f('fk_schedule_runs_schedule_id_schedules'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_schedule_runs_site_id_sites'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_schedule_runs')),
    sa.UniqueConstraint('schedule_id', 'occurrence', name='uq_schedule_runs_occurrence')
    )
    op.create_index(op.f('ix_schedule_runs_site_id'), 'schedule_runs', ['site_id'], unique=False)
    op.add_column('notifications', sa.Column('schedule_run_id', sa.Integer(), nullable=True))
    op.create_index(op.f('ix_notifications_schedule_run_id'), 'notifications', ['schedule_run_id'], unique=False)
    op.create_foreign_key(op.f('fk_notifications_schedule_run_id_schedule_runs'), 'notifications', 'schedule_runs', ['schedule_run_id'], ['id'], ondelete='CASCADE')
    op.drop_constraint(op.f('ck_notifications_subject'), 'notifications', type_='check')
    op.create_check_constraint(op.f('ck_notifications_subject'), 'notifications',
                               "num_nonnulls(alarm_id, command_id, schedule_run_id) = 1")


def downgrade() -> None:
    op.execute("DELETE FROM notifications WHERE schedule_run_id IS NOT NULL")
    op.drop_constraint(op.f('ck_notifications_subject'), 'notifications', type_='check')
    op.create_check_constraint(op.f('ck_notifications_subject'), 'notifications',
                               "(alarm_id IS NULL) <> (command_id IS NULL)")
    op.drop_constraint(op.f('fk_notifications_schedule_run_id_schedule_runs'), 'notifications', type_='foreignkey')
    op.drop_index(op.f('ix_notifications_schedule_run_id'), table_name='notifications')
    op.drop_column('notifications', 'schedule_run_id')
    op.drop_index(op.f('ix_schedule_runs_site_id'), table_name='schedule_runs')
    op.drop_table('schedule_runs')
    op.drop_index(op.f('ix_schedules_site_id'), table_name='schedules')
    op.drop_index(op.f('ix_schedules_scene_id'), table_name='schedules')
    op.drop_table('schedules')
    op.drop_index(op.f('ix_scene_runs_site_id'), table_name='scene_runs')
    op.drop_index('ix_scene_runs_scene_started', table_name='scene_runs')
    op.drop_table('scene_runs')
    op.drop_index(op.f('ix_scenes_site_id'), table_name='scenes')
    op.drop_table('scenes')
